"""What every part of legal's application stands on: its store (calendar dates kept as
dates), legal's record of each case, the relation of a caller to a matter, and the log of
reads of a case's personal data.

The application (application.py) is this base plus one part per concern: matters
(matters.py), hearings (hearings.py), sessions (sessions.py), sharing and letters
(sharing.py, letters.py), casework's facts (casework_facts.py) and reminders (reminders.py).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder

from services.casework.store import DateAsISO  # one stored form of a date for every service
from services.legal.domain import CaseRecord, Matter, StaffCalendar
from services.legal.domain.access import check_may_change, may_read_personal_data
from services.legal.domain.ids import calendar_id, case_record_id
from shared.audit import CommandContext
from shared.errors import domain_refusals
from shared.eventstore import HavenApplication

Fields = dict[str, Any]


class LegalStore(HavenApplication):
    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    def case_record(self, case_id: UUID | str) -> CaseRecord:
        """Legal's record of the case, started the first time legal hears of the case."""
        return self.find(CaseRecord, case_record_id(case_id)) or CaseRecord.start(case_id)

    def calendar(self, staff_id: str) -> StaffCalendar:
        return self.find(StaffCalendar, calendar_id(staff_id)) or StaffCalendar.start(staff_id)

    def matter_to_change(self, ctx: CommandContext, matter_id: UUID) -> Matter:
        """The matter, sealed, if the caller may work on it (its lawyer or a supervisor)."""
        matter = self.load(Matter, matter_id, sealed=True)
        with domain_refusals():
            check_may_change(ctx.actor_role, ctx.actor_id, matter.lawyer_id)
        return matter

    def check_not_erased(self, matter_id: UUID | str) -> None:
        """Refuse (ClientErased) once the matter's client is erased, as the matter is stored
        now: called inside a retried attempt, just before the save, so an erasure recorded
        while the command ran (casework was being asked, say) is seen too."""
        self.load(Matter, matter_id, sealed=True).check_not_erased()

    def may_read(self, ctx: CommandContext, matter: Matter, purpose: str | None,
                 fields: list[str]) -> bool:
        """Whether the caller gets the matter's personal data now: they named a purpose and
        the need-to-know table allows it. Either way, a purpose is logged before anything
        leaves: a read that cannot be logged does not happen."""
        case = self.case_record(matter.case_id)
        allowed = may_read_personal_data(ctx.actor_role, ctx.actor_id, matter.lawyer_id,
                                         case.trusted_caseworker)
        if purpose is not None:
            self._log_read(ctx, matter.case_id, purpose, fields if allowed else None)
        return allowed and purpose is not None

    def _log_read(self, ctx: CommandContext, case_id: str, purpose: str,
                  fields: list[str] | None) -> None:
        """`fields`: what the caller gets; None: withheld from them."""
        def record() -> None:
            case = self.case_record(case_id)
            if fields is not None:
                case.record_read(actor_id=ctx.actor_id, role=ctx.actor_role, purpose=purpose,
                                 fields=fields, read_at=self.clock())
            else:
                case.record_withheld(actor_id=ctx.actor_id, role=ctx.actor_role,
                                     purpose=purpose, read_at=self.clock())
            self.save(case, ctx=ctx)

        with domain_refusals():
            self.retrying(record)
