"""Consent: may we share this client's data for a purpose, with a recipient, on a date?

Consents are kept per (purpose, recipient) as a history of decisions, each with the
day it was given, the last day it is valid (inclusive) and the day it was revoked.
The answer for a date looks at the decision in force on that date: a specific
recipient's decision overrides one given for every recipient ("any") of the purpose,
so a client can allow sharing with partner NGOs in general but not with one of them.
Pure functions over plain dicts: the Case aggregate keeps the dicts, and so can any
other service's projection of casework's consent events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from services.casework.vocabulary import ANY_RECIPIENT, ConsentDecision

Record = dict[str, Any]  # decision, decided_on, expires_on, revoked_on


def key(purpose: str, recipient: str) -> str:
    return f"{purpose}|{recipient}"


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str  # granted, refused, revoked, expired, no_consent
    purpose: str
    recipient: str  # the recipient the deciding consent names ("any" for a general one)
    record: Record | None


def in_force(history: list[Record], on: date) -> Record | None:
    """The decision in force on `on`: the latest one given on or before it."""
    found = None
    for record in history:  # recording order: on the same day, the later record wins
        if record["decided_on"] <= on and (found is None
                                           or record["decided_on"] >= found["decided_on"]):
            found = record
    return found


def _reason(record: Record, on: date) -> str:
    if record["decision"] == ConsentDecision.REFUSED:
        return "refused"
    if record["revoked_on"] is not None and record["revoked_on"] <= on:
        return "revoked"
    if record["expires_on"] is not None and on > record["expires_on"]:
        return "expired"
    return "granted"


def may_share(consents: dict[str, list[Record]], purpose: str, recipient: str,
              on: date) -> Verdict:
    for candidate in dict.fromkeys((recipient, ANY_RECIPIENT)):
        record = in_force(consents.get(key(purpose, candidate), []), on)
        if record is not None:
            reason = _reason(record, on)
            return Verdict(reason == "granted", reason, purpose, candidate, record)
    return Verdict(False, "no_consent", purpose, recipient, None)
