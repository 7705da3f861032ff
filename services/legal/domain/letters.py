"""Letters and disclosures.

A letter is drafted from a template (its body, rendered by the application, is personal
data sealed under the case's key) and its sending is recorded with recipient and date.
A disclosure is the sharing of a letter or a document with a recipient outside the
centre: it names the consent casework held for that purpose and recipient at the moment
it was decided -- a pending disclosure is cancelled when that consent is revoked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.legal.domain.rules import (
    AlreadyDone,
    ConsentNotHeld,
    InvalidValue,
    code,
    day,
    moment,
    optional,
    pattern,
    text,
)
from services.legal.vocabulary import (
    RECIPIENT_CODE,
    SHARE_PURPOSE,
    DeliveryChannel,
    DisclosureCancel,
    Recipient,
    SharePurpose,
)

MAX_DOCUMENT = 1_000
UNGATED = ("client", "employer")  # the client, and the other side of the client's own claim
Consent = dict[str, Any]  # purpose, recipient, decided_on, expires_on (ISO dates)


def share_purpose(recipient_type: str, purpose: str | None) -> str | None:
    """The consent purpose sharing with this recipient needs: an authority's own (police:
    share_with_police, ...), none for the client or the employer, and for "other" the one
    the lawyer names -- never an authority's, so that a consent to share with the police
    cannot be used to share with anyone called "other"."""
    recipient_type = code(Recipient, recipient_type, "recipient_type")
    needed = SHARE_PURPOSE.get(recipient_type)
    if needed is not None:
        if purpose not in (None, needed):
            raise InvalidValue("purpose", f"sharing with a {recipient_type} needs {needed}")
        return needed
    if recipient_type in UNGATED:
        return None
    purpose = code(SharePurpose, purpose, "purpose") if purpose is not None else None
    if purpose is None or purpose in SHARE_PURPOSE.values():
        raise InvalidValue("purpose", "name the consent purpose for this recipient (not an"
                                      " authority's)")
    return purpose


def recipient_address_for(recipient_type: str, address: str | None) -> str | None:
    """The address a letter may print: an organisation's, never the client's -- where a
    client lives may be a shelter, whose address no letter carries. A letter to the client
    is handed over by the caseworker."""
    if address is not None and code(Recipient, recipient_type, "recipient_type") == "client":
        raise InvalidValue("recipient_address", "a letter to the client carries no address"
                                                " (it may be a shelter's); the caseworker"
                                                " hands it over")
    return address


def consent_relied_on(answer: dict[str, Any], purpose: str, recipient: str) -> Consent:
    """Casework's answer to "may we share?" as the consent a disclosure names; refused
    (fail-closed) unless casework said yes and named the consent."""
    consent = answer.get("consent")
    if not answer.get("allowed") or not consent:
        raise ConsentNotHeld(f"casework holds no valid consent to share with {recipient}"
                             f" for {purpose} now ({answer.get('reason') or 'no answer'});"
                             " nothing was shared")
    return {"purpose": purpose, "recipient": str(consent["recipient"]),
            "decided_on": _iso(consent["decided_on"]),
            "expires_on": _iso(consent.get("expires_on"))}


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat() if isinstance(value, date) else str(value)


class Letter(Aggregate):
    PERSONAL_DATA = {"body": "case_id"}

    @classmethod
    def draft(cls, *, letter_id: UUID, case_id: str, matter_id: str, template: str,
              language: str, recipient_type: str, recipient: str, body: str,
              drafted_by: str, drafted_at: datetime) -> Letter:
        return cls(id=letter_id, case_id=case_id, matter_id=matter_id, template=template,
                   language=language, recipient_type=code(Recipient, recipient_type,
                                                          "recipient_type"),
                   recipient=pattern(RECIPIENT_CODE, recipient, "recipient"), body=body,
                   drafted_by=drafted_by, drafted_at=moment(drafted_at, "drafted_at"))

    @event("LetterDrafted")
    def __init__(self, id: UUID, case_id: str, matter_id: str, template: str,  # noqa: A002
                 language: str, recipient_type: str, recipient: str, body: str,
                 drafted_by: str, drafted_at: datetime):
        self.case_id, self.matter_id, self.template = case_id, matter_id, template
        self.language, self.recipient_type, self.recipient = language, recipient_type, recipient
        self.body, self.drafted_by, self.drafted_at = body, drafted_by, drafted_at
        self.sent: dict[str, Any] | None = None

    def send(self, *, sent_on: date, channel: str, disclosure_id: str | None) -> None:
        if self.sent is not None:
            raise AlreadyDone("the letter has been sent")
        self._send(case_id=self.case_id, matter_id=self.matter_id,
                   recipient_type=self.recipient_type, recipient=self.recipient,
                   sent_on=day(sent_on, "sent_on"),
                   channel=code(DeliveryChannel, channel, "channel"),
                   disclosure_id=disclosure_id)

    @event("LetterSent")
    def _send(self, case_id: str, matter_id: str, recipient_type: str, recipient: str,
              sent_on: date, channel: str, disclosure_id: str | None) -> None:
        self.sent = {"sent_on": sent_on, "channel": channel, "disclosure_id": disclosure_id}


class Disclosure(Aggregate):
    PERSONAL_DATA = {"document": "case_id"}

    @classmethod
    def prepare(cls, *, disclosure_id: UUID, case_id: str, matter_id: str,
                recipient_type: str, recipient: str, purpose: str, letter_id: str | None,
                document: str | None, consent: Consent, prepared_at: datetime) -> Disclosure:
        if (letter_id is None) == (document is None):
            raise InvalidValue("document", "share either a letter or a document")
        return cls(id=disclosure_id, case_id=case_id, matter_id=matter_id,
                   recipient_type=code(Recipient, recipient_type, "recipient_type"),
                   recipient=pattern(RECIPIENT_CODE, recipient, "recipient"), purpose=purpose,
                   letter_id=letter_id,
                   document=optional(text, document, "document", MAX_DOCUMENT),
                   consent=consent, prepared_at=moment(prepared_at, "prepared_at"))

    @event("DisclosurePrepared")
    def __init__(self, id: UUID, case_id: str, matter_id: str,  # noqa: A002
                 recipient_type: str, recipient: str, purpose: str, letter_id: str | None,
                 document: str | None, consent: Consent, prepared_at: datetime):
        self.case_id, self.matter_id = case_id, matter_id
        self.recipient_type, self.recipient, self.purpose = recipient_type, recipient, purpose
        self.letter_id, self.document, self.consent = letter_id, document, consent
        self.prepared_at = prepared_at
        self.status = "pending"
        self.made_at: datetime | None = None
        self.cancelled: dict[str, Any] | None = None

    def _check_pending(self) -> None:
        if self.status != "pending":
            raise AlreadyDone(f"the disclosure is {self.status}")

    def make(self, consent: Consent, made_at: datetime) -> None:
        """Shared now, on the consent casework confirmed at this moment."""
        self._check_pending()
        self._make(case_id=self.case_id, matter_id=self.matter_id,
                   recipient_type=self.recipient_type, recipient=self.recipient,
                   purpose=self.purpose, letter_id=self.letter_id, consent=consent,
                   made_at=moment(made_at, "made_at"))

    @event("DisclosureMade")
    def _make(self, case_id: str, matter_id: str, recipient_type: str, recipient: str,
              purpose: str, letter_id: str | None, consent: Consent, made_at: datetime) -> None:
        self.status, self.consent, self.made_at = "made", consent, made_at

    def cancel(self, reason: str, cancelled_at: datetime) -> None:
        self._check_pending()
        self._cancel(case_id=self.case_id, matter_id=self.matter_id, purpose=self.purpose,
                     recipient=self.recipient, reason=code(DisclosureCancel, reason, "reason"),
                     cancelled_at=moment(cancelled_at, "cancelled_at"))

    @event("DisclosureCancelled")
    def _cancel(self, case_id: str, matter_id: str, purpose: str, recipient: str, reason: str,
                cancelled_at: datetime) -> None:
        self.status = "cancelled"
        self.cancelled = {"reason": reason, "cancelled_at": cancelled_at}
