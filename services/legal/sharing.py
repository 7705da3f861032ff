"""Consent-gated sharing: a document or a letter goes to a recipient outside the centre
only on casework's word, asked at that moment (casework_desk.py), and only if legal's own
view of the case does not already know that consent to be revoked. Every disclosure names
the consent it relied on. A pending disclosure is asked about again when it is released,
and is cancelled when casework revokes (or refuses) the consent it relied on. Once the
client is erased nothing is shared, prepared or released any more (Matter.check_not_erased).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from services.legal.casework_desk import ask_casework
from services.legal.domain import CaseRecord, Disclosure, Letter
from services.legal.domain.letters import Consent, consent_relied_on, share_purpose
from services.legal.domain.rules import ConsentNotHeld, InvalidValue
from services.legal.store import Fields, LegalStore
from services.legal.views import disclosure_detail
from shared.audit import CommandContext
from shared.errors import Unavailable, domain_refusals
from shared.metrics import LEGAL_CONSENT_CHECKS

Ask = Callable[[CommandContext, str, str, str], Fields]


class Sharing(LegalStore):
    # The question to casework (a port: tests hand it a casework application of their own).
    ask_casework: Ask = staticmethod(ask_casework)

    def consent_now(self, ctx: CommandContext, case_id: str, purpose: str,
                    recipient: str) -> Consent:
        """The consent casework holds now; ConsentNotHeld or Unavailable otherwise."""
        try:
            answer = self.ask_casework(ctx, case_id, purpose, recipient)
        except Unavailable:
            LEGAL_CONSENT_CHECKS.labels("unavailable").inc()
            raise
        LEGAL_CONSENT_CHECKS.labels("allowed" if answer.get("allowed") else "refused").inc()
        return consent_relied_on(answer, purpose, recipient)

    def share_with_authority(self, ctx: CommandContext, matter_id: UUID, recipient_type: str,
                             recipient: str, document: str | None = None,
                             letter_id: UUID | None = None, purpose: str | None = None,
                             pending: bool = False, channel: str = "post") -> Fields:
        """Share now, or (`pending`) prepare a disclosure to release later. A letter shared
        now is sent now (by `channel`)."""
        matter = self.matter_to_change(ctx, matter_id)
        with domain_refusals():
            matter.check_not_erased()  # before casework is asked anything
            purpose = share_purpose(recipient_type, purpose)
            if purpose is None:
                raise InvalidValue("recipient_type", "the client and the employer are written"
                                                     " to (send a letter), not disclosed to")
            if letter_id is not None:
                self._letter_of(matter.case_id, str(matter.id), letter_id, recipient_type,
                                recipient)
            consent = self.consent_now(ctx, matter.case_id, purpose, recipient)
        disclosure_id, now = uuid.uuid4(), self.clock()

        def attempt() -> None:
            case = self.case_record(matter.case_id)
            disclosure = Disclosure.prepare(
                disclosure_id=disclosure_id, case_id=matter.case_id, matter_id=str(matter.id),
                recipient_type=recipient_type, recipient=recipient, purpose=purpose,
                letter_id=None if letter_id is None else str(letter_id), document=document,
                consent=consent, prepared_at=now)
            more: list[Any] = []
            if pending:
                self.check_not_erased(matter.id)  # again: casework took its time answering
                case.check_not_withdrawn(consent)
                case.hold_pending(str(disclosure_id), consent, recipient)
            else:
                more = self._make(disclosure, case, consent, channel, now)
            self.save(disclosure, case, *more, ctx=ctx)

        with domain_refusals():
            self.retrying(attempt)
        return {"disclosure_id": str(disclosure_id), "status": "pending" if pending else "made",
                "consent": consent}

    def _letter_of(self, case_id: str, matter_id: str, letter_id: UUID, recipient_type: str,
                   recipient: str) -> Letter:
        letter = self.load(Letter, letter_id, sealed=True)
        if letter.matter_id != matter_id or letter.case_id != case_id:
            raise InvalidValue("letter_id", "is not a letter of this matter")
        if (letter.recipient_type, letter.recipient) != (recipient_type, recipient):
            raise InvalidValue("recipient", "a letter goes to the recipient it is addressed to")
        return letter

    def release_disclosure(self, ctx: CommandContext, disclosure_id: UUID,
                           channel: str = "post") -> Fields:
        """Share a pending disclosure now: casework is asked again; on anything but yes the
        disclosure is cancelled (its consent no longer holds) and the release refused."""
        disclosure = self.load(Disclosure, disclosure_id, sealed=True)
        matter = self.matter_to_change(ctx, UUID(disclosure.matter_id))
        now = self.clock()
        with domain_refusals():
            matter.check_not_erased()
            try:
                consent = self.consent_now(ctx, disclosure.case_id, disclosure.purpose,
                                           disclosure.recipient)
                self._settle(ctx, disclosure_id,
                             lambda d, case: self._make(d, case, consent, channel, now))
            except ConsentNotHeld:
                self._settle(ctx, disclosure_id,
                             lambda d, case: d.cancel("consent_not_held", now))
                raise
        return {"disclosure_id": str(disclosure_id), "status": "made", "consent": consent}

    def _make(self, disclosure: Disclosure, case: CaseRecord, consent: Consent, channel: str,
              now: datetime) -> list[Any]:
        self.check_not_erased(disclosure.matter_id)  # as stored now, after casework answered
        case.check_not_withdrawn(consent)
        disclosure.make(consent, now)
        if disclosure.letter_id is None:
            return []
        letter = self.load(Letter, disclosure.letter_id, sealed=True)
        letter.send(sent_on=now.date(), channel=channel, disclosure_id=str(disclosure.id))
        return [letter]

    def withdraw_disclosure(self, ctx: CommandContext, disclosure_id: UUID) -> Fields:
        disclosure = self.load(Disclosure, disclosure_id, sealed=True)
        self.matter_to_change(ctx, UUID(disclosure.matter_id))
        now = self.clock()
        with domain_refusals():
            self._settle(ctx, disclosure_id, lambda d, case: d.cancel("withdrawn", now))
        return {"disclosure_id": str(disclosure_id), "status": "cancelled"}

    def _settle(self, ctx: CommandContext, disclosure_id: UUID,
                change: Callable[[Disclosure, CaseRecord], Any]) -> None:
        """Change a pending disclosure and take it off the case's pending list, together."""
        def attempt() -> None:
            disclosure = self.load(Disclosure, disclosure_id, sealed=True)
            case = self.case_record(disclosure.case_id)
            more = change(disclosure, case) or []
            case.settle(str(disclosure.id))
            self.save(disclosure, case, *more, ctx=ctx)

        self.retrying(attempt)

    def cancel_pending(self, case: CaseRecord, disclosure_ids: list[str], reason: str,
                       now: datetime) -> list[Disclosure]:
        """For a policy: the case's pending disclosures cancelled (save them with the case)."""
        cancelled = []
        for disclosure_id in disclosure_ids:
            disclosure = self.load(Disclosure, disclosure_id, sealed=True)
            if disclosure.status == "pending":
                disclosure.cancel(reason, now)
                cancelled.append(disclosure)
            case.settle(disclosure_id)
        return cancelled

    def get_disclosure(self, ctx: CommandContext, disclosure_id: UUID) -> Fields:
        return disclosure_detail(self.load(Disclosure, disclosure_id, sealed=True))

