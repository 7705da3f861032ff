"""Erasure: requested with a reason, approved by a second person who is a supervisor,
then the keys are shredded and `SubjectErased` recorded.

The approval is saved before any key is shredded, so the record of who approved
survives whatever happens next; shredding is idempotent, so an approval interrupted
half-way is completed by approving again. What is shredded: the client's subject,
the subject of anyone linked to the client's cases as a possible duplicate, each
case's own key (its notes, evidence, plan texts), and the client's blind-index rows in
the key store, which are deleted. Case facts, codes and countries stay: they are the statistics.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.casework.domain import Case, Client
from services.casework.domain.ids import access_log_id
from services.casework.store import CaseworkStore
from shared.audit import CommandContext
from shared.errors import domain_refusals

Fields = dict[str, Any]


class Erasure(CaseworkStore):
    def request_erasure(self, ctx: CommandContext, client_id: UUID,
                        erasure_reason: str, *, reads_nothing: bool = False) -> Fields:
        """A person's erasure, asked for by someone entitled to read the client -- or, with
        `reads_nothing`, by a policy (retention) that reads nothing and needs no access."""
        with domain_refusals():
            client = self.load(Client, client_id, sealed=True)
            if not reads_nothing:
                self.require_personal_data(ctx, client)
            client.request_erasure(requested_by=ctx.actor_id, erasure_reason=erasure_reason,
                                   requested_at=self.clock())
            self.save(client, ctx=ctx)
        return {"client_id": str(client.id), "status": "requested"}


    def reject_erasure(self, ctx: CommandContext, client_id: UUID) -> Fields:
        with domain_refusals():
            client = self.load(Client, client_id, sealed=True)
            client.reject_erasure(rejected_by=ctx.actor_id, rejected_at=self.clock())
            self.save(client, ctx=ctx)
        return {"client_id": str(client.id), "status": "rejected"}


    def approve_erasure(self, ctx: CommandContext, client_id: UUID) -> Fields:
        now = self.clock()
        with domain_refusals():
            # Sealed: erasure never depends on what the stored values are.
            client = self.load(Client, client_id, sealed=True)
            client.approve_erasure(approved_by=ctx.actor_id, approver_role=ctx.actor_role,
                                   approved_at=now)
            self.save(client, ctx=ctx)
            # The name no longer leads here: the index rows go, not just the keys.
            self.vault.release_index(str(client.id))

            cases = [self.load(Case, case_id, sealed=True) for case_id in client.case_ids]
            subject_ids = sorted({client.subject_id, *(c.candidate_subject_id for c in cases
                                                       if c.candidate_subject_id)})
            case_ids = [str(c.id) for c in cases]
            contact_ids = [c.contact_id for c in cases if c.contact_id]
            # The access log's own key seals the free-text reasons of emergency accesses.
            log_key = str(access_log_id(client.id))
            for key in (*subject_ids, *case_ids, log_key):
                self.vault.shred(key)

            def record() -> None:
                erased = self.load(Client, client_id, sealed=True)
                erased.record_erased(subject_ids=subject_ids, case_ids=case_ids,
                                     contact_ids=contact_ids, erased_at=now)
                changed = [self.load(Case, case_id, sealed=True) for case_id in case_ids]
                for case in changed:
                    case.record_erased(now)
                self.save(erased, *changed, ctx=ctx)

            self.retrying(record)
        return {"client_id": str(client_id), "status": "erased", "subject_ids": subject_ids,
                "case_ids": case_ids}
