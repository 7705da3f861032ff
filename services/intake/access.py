"""Need to know at the helpline: who gets a contact's narrative, its callback number and
the person it referred, and the log of every read of them.

The operator handling a contact sees it while it is open; supervisors always; a
caseworker only once a supervisor has confirmed them on the case the contact is linked to
(or while they hold emergency access to that person). Everyone else gets the contact's
codes and times with the personal data withheld. Callback numbers of missed calls go to
the operators on duty and to supervisors. Every read, and every attempt it withheld, is
logged; reads of a contact linked to a case also reach the person's one access log in
casework. Pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.intake.cases import KnownCase
from services.intake.domain import Contact
from shared.checks import code, moment
from shared.need_to_know import ANYONE, NeedToKnow
from shared.vocabulary import AccessPurpose

HANDLING = "handling the contact while it is open"
ON_DUTY = "on duty at the helpline"
ASSIGNED = "assigned by a supervisor to the case the contact is linked to"
EMERGENCY = "holding emergency access to the person"

CONTACT_DATA = NeedToKnow(
    "a contact's narrative, callback number and referred person",
    supervisor=(ANYONE,), helpline_operator=(HANDLING,), caseworker=(ASSIGNED, EMERGENCY))
CALLBACK_NUMBERS = NeedToKnow(
    "the callback numbers of missed calls", supervisor=(ANYONE,), helpline_operator=(ON_DUTY,))
CONTACT_PERSONAL = ("summary", "callback_contact", "person")


def contact_relations(actor_id: str, contact: Contact, case: KnownCase | None,
                      now: datetime) -> set[str]:
    found = set()
    if contact.operator_id == actor_id and not contact.closed:
        found.add(HANDLING)
    if case is not None and case.confirmed_caseworker_id == actor_id:
        found.add(ASSIGNED)
    if case is not None and case.emergency_access(actor_id, now):
        found.add(EMERGENCY)
    return found


def read_log_id(record_id: UUID | str) -> UUID:
    return uuid5(NAMESPACE_URL, f"haven:intake/read-log/{record_id}")


class ReadLog(Aggregate):
    """Every read of one record's personal data (a contact, a missed call)."""

    @classmethod
    def start(cls, record_id: UUID | str, record: str) -> ReadLog:
        return cls(id=read_log_id(record_id), record_id=str(record_id), record=record)

    @event("ReadLogStarted")
    def __init__(self, id: UUID, record_id: str, record: str):  # noqa: A002
        self.record_id, self.record = record_id, record
        self.entries: list[dict[str, Any]] = []

    def record_read(self, *, actor_id: str, role: str, purpose: str, case_id: str | None,
                    fields: list[str], read_at: datetime, withheld: bool,
                    emergency: bool) -> None:
        self._read(record_id=self.record_id, record=self.record, actor_id=actor_id, role=role,
                   purpose=code(AccessPurpose, purpose, "purpose"), case_id=case_id,
                   fields=sorted(set(fields)), read_at=moment(read_at, "read_at"),
                   outcome="withheld" if withheld else "read", emergency=emergency)

    @event("PersonalDataRead")
    def _read(self, record_id: str, record: str, actor_id: str, role: str, purpose: str,
              case_id: str | None, fields: list[str], read_at: datetime, outcome: str,
              emergency: bool) -> None:
        self.entries.append({"actor_id": actor_id, "role": role, "purpose": purpose,
                             "case_id": case_id, "fields": fields, "read_at": read_at,
                             "outcome": outcome, "emergency": emergency})
