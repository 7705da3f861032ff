"""Reading a contact or the callback list: codes and times for everyone the policy admits,
personal data only as the need-to-know table says (access.py), every read -- and every
attempt it withheld -- logged first, and published so that the person's one access log in
casework shows it too."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.intake.access import (
    CALLBACK_NUMBERS,
    CONTACT_DATA,
    CONTACT_PERSONAL,
    EMERGENCY,
    ON_DUTY,
    ReadLog,
    contact_relations,
    read_log_id,
)
from services.intake.domain import Contact, MissedCall
from services.intake.links import CaseLinks
from shared.audit import CommandContext
from shared.errors import domain_refusals

Fields = dict[str, Any]
DEFAULT_PURPOSE = "case_work"


class Reading(CaseLinks):
    def get_contact(self, ctx: CommandContext, contact_id: UUID,
                    purpose: str = DEFAULT_PURPOSE) -> Fields:
        """The contact; its narrative, callback number and referred person only to those
        who need to know (and always logged)."""
        contact = self.load(Contact, contact_id)
        case = self.known_case(contact.case_id) if contact.case_id else None
        relations = contact_relations(ctx.actor_id, contact, case, self.clock())
        allowed = CONTACT_DATA.allows(ctx.actor_role, relations)
        detail = _detail(contact)
        personal = [name for name in CONTACT_PERSONAL if _has(detail, name)]
        if personal or not allowed:
            emergency = EMERGENCY in relations and len(relations) == 1
            self._log_reads(ctx, [(contact.id, "contact", contact.case_id)], purpose,
                            personal, withheld=not allowed, emergency=emergency)
        if allowed:
            return {**detail, "personal_data": "included"}
        return {**_without_personal(detail), "personal_data": "withheld",
                "personal_data_note": CONTACT_DATA.refusal(ctx.actor_role)}

    def pending_callbacks(self, ctx: CommandContext, limit: int = 100) -> Fields:
        """Oldest first; the numbers to call only to the operators on duty and supervisors:
        unsealed here (the read model has none), each one logged."""
        items = self.views.pending_callbacks(limit)
        on_duty = {s["operator_id"] for s in self.views.on_duty(self.clock())["on_duty"]}
        relations = {ON_DUTY} if ctx.actor_id in on_duty else set()
        allowed = CALLBACK_NUMBERS.allows(ctx.actor_role, relations)
        numbers = [i for i in items if i["has_callback_contact"]]
        if numbers:
            self._log_reads(ctx, [(i["missed_call_id"], "missed_call", None) for i in numbers],
                            DEFAULT_PURPOSE, ["callback_contact"], withheld=not allowed,
                            emergency=False)
        answer: Fields = {"items": [{**i, "callback_contact": self.load(
            MissedCall, i["missed_call_id"]).callback_contact
            if allowed and i["has_callback_contact"] else None} for i in items]}
        if not allowed:
            answer["personal_data_note"] = CALLBACK_NUMBERS.refusal(ctx.actor_role)
        return answer

    def _log_reads(self, ctx: CommandContext, records: list[tuple[Any, str, str | None]],
                   purpose: str, fields: list[str], withheld: bool, emergency: bool) -> None:
        """Logged before the data leaves: a read that cannot be logged does not happen."""
        def record() -> None:
            logs = []
            for record_id, kind, case_id in records:
                log = self.find(ReadLog, read_log_id(record_id)) \
                    or ReadLog.start(record_id, kind)
                log.record_read(actor_id=ctx.actor_id, role=ctx.actor_role, purpose=purpose,
                                case_id=case_id, fields=fields, read_at=self.clock(),
                                withheld=withheld, emergency=emergency)
                logs.append(log)
            self.save(*logs, ctx=ctx)

        with domain_refusals():
            self.retrying(record)


def _detail(contact: Contact) -> Fields:
    screening, referral = contact.screening, contact.referral
    return {
        "contact_id": str(contact.id), "status": "closed" if contact.closed else "open",
        **{k: getattr(contact, k) for k in (
            "channel", "direction", "started_at", "ended_at", "duration_seconds",
            "language", "interpreter_used", "caller_type", "topic", "urgency",
            "operator_id", "outcome", "case_id", "case_reference", "summary",
            "callback_contact")},
        "assessment": screening.assessment if screening else None,
        "referred": referral is not None,
        "screening": vars(screening) if screening else None,
        "referral": {**vars(referral), "person": contact.person} if referral else None,
    }


def _has(detail: Fields, name: str) -> bool:
    if name == "person":
        return detail["referral"] is not None
    return detail[name] is not None


def _without_personal(detail: Fields) -> Fields:
    withheld = {**detail, "summary": None, "callback_contact": None}
    if detail["referral"] is not None:
        withheld["referral"] = {k: v for k, v in detail["referral"].items()
                                if k not in ("person", "blind_index")}
    return withheld
