"""Reading a case or a client: always the facts, personal data only as the need-to-know
table says (domain/access.py), each read -- and each attempt it withheld -- in the
person's access log first. Whoever may not see the person does not learn which client a
case belongs to either (a duplicate match must not lead a caller to another person)."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from services.casework.domain import AccessLog, Case, Client
from services.casework.domain.access import ASSIGNED, EMERGENCY, PERSONAL_DATA
from services.casework.domain.ids import access_log_id
from services.casework.store import CaseworkStore
from services.casework.views import case_detail, client_profile, person_of, personal_fields_of
from shared.audit import CommandContext
from shared.errors import domain_refusals

Fields = dict[str, Any]
SEE_LINKS = ("supervisor", "auditor")  # who sees which client a case is, without the person


class Reading(CaseworkStore):
    def case_detail(self, ctx: CommandContext, case_id: UUID,
                    purpose: str | None = None) -> Fields:
        """The case; with personal data when the caller may see it and says why."""
        case = self.load(Case, case_id, sealed=True)
        client = self.load(Client, case.client_id, sealed=True)
        granted = self._granted(ctx, client, case, purpose)
        if granted is None:
            detail = case_detail(case, client, self.clock(), personal=False)
            return self._withheld(ctx, detail, client, purpose, case)
        case, client = self.load(Case, case_id), self.load(Client, case.client_id)
        detail = case_detail(case, client, self.clock(), personal=True)
        self.record_read(ctx, client.id, str(case.id), str(purpose), personal_fields_of(detail),
                         emergency=granted == EMERGENCY)
        return {**detail, "personal_data": "included"}

    def client_detail(self, ctx: CommandContext, client_id: UUID,
                      purpose: str | None = None) -> Fields:
        client = self.load(Client, client_id, sealed=True)
        granted = self._granted(ctx, client, None, purpose)
        if granted is None:
            return self._withheld(ctx, client_profile(client), client, purpose)
        client = self.load(Client, client_id)
        self.record_read(ctx, client.id, None, str(purpose), ["person"],
                         emergency=granted == EMERGENCY)
        return {**client_profile(client), "person": person_of(client),
                "personal_data": "included"}

    def _granted(self, ctx: CommandContext, client: Client, case: Case | None,
                 purpose: str | None) -> str | None:
        """How the caller may read the person, or `case`, now ("relation" or EMERGENCY),
        or None; an attempt with a purpose that is refused goes in the person's log as
        withheld."""
        relations = self.relations_to(ctx, client, case)
        if not PERSONAL_DATA.allows(ctx.actor_role, relations):
            if purpose is not None:
                self.record_read(ctx, client.id, None if case is None else str(case.id),
                                 purpose, [], withheld=True)
            return None
        if purpose is None:
            return None
        emergency_only = EMERGENCY in relations and ASSIGNED not in relations \
            and ctx.actor_role == "caseworker"
        return EMERGENCY if emergency_only else "relation"

    def _withheld(self, ctx: CommandContext, detail: Fields, client: Client,
                  purpose: str | None, case: Case | None = None) -> Fields:
        allowed = self.may_read(ctx, client, case)
        if not allowed and ctx.actor_role not in SEE_LINKS:
            detail = {k: v for k, v in detail.items() if k not in ("client_id", "client")}
            if "case_ids" in detail:
                detail["case_ids"] = []
        note = None if allowed else PERSONAL_DATA.refusal(ctx.actor_role)
        return {**detail, "personal_data": "withheld" if not allowed else "not_requested",
                "personal_data_note": note}

    def record_personal_data_read(self, ctx: CommandContext, case_id: UUID, purpose: str,
                                  fields: list[str]) -> None:
        """A read made outside the case views (an auditor's reveal) goes in the same log."""
        case = self.load(Case, case_id, sealed=True)
        self.record_read(ctx, case.client_id, str(case.id), purpose, fields)

    def access_log(self, ctx: CommandContext, case_id: UUID | None = None,
                   client_id: UUID | None = None) -> Fields:
        """Every read of the person's data (whichever case, service or route it went
        through), oldest first; the case's own reads are the ones naming it."""
        if case_id is not None:
            client_id = UUID(self.load(Case, case_id, sealed=True).client_id)
        assert client_id is not None
        self.load(Client, client_id, sealed=True)
        found = self.find(AccessLog, access_log_id(client_id))
        return {"items": [dict(e) for e in (found.entries if found is not None else [])]}

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
