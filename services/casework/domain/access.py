"""Who may see a client's personal data, who may change a case, and the log of reads.

Personal data goes to those who need it for the work: the caseworker assigned to
the case and supervisors. Everyone else who may read cases (other caseworkers,
auditors, ops) gets them without personal data. Every read of personal data is
recorded -- who, in which role, when, which case, why, which fields -- because the
law protecting victims' data expects to know who looked, not only who wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.casework.domain.ids import access_log_id
from services.casework.domain.rules import AccessDenied, code, moment
from services.casework.vocabulary import AccessPurpose

SUPERVISOR, CASEWORKER = "supervisor", "caseworker"


def may_read_personal_data(role: str, actor_id: str, caseworkers: Iterable[str | None]) -> bool:
    """Supervisors, and a caseworker assigned to (one of) the cases concerned."""
    return role == SUPERVISOR or (role == CASEWORKER and actor_id in set(caseworkers))


def check_may_change(role: str, actor_id: str, caseworker_id: str | None) -> None:
    """A case is changed by its caseworker or a supervisor; the centre's system (a
    policy reacting to another service's event) acts on its own authority."""
    if role in (SUPERVISOR, "system"):
        return
    if role == CASEWORKER and caseworker_id == actor_id:
        return
    raise AccessDenied("only the case's caseworker or a supervisor may change it")


def check_may_assign(role: str, actor_id: str, current: str | None, assignee: str) -> None:
    """Supervisors assign anyone; a caseworker takes an unassigned case for themselves,
    or hands their own case over to a colleague."""
    if role == SUPERVISOR:
        return
    if role == CASEWORKER and (current == actor_id or (current is None and assignee == actor_id)):
        return
    raise AccessDenied("a caseworker may take an unassigned case or hand over their own")


class AccessLog(Aggregate):
    """Every read of one client's personal data, through any of their cases."""

    @classmethod
    def start(cls, client_id: UUID | str) -> AccessLog:
        return cls(id=access_log_id(client_id), client_id=str(client_id))

    @event("AccessLogStarted")
    def __init__(self, id: UUID, client_id: str):  # noqa: A002
        self.client_id = client_id
        self.entries: list[dict[str, object]] = []

    def record_read(self, *, actor_id: str, role: str, purpose: str, case_id: str | None,
                    fields: list[str], read_at: datetime) -> None:
        self._read(actor_id=actor_id, role=role,
                   purpose=code(AccessPurpose, purpose, "purpose"), case_id=case_id,
                   fields=sorted(set(fields)), read_at=moment(read_at, "read_at"))

    @event("PersonalDataRead")
    def _read(self, actor_id: str, role: str, purpose: str, case_id: str | None,
              fields: list[str], read_at: datetime) -> None:
        self.entries.append({"actor_id": actor_id, "role": role, "purpose": purpose,
                             "case_id": case_id, "fields": fields, "read_at": read_at})
