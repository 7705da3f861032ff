"""Hearings: set, moved and cancelled as the court decides, with their protective
measures and outcome. A hearing is booked into its lawyer's calendar (never refused: the
court sets the date; the answer names what it overlaps), its derived deadlines and its
accompaniment sessions move with it, all in one transaction. When the matter gets another
lawyer, its hearings still ahead go with the matter: out of the old lawyer's calendar,
into the new one's, and their reminders to the new lawyer (`hearings_follow`).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.legal.domain import Hearing, Matter, Session, StaffCalendar
from services.legal.domain.calendar import HEARING
from services.legal.domain.ids import calendar_id
from services.legal.domain.rules import MatterClosed, StaffBusy
from services.legal.store import Fields, LegalStore
from shared.audit import CommandContext
from shared.errors import domain_refusals


def _clashes(found: list[tuple[str, dict[str, Any]]]) -> list[Fields]:
    return [{"id": slot_id, "kind": slot["kind"], "starts_at": slot["starts_at"],
             "ends_at": slot["ends_at"]} for slot_id, slot in found]


class Hearings(LegalStore):
    def schedule_hearing(self, ctx: CommandContext, matter_id: UUID, starts_at: datetime,
                         ends_at: datetime, hearing_type: str, court: str, time_zone: str,
                         preparation_days: int | None = None, **details: Any) -> Fields:
        """`preparation_days`: a hearing_preparation deadline that many days before."""
        hearing_id = uuid.uuid4()

        def attempt() -> list[Fields]:
            now = self.clock()
            matter = self.matter_to_change(ctx, matter_id)
            if not matter.is_open:
                raise MatterClosed("the matter is closed")
            hearing = Hearing.schedule(
                hearing_id=hearing_id, matter_id=str(matter.id), case_id=matter.case_id,
                starts_at=starts_at, ends_at=ends_at, time_zone=time_zone,
                hearing_type=hearing_type, court=court, lawyer_id=matter.lawyer_id,
                now=now, **details)
            matter.link_hearing(str(hearing_id))
            changed: list[Any] = [hearing, matter]
            clashes: list[Fields] = []
            if matter.lawyer_id is not None:
                calendar = self.calendar(matter.lawyer_id)
                clashes = _clashes(calendar.clashes(hearing.starts_at, hearing.ends_at,
                                                    str(hearing_id), None))
                calendar.book(slot_id=str(hearing_id), case_id=matter.case_id, kind=HEARING,
                              starts_at=hearing.starts_at, ends_at=hearing.ends_at,
                              hearing_id=str(hearing_id), strict=False)
                changed.append(calendar)
            if preparation_days is not None:
                matter.set_deadline(deadline_id=str(uuid.uuid4()), kind="hearing_preparation",
                                    due_on=hearing.days_before(preparation_days), now=now,
                                    hearing_id=str(hearing_id), days_before=preparation_days)
            self.save(*changed, ctx=ctx)
            return clashes

        with domain_refusals():
            clashes = self.retrying(attempt)
        return {"hearing_id": str(hearing_id), "version": 1, "calendar_conflicts": clashes}

    def hearings_follow(self, matter: Matter, previous_lawyer_id: str | None,
                        now: datetime) -> list[Any]:
        """The matter's hearings still ahead, given to its new lawyer: each one's slot
        leaves the old lawyer's calendar and is booked in the new one's (never refused: the
        court set the time). What changed, to save with the matter in one transaction."""
        lawyer_id = matter.lawyer_id
        if lawyer_id is None:
            return []
        hearing_ids = list(matter.hearing_ids)
        if previous_lawyer_id is not None:  # also those set before matters linked hearings
            old = self.find(StaffCalendar, calendar_id(previous_lawyer_id), sealed=True)
            hearing_ids += [slot_id for slot_id, slot in (old.slots.items() if old else [])
                            if slot["kind"] == HEARING and slot["case_id"] == matter.case_id
                            and slot_id not in hearing_ids]
        calendars: dict[str, StaffCalendar] = {}

        def calendar(staff_id: str) -> StaffCalendar:
            if staff_id not in calendars:
                calendars[staff_id] = self.calendar(staff_id)
            return calendars[staff_id]

        hearings = []
        for hearing_id in hearing_ids:
            hearing = self.load(Hearing, hearing_id, sealed=True)
            was = hearing.lawyer_id
            if hearing.matter_id != str(matter.id) or not hearing.change_lawyer(lawyer_id, now):
                continue  # another matter of the case, held, cancelled, or theirs already
            if was is not None:
                calendar(was).release(hearing_id)
            calendar(lawyer_id).book(slot_id=hearing_id, case_id=matter.case_id, kind=HEARING,
                                     starts_at=hearing.starts_at, ends_at=hearing.ends_at,
                                     hearing_id=hearing_id, strict=False)
            hearings.append(hearing)
        return [*hearings, *calendars.values()]

    def _hearing_to_change(self, ctx: CommandContext, hearing_id: UUID) -> tuple[Hearing, Matter]:
        hearing = self.load(Hearing, hearing_id, sealed=True)
        return hearing, self.matter_to_change(ctx, UUID(hearing.matter_id))

    def move_hearing(self, ctx: CommandContext, hearing_id: UUID, starts_at: datetime,
                     ends_at: datetime, court: str | None = None,
                     room: str | None = None) -> Fields:
        """The court set a new time: the lawyer's slot, the derived deadlines and the
        accompaniments follow; an accompaniment whose companion is busy then is cancelled
        and named in the answer, so someone else can be found."""

        def attempt() -> list[str]:
            now = self.clock()
            hearing, matter = self._hearing_to_change(ctx, hearing_id)
            was = hearing.starts_at
            hearing.move(starts_at=starts_at, ends_at=ends_at, now=now, court=court, room=room)
            shift = hearing.starts_at - was
            changed: list[Any] = [hearing, matter]
            if hearing.lawyer_id is not None:
                calendar = self.calendar(hearing.lawyer_id)
                if str(hearing_id) in calendar.slots:
                    calendar.move(str(hearing_id), hearing.starts_at, hearing.ends_at,
                                  strict=False)
                    changed.append(calendar)
            for deadline_id, days in matter.derived_deadlines(str(hearing_id)).items():
                matter.move_deadline(deadline_id, hearing.days_before(days), now)
            dropped = []
            for session_id, staff_id in list(hearing.companions.items()):
                session = self.load(Session, session_id, sealed=True)
                calendar = self.calendar(staff_id)
                try:
                    calendar.move(session_id, session.starts_at + shift, session.ends_at + shift)
                    session.move(session.starts_at + shift, session.ends_at + shift)
                except StaffBusy:
                    calendar.release(session_id)
                    session.cancel("companion_unavailable", now)
                    hearing.drop_accompaniment(session_id)
                    dropped.append(session_id)
                changed += [session, calendar]
            self.save(*changed, ctx=ctx)
            return dropped

        with domain_refusals():
            dropped = self.retrying(attempt)
        return {"hearing_id": str(hearing_id), "accompaniments_cancelled": dropped}

    def cancel_hearing(self, ctx: CommandContext, hearing_id: UUID,
                       cancel_reason: str) -> Fields:
        """Its slots are released, its accompaniments and derived deadlines cancelled."""

        def attempt() -> None:
            now = self.clock()
            hearing, matter = self._hearing_to_change(ctx, hearing_id)
            hearing.cancel(cancel_reason, now)
            changed: list[Any] = [hearing, matter]
            for deadline_id in matter.derived_deadlines(str(hearing_id)):
                matter.close_deadline(deadline_id, "cancelled", now.date())
            bookings = [(str(hearing_id), hearing.lawyer_id), *hearing.companions.items()]
            for slot_id, staff_id in bookings:
                if staff_id is not None:
                    calendar = self.calendar(staff_id)
                    calendar.release(slot_id)
                    changed.append(calendar)
            for session_id in hearing.companions:
                session = self.load(Session, session_id, sealed=True)
                if session.status == "scheduled":
                    session.cancel("hearing_cancelled", now)
                    changed.append(session)
            self.save(*changed, ctx=ctx)

        with domain_refusals():
            self.retrying(attempt)
        return {"hearing_id": str(hearing_id)}

    def record_protective_measures(self, ctx: CommandContext, hearing_id: UUID,
                                   requested: list[str], granted: list[str],
                                   decided_on: date | None = None) -> Fields:
        on = decided_on or self.clock().date()
        return self._change(ctx, hearing_id,
                            lambda h: h.record_protective_measures(requested, granted, on))

    def record_hearing_outcome(self, ctx: CommandContext, hearing_id: UUID, outcome: str,
                               recorded_at: datetime | None = None) -> Fields:
        at = recorded_at or self.clock()
        return self._change(ctx, hearing_id, lambda h: h.record_outcome(outcome, at))

    def _change(self, ctx: CommandContext, hearing_id: UUID, change: Any) -> Fields:
        with domain_refusals():
            hearing, _ = self._hearing_to_change(ctx, hearing_id)
            change(hearing)
            self.save(hearing, ctx=ctx)
        return {"hearing_id": str(hearing_id)}

    def get_hearing(self, ctx: CommandContext, hearing_id: UUID) -> Fields:
        return self.load(Hearing, hearing_id, sealed=True).view()
