"""A hearing: when and where (with its time zone), before whom, of what type, with an
interpreter or not, accompanied or not, with the protective measures requested and
granted, and its outcome. Its reminders (48 h and 24 h before) are computed when it is
set or moved and recorded, once each, when a poll finds them due (domain/reminders.py).
Its lawyer is the matter's: when a supervisor assigns the matter another lawyer, a hearing
still ahead changes lawyer with it (reminders go to whoever it names when they fall due).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

from services.legal.domain.reminders import HEARING_REMINDERS, hearing_reminders, token
from services.legal.domain.rules import (
    AlreadyDone,
    InvalidValue,
    code,
    codes,
    day,
    languages,
    moment,
    optional,
    span,
    staff,
    text,
    zone,
)
from services.legal.vocabulary import (
    CancelReason,
    HearingOutcome,
    HearingType,
    ProtectiveMeasure,
)

MAX_PLACE = 200
SCHEDULED, CANCELLED, HELD = "scheduled", "cancelled", "held"


class Hearing(Aggregate):
    @classmethod
    def schedule(cls, *, hearing_id: UUID, matter_id: str, case_id: str, starts_at: datetime,
                 ends_at: datetime, time_zone: str, hearing_type: str, court: str,
                 lawyer_id: str | None, now: datetime, room: str | None = None,
                 judge: str | None = None, interpreter_needed: bool = False,
                 interpreter_language: str | None = None, accompaniment_needed: bool = False,
                 measures_requested: tuple[str, ...] | list[str] = ()) -> Hearing:
        start, end = span(starts_at, ends_at)
        if interpreter_needed != (interpreter_language is not None):
            raise InvalidValue("interpreter_language", "is required exactly when an"
                                                       " interpreter is needed")
        return cls(id=hearing_id, matter_id=str(matter_id), case_id=str(case_id),
                   starts_at=start, ends_at=end, time_zone=zone(time_zone),
                   hearing_type=code(HearingType, hearing_type, "hearing_type"),
                   court=text(court, "court", MAX_PLACE),
                   room=optional(text, room, "room", 50),
                   judge=optional(text, judge, "judge", MAX_PLACE),
                   lawyer_id=optional(staff, lawyer_id, "lawyer_id"),
                   interpreter_needed=bool(interpreter_needed),
                   interpreter_language=optional(_language, interpreter_language),
                   accompaniment_needed=bool(accompaniment_needed),
                   measures_requested=codes(ProtectiveMeasure, measures_requested,
                                            "measures_requested"),
                   reminders=hearing_reminders(start, moment(now, "now")))

    @event("HearingScheduled")
    def __init__(self, id: UUID, matter_id: str, case_id: str,  # noqa: A002
                 starts_at: datetime, ends_at: datetime, time_zone: str, hearing_type: str,
                 court: str, room: str | None, judge: str | None, lawyer_id: str | None,
                 interpreter_needed: bool, interpreter_language: str | None,
                 accompaniment_needed: bool, measures_requested: list[str],
                 reminders: dict[str, datetime]):
        self.matter_id, self.case_id = matter_id, case_id
        self.starts_at, self.ends_at, self.time_zone = starts_at, ends_at, time_zone
        self.hearing_type, self.court, self.room, self.judge = hearing_type, court, room, judge
        self.lawyer_id = lawyer_id
        self.interpreter_needed, self.interpreter_language = (interpreter_needed,
                                                              interpreter_language)
        self.accompaniment_needed = accompaniment_needed
        self.measures_requested = list(measures_requested)
        self.measures_granted: list[str] = []
        self.status = SCHEDULED
        self.outcome: str | None = None
        self.companions: dict[str, str] = {}  # accompaniment session id -> staff id
        self.reminded: list[str] = []  # "<kind>@<token>"

    def _check_scheduled(self) -> None:
        if self.status != SCHEDULED:
            raise AlreadyDone(f"the hearing is {self.status}")

    def move(self, *, starts_at: datetime, ends_at: datetime, now: datetime,
             court: str | None = None, room: str | None = None) -> None:
        """The court set another date (and perhaps another room): reminders follow."""
        self._check_scheduled()
        start, end = span(starts_at, ends_at)
        if start == self.starts_at and end == self.ends_at and court is None and room is None:
            raise AlreadyDone("the hearing is already set for that time")
        self._move(case_id=self.case_id, matter_id=self.matter_id, starts_at=start, ends_at=end,
                   previous_starts_at=self.starts_at,
                   court=optional(text, court, "court", MAX_PLACE) or self.court,
                   room=optional(text, room, "room", 50) or self.room,
                   reminders=hearing_reminders(start, moment(now, "now")))

    @event("HearingMoved")
    def _move(self, case_id: str, matter_id: str, starts_at: datetime, ends_at: datetime,
              previous_starts_at: datetime, court: str, room: str | None,
              reminders: dict[str, datetime]) -> None:
        self.starts_at, self.ends_at, self.court, self.room = starts_at, ends_at, court, room

    def change_lawyer(self, lawyer_id: str, changed_at: datetime) -> bool:
        """The matter has a new lawyer: a hearing still ahead is theirs (their calendar,
        their reminders). One held or cancelled keeps the lawyer it had."""
        lawyer_id = staff(lawyer_id, "lawyer_id")
        if self.status != SCHEDULED or lawyer_id == self.lawyer_id:
            return False
        self._lawyer(case_id=self.case_id, matter_id=self.matter_id, lawyer_id=lawyer_id,
                     previous_lawyer_id=self.lawyer_id,
                     changed_at=moment(changed_at, "changed_at"))
        return True

    @event("HearingLawyerChanged")
    def _lawyer(self, case_id: str, matter_id: str, lawyer_id: str,
                previous_lawyer_id: str | None, changed_at: datetime) -> None:
        self.lawyer_id = lawyer_id

    def cancel(self, reason: str, cancelled_at: datetime) -> None:
        self._check_scheduled()
        self._cancel(case_id=self.case_id, matter_id=self.matter_id,
                     reason=code(CancelReason, reason, "reason"),
                     cancelled_at=moment(cancelled_at, "cancelled_at"))

    @event("HearingCancelled")
    def _cancel(self, case_id: str, matter_id: str, reason: str, cancelled_at: datetime) -> None:
        self.status = CANCELLED

    def record_protective_measures(self, requested: list[str], granted: list[str],
                                   decided_on: date) -> None:
        """What the lawyer asked the court for, and what the court granted."""
        self._measures(case_id=self.case_id,
                       requested=codes(ProtectiveMeasure, requested, "measures_requested"),
                       granted=codes(ProtectiveMeasure, granted, "measures_granted"),
                       decided_on=day(decided_on, "decided_on"))

    @event("ProtectiveMeasuresRecorded")
    def _measures(self, case_id: str, requested: list[str], granted: list[str],
                  decided_on: date) -> None:
        self.measures_requested, self.measures_granted = list(requested), list(granted)

    def record_outcome(self, outcome: str, recorded_at: datetime) -> None:
        self._check_scheduled()
        self._outcome(case_id=self.case_id, matter_id=self.matter_id,
                      outcome=code(HearingOutcome, outcome, "outcome"),
                      recorded_at=moment(recorded_at, "recorded_at"))

    @event("HearingOutcomeRecorded")
    def _outcome(self, case_id: str, matter_id: str, outcome: str,
                 recorded_at: datetime) -> None:
        self.status, self.outcome = HELD, outcome

    # -- accompaniment ----------------------------------------------------------------
    def arrange_accompaniment(self, session_id: str, staff_id: str) -> None:
        self._check_scheduled()
        self._accompany(case_id=self.case_id, session_id=session_id, staff_id=staff_id)

    @event("AccompanimentArranged")
    def _accompany(self, case_id: str, session_id: str, staff_id: str) -> None:
        self.companions[session_id] = staff_id

    def drop_accompaniment(self, session_id: str) -> None:
        if session_id in self.companions:
            self._drop(case_id=self.case_id, session_id=session_id)

    @event("AccompanimentDropped")
    def _drop(self, case_id: str, session_id: str) -> None:
        self.companions.pop(session_id, None)

    # -- reminders ----------------------------------------------------------------------
    def remind(self, reminder: str, for_starts_at: str, at: datetime) -> bool:
        """False when nothing is due: cancelled, held, moved since, or reminded already."""
        mark = f"{reminder}@{for_starts_at}"
        if (self.status != SCHEDULED or reminder not in HEARING_REMINDERS
                or token(self.starts_at) != for_starts_at or mark in self.reminded):
            return False
        self._remind(case_id=self.case_id, matter_id=self.matter_id, reminder=reminder,
                     starts_at=self.starts_at, time_zone=self.time_zone,
                     hearing_type=self.hearing_type, lawyer_id=self.lawyer_id,
                     accompanied_by=sorted(set(self.companions.values())),
                     interpreter_needed=self.interpreter_needed,
                     interpreter_language=self.interpreter_language,
                     accompaniment_needed=self.accompaniment_needed, reminded_at=at)
        return True

    @event("HearingReminderDue")
    def _remind(self, case_id: str, matter_id: str, reminder: str, starts_at: datetime,
                time_zone: str, hearing_type: str, lawyer_id: str | None,
                accompanied_by: list[str], interpreter_needed: bool,
                interpreter_language: str | None, accompaniment_needed: bool,
                reminded_at: datetime) -> None:
        self.reminded.append(f"{reminder}@{token(starts_at)}")

    def days_before(self, days: int) -> date:
        """The calendar day `days` before the hearing's own (local) day."""
        return self.starts_at.astimezone(ZoneInfo(self.time_zone)).date() - timedelta(days=days)

    def view(self) -> dict[str, Any]:
        return {"hearing_id": str(self.id), "version": self.version,
                **{name: getattr(self, name) for name in (
                    "matter_id", "case_id", "starts_at", "ends_at", "time_zone", "hearing_type",
                    "court", "room", "judge", "lawyer_id", "interpreter_needed",
                    "interpreter_language", "accompaniment_needed", "measures_requested",
                    "measures_granted", "status", "outcome")},
                "accompanied_by": sorted(set(self.companions.values()))}


def _language(value: str) -> str:
    return languages([value], "interpreter_language")[0]
