"""Reading a case or a client: always the facts, personal data only to those the access
policy names (domain/access.py), each such read in the client's access log first."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from services.casework.domain import AccessLog, Case, Client
from services.casework.domain.access import may_read_personal_data
from services.casework.domain.ids import access_log_id
from services.casework.store import CaseworkStore
from services.casework.views import case_detail, client_profile, person_of, personal_fields_of
from shared.audit import CommandContext
from shared.errors import domain_refusals

Fields = dict[str, Any]


class Reading(CaseworkStore):
    def case_detail(self, ctx: CommandContext, case_id: UUID,
                    purpose: str | None = None) -> Fields:
        """The case; with personal data when the caller may see it and says why."""
        case = self.load(Case, case_id, sealed=True)
        allowed = may_read_personal_data(ctx.actor_role, ctx.actor_id, [case.caseworker_id])
        if purpose is None or not allowed:
            detail = case_detail(case, self.load(Client, case.client_id, sealed=True),
                                 self.clock(), personal=False)
            return {**detail, "personal_data": "withheld" if not allowed else "not_requested"}
        case = self.load(Case, case_id)
        client = self.load(Client, case.client_id)
        detail = case_detail(case, client, self.clock(), personal=True)
        with domain_refusals():
            self.record_read(ctx, client.id, str(case.id), purpose, personal_fields_of(detail))
        return {**detail, "personal_data": "included"}

    def client_detail(self, ctx: CommandContext, client_id: UUID,
                      purpose: str | None = None) -> Fields:
        client = self.load(Client, client_id, sealed=True)
        allowed = may_read_personal_data(ctx.actor_role, ctx.actor_id,
                                         self.caseworkers_of(client))
        if purpose is None or not allowed:
            return {**client_profile(client),
                    "personal_data": "withheld" if not allowed else "not_requested"}
        client = self.load(Client, client_id)
        with domain_refusals():
            self.record_read(ctx, client.id, None, purpose, ["person"])
        return {**client_profile(client), "person": person_of(client),
                "personal_data": "included"}

    def record_personal_data_read(self, ctx: CommandContext, case_id: UUID, purpose: str,
                                  fields: list[str]) -> None:
        """A read made outside the case views (an auditor's reveal) goes in the same log."""
        case = self.load(Case, case_id, sealed=True)
        with domain_refusals():
            self.record_read(ctx, UUID(case.client_id), str(case.id), purpose, fields)

    def access_log(self, ctx: CommandContext, case_id: UUID | None = None,
                   client_id: UUID | None = None) -> Fields:
        if case_id is not None:
            client_id = UUID(self.load(Case, case_id, sealed=True).client_id)
        assert client_id is not None
        self.load(Client, client_id, sealed=True)
        found = self.find(AccessLog, access_log_id(client_id))
        entries = found.entries if found is not None else []
        return {"items": [dict(e) for e in entries
                          if case_id is None or e["case_id"] == str(case_id)]}

    def may_share(self, ctx: CommandContext, case_id: UUID, purpose: str, recipient: str,
                  on: date | None = None) -> Fields:
        case = self.load(Case, case_id, sealed=True)
        day = on or self.clock().date()
        with domain_refusals():
            verdict = case.may_share(purpose, recipient, day)
        record = verdict.record
        return {"case_id": str(case.id), "purpose": purpose, "recipient": recipient, "on": day,
                "allowed": verdict.allowed, "reason": verdict.reason,
                "consent": None if record is None else {
                    "recipient": verdict.recipient,
                    **{k: record[k] for k in ("decision", "decided_on", "expires_on",
                                              "revoked_on")}}}
