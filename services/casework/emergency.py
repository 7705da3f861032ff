"""Emergency ("break-the-glass") access: a caseworker not assigned to a person opens their
data in an emergency -- with a reason code and a free text, for a limited time
(HAVEN_EMERGENCY_ACCESS_MINUTES, one hour by default) -- and supervisors are told at once
(the `EmergencyAccessGranted` event) and confirm or flag it afterwards. Every read under
it is marked as an emergency in the person's access log."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.casework.domain import AccessLog, Case, Client
from services.casework.domain.ids import access_log_id
from services.casework.store import CaseworkStore
from shared.audit import CommandContext
from shared.consumers import policy_context
from shared.errors import domain_refusals
from shared.messaging import Envelope

Fields = dict[str, Any]


class EmergencyAccess(CaseworkStore):
    def break_the_glass(self, ctx: CommandContext, case_id: UUID, reason_code: str,
                        reason_text: str) -> Fields:
        case = self.load(Case, case_id, sealed=True)
        client = self.load(Client, case.client_id, sealed=True)
        grant_id = str(uuid.uuid4())
        # The cases the grant reaches in other services (the helpline's contacts): not one
        # still awaiting its duplicate review -- it may be someone else's, and the grant
        # does not open it here either (domain/access.py).
        case_ids = [other for other in client.case_ids if not self.load(
            Case, other, sealed=True).awaiting_duplicate_review]

        def grant() -> AccessLog:
            log = self.find(AccessLog, access_log_id(client.id)) or AccessLog.start(client.id)
            log.grant_emergency_access(
                grant_id=grant_id, actor_id=ctx.actor_id, role=ctx.actor_role,
                case_id=str(case.id), case_ids=case_ids, reason_code=reason_code,
                reason_text=reason_text, granted_at=self.clock(),
                minutes=self.settings.emergency_access_minutes)
            self.save(log, ctx=ctx)
            return log

        with domain_refusals():
            log = self.retrying(grant)
        return {"case_id": str(case.id), **log.grants[grant_id]}

    def review_emergency_access(self, ctx: CommandContext, case_id: UUID, grant_id: UUID,
                                outcome: str) -> Fields:
        case = self.load(Case, case_id, sealed=True)

        def review() -> AccessLog:
            log = self.load(AccessLog, access_log_id(case.client_id))
            log.review_emergency_access(grant_id=str(grant_id), outcome=outcome,
                                        reviewed_by=ctx.actor_id, reviewed_at=self.clock())
            self.save(log, ctx=ctx)
            return log

        with domain_refusals():
            log = self.retrying(review)
        return {"case_id": str(case.id), **log.grants[str(grant_id)]}

    def record_read_elsewhere(self, read: Fields, envelope: Envelope,
                              tracking: Tracking) -> None:
        """Policy for another service's reads of personal data (the helpline's contact
        details): into the person's one access log, when the record belongs to a case."""
        if read["case_id"] is None:
            return  # a contact no case came of: its own service's log keeps it
        case = self.find(Case, read["case_id"], sealed=True)
        if case is None:
            return  # a case this service never opened: nothing of ours to log it on
        ctx = policy_context(envelope, self.name, "record_read")
        actor = CommandContext(actor_id=read["actor_id"], actor_role=read["role"],
                               command=ctx.command, correlation_id=ctx.correlation_id,
                               causation_id=ctx.causation_id)

        def record() -> None:
            log = self.find(AccessLog, access_log_id(case.client_id)) \
                or AccessLog.start(case.client_id)
            log.record_read(actor_id=read["actor_id"], role=read["role"],
                            purpose=read["purpose"], case_id=str(case.id), fields=read["fields"],
                            read_at=read["read_at"], service=envelope.source,
                            withheld=read["outcome"] == "withheld",
                            emergency=read["emergency"])
            self.save(log, ctx=actor, tracking=tracking)

        self.retrying(record, tracking)
