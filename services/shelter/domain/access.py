"""Who may see a shelter's address and its residents' personal data, and the log of reads.

The address is personal-data grade: it goes to the shelter's own staff (its roster) and to
the caseworker of a case with a person placed or held there, to no one else -- not to
supervisors, not to other shelters' staff. A resident's personal data (the name they go by
here, the police reference) goes to the staff of the shelter they are in, and to their
caseworker. "Placed or held there" means now: a move or a discharge ends it. "The caseworker"
is one rule (`is_case_caseworker`): calling as a caseworker, and confirmed on the case.
Every such read is logged first: a read that cannot be logged does not happen.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from services.shelter.domain.ids import access_log_id
from services.shelter.domain.rules import AccessDenied, code, moment
from services.shelter.vocabulary import AccessPurpose

STAFF, CASEWORKER, SUPERVISOR = "shelter_staff", "caseworker", "supervisor"


def is_roster_staff(role: str, actor_id: str, roster: Iterable[str]) -> bool:
    return role == STAFF and actor_id in set(roster)


def is_case_caseworker(role: str, actor_id: str, caseworker_id: str | None) -> bool:
    """The case's caseworker: calling as a caseworker, and the one a supervisor confirmed on
    the case (CaseFile.caseworker_id). Both, always: the same user calling in another of
    their roles (a shelter's staff, say) is only that role's caller."""
    return role == CASEWORKER and caseworker_id is not None and actor_id == caseworker_id


def may_see_address(role: str, actor_id: str, roster: Iterable[str],
                    caseworkers_placed: Iterable[str | None]) -> bool:
    """The shelter's staff, and the caseworker of someone placed or held there."""
    return is_roster_staff(role, actor_id, roster) or any(
        is_case_caseworker(role, actor_id, caseworker) for caseworker in caseworkers_placed)


def check_may_run(role: str, actor_id: str, roster: Iterable[str]) -> None:
    """Beds, rooms and residents of a shelter are changed by its own staff or a supervisor;
    the centre's system (a policy, a poll) acts on its own authority."""
    if role in (SUPERVISOR, "system") or is_roster_staff(role, actor_id, roster):
        return
    raise AccessDenied("only the shelter's own staff or a supervisor may do this")


def check_may_place(role: str, actor_id: str, roster: Iterable[str],
                    caseworker_id: str | None) -> None:
    """A placement is asked for by its case's caseworker, the shelter's staff, a supervisor."""
    if is_case_caseworker(role, actor_id, caseworker_id):
        return
    check_may_run(role, actor_id, roster)


class AccessLog(Aggregate):
    """Every read of one subject's personal data (a shelter's address, a stay's person)."""

    AUDIT_CASE_SCOPE = "events"
    create_id = staticmethod(access_log_id)  # AccessLog(subject_id=...): one per subject

    @event("AccessLogStarted")
    def __init__(self, subject_id: str):
        self.subject_id = subject_id
        self.reads = 0

    def record_read(self, *, actor_id: str, role: str, purpose: str, case_id: str | None,
                    fields: list[str], read_at: datetime) -> None:
        self._read(actor_id=actor_id, role=role, purpose=code(AccessPurpose, purpose, "purpose"),
                   case_id=case_id, fields=sorted(set(fields)),
                   read_at=moment(read_at, "read_at"))

    @event("PersonalDataRead")
    def _read(self, actor_id: str, role: str, purpose: str, case_id: str | None,
              fields: list[str], read_at: datetime) -> None:
        self.reads += 1
