"""Staff time: the calendar of each member of staff, and the accompaniment and
witness-preparation sessions booked in it.

A calendar is one aggregate per member of staff, saved in the same transaction as the
session (or hearing) that books it: two bookings decided at once on the same calendar
cannot both commit -- the loser reloads, sees the other's slot and is refused, naming it.
A hearing is booked into its lawyer's calendar without refusal (the court sets the date);
a session is refused when it overlaps anything else in the person's calendar, except the
hearing it accompanies.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.legal.domain.ids import calendar_id
from services.legal.domain.rules import (
    AlreadyDone,
    InvalidValue,
    StaffBusy,
    code,
    moment,
    optional,
    span,
    staff,
    text,
)
from services.legal.vocabulary import SessionKind

HEARING = "hearing"
MAX_NOTES = 10_000
Slot = dict[str, Any]  # kind, case_id, starts_at, ends_at, hearing_id


class StaffCalendar(Aggregate):
    """One person's bookings. It serves many cases: an audit of a case takes only the
    events that name it."""

    AUDIT_CASE_SCOPE = "events"

    @classmethod
    def start(cls, staff_id: str) -> StaffCalendar:
        staff_id = staff(staff_id, "staff_id")
        return cls(id=calendar_id(staff_id), staff_id=staff_id)

    @event("CalendarStarted")
    def __init__(self, id: UUID, staff_id: str):  # noqa: A002
        self.staff_id = staff_id
        self.slots: dict[str, Slot] = {}

    def clashes(self, starts_at: datetime, ends_at: datetime, slot_id: str,
                hearing_id: str | None) -> list[tuple[str, Slot]]:
        """Other slots overlapping [starts_at, ends_at), soonest first; the hearing being
        accompanied does not clash with its own accompaniment."""
        return sorted(((sid, s) for sid, s in self.slots.items()
                       if sid != slot_id and s["starts_at"] < ends_at
                       and starts_at < s["ends_at"]
                       and not (hearing_id is not None and hearing_id in (sid, s["hearing_id"]))),
                      key=lambda item: item[1]["starts_at"])

    def _check_free(self, starts_at: datetime, ends_at: datetime, slot_id: str,
                    hearing_id: str | None) -> None:
        clash = self.clashes(starts_at, ends_at, slot_id, hearing_id)
        if clash:
            other_id, other = clash[0]
            raise StaffBusy(f"{self.staff_id} is already booked from"
                            f" {other['starts_at'].isoformat()} to"
                            f" {other['ends_at'].isoformat()}: {other['kind']} {other_id}")

    def book(self, *, slot_id: str, case_id: str, kind: str, starts_at: datetime,
             ends_at: datetime, hearing_id: str | None = None, strict: bool = True) -> None:
        start, end = span(starts_at, ends_at)
        if strict:
            self._check_free(start, end, slot_id, hearing_id)
        self._book(case_id=case_id, slot_id=slot_id, kind=kind, starts_at=start, ends_at=end,
                   hearing_id=hearing_id)

    @event("SlotBooked")
    def _book(self, case_id: str, slot_id: str, kind: str, starts_at: datetime,
              ends_at: datetime, hearing_id: str | None) -> None:
        self.slots[slot_id] = {"kind": kind, "case_id": case_id, "starts_at": starts_at,
                               "ends_at": ends_at, "hearing_id": hearing_id}

    def move(self, slot_id: str, starts_at: datetime, ends_at: datetime,
             strict: bool = True) -> None:
        slot = self.slots[slot_id]
        start, end = span(starts_at, ends_at)
        if strict:
            self._check_free(start, end, slot_id, slot["hearing_id"])
        self._move(case_id=slot["case_id"], slot_id=slot_id, starts_at=start, ends_at=end)

    @event("SlotMoved")
    def _move(self, case_id: str, slot_id: str, starts_at: datetime, ends_at: datetime) -> None:
        self.slots[slot_id].update(starts_at=starts_at, ends_at=ends_at)

    def release(self, slot_id: str) -> None:
        if slot_id in self.slots:
            self._release(case_id=self.slots[slot_id]["case_id"], slot_id=slot_id)

    @event("SlotReleased")
    def _release(self, case_id: str, slot_id: str) -> None:
        self.slots.pop(slot_id, None)


class Session(Aggregate):
    """An accompaniment (to a hearing, an interview with the police, ...) or a
    witness-preparation session, with one member of staff; its notes are sealed."""

    PERSONAL_DATA = {"notes": "case_id"}

    @classmethod
    def schedule(cls, *, session_id: UUID, case_id: str, matter_id: str, kind: str,
                 staff_id: str, starts_at: datetime, ends_at: datetime,
                 hearing_id: str | None) -> Session:
        start, end = span(starts_at, ends_at)
        return cls(id=session_id, case_id=case_id, matter_id=matter_id,
                   kind=code(SessionKind, kind, "kind"),
                   staff_id=staff(staff_id, "staff_id"), starts_at=start,
                   ends_at=end, hearing_id=hearing_id)

    @event("SessionScheduled")
    def __init__(self, id: UUID, case_id: str, matter_id: str, kind: str,  # noqa: A002
                 staff_id: str, starts_at: datetime, ends_at: datetime,
                 hearing_id: str | None):
        self.case_id, self.matter_id, self.kind, self.staff_id = case_id, matter_id, kind, staff_id
        self.starts_at, self.ends_at, self.hearing_id = starts_at, ends_at, hearing_id
        self.status = "scheduled"
        self.done_at: datetime | None = None
        self.notes: Any = None

    def _check_scheduled(self) -> None:
        if self.status != "scheduled":
            raise AlreadyDone(f"the session is {self.status}")

    def move(self, starts_at: datetime, ends_at: datetime) -> None:
        self._check_scheduled()
        start, end = span(starts_at, ends_at)
        self._move(case_id=self.case_id, starts_at=start, ends_at=end)

    @event("SessionMoved")
    def _move(self, case_id: str, starts_at: datetime, ends_at: datetime) -> None:
        self.starts_at, self.ends_at = starts_at, ends_at

    def cancel(self, reason: str, cancelled_at: datetime) -> None:
        self._check_scheduled()
        self._cancel(case_id=self.case_id, reason=reason,
                     cancelled_at=moment(cancelled_at, "cancelled_at"))

    @event("SessionCancelled")
    def _cancel(self, case_id: str, reason: str, cancelled_at: datetime) -> None:
        self.status = "cancelled"

    def record_done(self, done_at: datetime, notes: str | None) -> None:
        self._check_scheduled()
        done = moment(done_at, "done_at")
        if done < self.starts_at:
            raise InvalidValue("done_at", "must not be before the session starts")
        self._done(case_id=self.case_id, matter_id=self.matter_id, kind=self.kind,
                   staff_id=self.staff_id, done_at=done,
                   notes=optional(text, notes, "notes", MAX_NOTES))

    @event("SessionDone")
    def _done(self, case_id: str, matter_id: str, kind: str, staff_id: str, done_at: datetime,
              notes: str | None) -> None:
        self.status, self.done_at, self.notes = "done", done_at, notes
