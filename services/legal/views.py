"""What a reader gets of a matter, a letter or a disclosure: always the facts, personal
data only when the reader may have it (the application decides and logs the read).

Pure: built from aggregates. For a reader without access the aggregates are loaded still
sealed and the personal fields are left out here -- never sent as ciphertext. A matter's
docket number is personal data (it leads to court records naming the client), and once
the client is erased it is left out for everyone.
"""

from __future__ import annotations

from typing import Any

from services.legal.domain import Disclosure, Letter, Matter
from shared.crypto import ERASED

Detail = dict[str, Any]


def _text(texts: Any, item: str) -> Any:
    # A snapshot of an erased matter holds ERASED in place of the whole dict.
    return texts.get(item) if isinstance(texts, dict) else ERASED


def matter_detail(matter: Matter, personal: bool) -> Detail:
    detail: Detail = {
        "matter_id": str(matter.id), "version": matter.version,
        **{name: getattr(matter, name) for name in (
            "case_id", "kind", "standing", "source", "request_id", "lawyer_id", "opened_at",
            "court", "stage", "outcome", "closed_at")},
        "erased": matter.erased_at is not None,
        "representation": None if matter.representation is None else {
            **matter.representation,
            **({"attorney": _text(matter.texts, "attorney")} if personal else {})},
        "mediation_contacts": [
            {**contact, **({"summary": _text(matter.texts, f"contact:{contact['contact_id']}")}
                           if personal else {})} for contact in matter.mediation],
        "deadlines": [{"deadline_id": deadline_id,
                       **{k: v for k, v in d.items() if k != "reminded"}}
                      for deadline_id, d in matter.deadlines.items()],
    }
    if personal:
        detail["caption"] = _text(matter.texts, "caption")
        # The docket leads to court records naming the client: personal data, sealed
        # under the case's key, and gone with the erasure for everyone.
        detail["docket_number"] = None if matter.erased_at is not None \
            else matter.docket_number
    return detail


def letter_detail(letter: Letter, personal: bool) -> Detail:
    detail: Detail = {"letter_id": str(letter.id), "version": letter.version,
                      **{name: getattr(letter, name) for name in (
                          "case_id", "matter_id", "template", "language", "recipient_type",
                          "recipient", "drafted_by", "drafted_at")},
                      "sent": letter.sent}
    if personal:
        detail["body"] = letter.body
    return detail


def disclosure_detail(disclosure: Disclosure) -> Detail:
    """Without the document's description: that is personal data."""
    return {"disclosure_id": str(disclosure.id), "version": disclosure.version,
            **{name: getattr(disclosure, name) for name in (
                "case_id", "matter_id", "recipient_type", "recipient", "purpose", "letter_id",
                "consent", "status", "prepared_at", "made_at", "cancelled")}}
