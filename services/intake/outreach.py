"""Outreach at intake: recording consultations with state and local bodies and prevention
activities, taking a wrong record back, and the queries of their read models
(outreach_projections.py). A part of intake's application (application.py).

Nothing here is personal data: institutions, codes and counts. Time is read here, never in
the domain.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.intake.outreach_domain import Consultation, PreventionActivity
from services.intake.outreach_projections import OutreachViews
from shared.audit import CommandContext
from shared.commands import changing
from shared.errors import domain_refusals
from shared.eventstore import HavenApplication

Fields = dict[str, Any]


class Outreach(HavenApplication):
    views: OutreachViews

    def record_consultation(self, ctx: CommandContext, **values: Any) -> Fields:
        return {"consultation_id": self._new_record(Consultation, ctx, values)}

    def complete_consultation_follow_up(self, ctx: CommandContext, consultation_id: UUID,
                                        done_at: datetime | None = None) -> Fields:
        with changing(self, Consultation, consultation_id, ctx) as consultation:
            consultation.complete_follow_up(done_at or self.clock())
        return {"consultation_id": consultation.id}

    def record_prevention_activity(self, ctx: CommandContext, **values: Any) -> Fields:
        return {"activity_id": self._new_record(PreventionActivity, ctx, values)}

    def _new_record(self, kind: type[Consultation | PreventionActivity], ctx: CommandContext,
                values: Fields) -> UUID:
        """Either kind of outreach record, stamped with who recorded it and when."""
        with domain_refusals():
            record = kind.record(recorded_by=ctx.actor_id, recorded_at=self.clock(), **values)
            self.save(record, ctx=ctx)
        return record.id

    def withdraw_outreach_record(self, ctx: CommandContext, record_id: UUID,
                                 withdrawal_reason: str) -> Fields:
        """A supervisor takes back a record made in error (or a duplicate, or an activity
        cancelled): it leaves the figures, and the log keeps who, when and why (a code)."""
        record = self.find(Consultation, record_id) or self.load(PreventionActivity, record_id)
        with domain_refusals():
            record.withdraw(withdrawal_reason, self.clock())
            self.save(record, ctx=ctx)
        return {"record_id": record.id, "withdrawn": True}

    # -- read models ---------------------------------------------------------------------
    def consultation_list(self, ctx: CommandContext, **filters: Any) -> Fields:
        return self.views.consultations(**filters)

    def prevention_activity_list(self, ctx: CommandContext, **filters: Any) -> Fields:
        return self.views.prevention_activities(**filters)

    def outreach_stats(self, ctx: CommandContext, month: str) -> Fields:
        return self.views.outreach_stats(month)
