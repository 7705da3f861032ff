"""Need to know: who may see a client's personal data, who may change a case, emergency
("break-the-glass") access, and the log of every read.

Personal data goes to supervisors and to the caseworker a supervisor assigned to (one of)
the person's cases, and to a caseworker holding emergency access; everyone else gets the
same record with it withheld. Nothing a caseworker can do alone widens that: opening a
case for a known client, a duplicate match, taking an unassigned case or being handed a
case all wait for a supervisor's confirmation. Every read -- and every withheld attempt
with a purpose -- is logged per person, from every service, because the law protecting
victims' data expects to know who looked, not only who wrote.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from eventsourcing.domain import event

from services.casework.domain.cases import Case
from services.casework.domain.ids import access_log_id
from services.casework.domain.rules import AccessDenied, AlreadyDone, code, moment, text
from services.casework.vocabulary import EmergencyReview
from shared.keyed import OnePerKey
from shared.need_to_know import ANYONE, NeedToKnow
from shared.vocabulary import AccessPurpose, EmergencyReason

SUPERVISOR, CASEWORKER, SYSTEM = "supervisor", "caseworker", "system"
ASSIGNED = "assigned to the person's case by a supervisor"
EMERGENCY = "holding emergency access to the person"

PERSONAL_DATA = NeedToKnow(
    "a client's details and a case's notes, consent evidence and plan texts",
    supervisor=(ANYONE,), caseworker=(ASSIGNED, EMERGENCY))


def relations(actor_id: str, cases: Iterable[Case], log: AccessLog | None,
              now: datetime, reading: Case | None = None) -> set[str]:
    """The caller's relations to a person, from the person's cases and access log; reading
    one of their cases, `reading`, those that open it.

    A case awaiting its duplicate review may be about someone else: its notes and the
    details it was opened with are not opened by a relation to the client it matched, and
    being on it is no relation to that client -- until a supervisor settles who it is."""
    if reading is not None and reading.awaiting_duplicate_review:
        return set()
    found = set()
    if any(case.caseworker_id == actor_id and not case.assignment_pending
           and not case.awaiting_duplicate_review for case in cases):
        found.add(ASSIGNED)
    if log is not None and log.emergency_grant(actor_id, now) is not None:
        found.add(EMERGENCY)
    return found


def check_may_change(role: str, actor_id: str, caseworker_id: str | None) -> None:
    """A case is changed by its caseworker or a supervisor; the centre's system (a
    policy reacting to another service's event) acts on its own authority."""
    if role in (SUPERVISOR, SYSTEM):
        return
    if role == CASEWORKER and caseworker_id == actor_id:
        return
    raise AccessDenied("only the case's caseworker (assigned to it) or a supervisor may"
                       " change it")


def check_may_assign(role: str, actor_id: str, current: str | None, assignee: str) -> None:
    """Supervisors assign anyone; a caseworker takes an unassigned case for themselves,
    or hands their own case over to a colleague (a supervisor then confirms either)."""
    if role == SUPERVISOR:
        return
    if role == CASEWORKER and (current == actor_id or (current is None and assignee == actor_id)):
        return
    raise AccessDenied("a caseworker may take an unassigned case or hand over their own;"
                       " any other assignment needs a supervisor")


class AccessLog(OnePerKey):
    """Every read of one client's personal data, from every service and through any of
    their cases, and the emergency access granted to it."""

    # The free-text reason of an emergency access may name the person: it is sealed, and
    # shredded with the log's own key when the client is erased.
    PERSONAL_DATA = {"reason_text": "id"}
    key, create_id = "client_id", staticmethod(access_log_id)

    @event("AccessLogStarted")
    def __init__(self, client_id: str):
        self.client_id = client_id
        self.entries: list[dict[str, Any]] = []
        self.grants: dict[str, dict[str, Any]] = {}
        self.reason_text: dict[str, str] = {}

    # -- reads ------------------------------------------------------------------------
    def record_read(self, *, actor_id: str, role: str, purpose: str, case_id: str | None,
                    fields: list[str], read_at: datetime, service: str = "casework",
                    withheld: bool = False, emergency: bool = False) -> None:
        """A read of the person's data, or an attempt with a purpose that was withheld."""
        self._recorded(actor_id=actor_id, role=role,
                       purpose=code(AccessPurpose, purpose, "purpose"), case_id=case_id,
                       fields=sorted(set(fields)), read_at=moment(read_at, "read_at"),
                       service=service, outcome="withheld" if withheld else "read",
                       emergency=emergency)

    @event("PersonalDataRead")  # as logged before services, outcomes and emergencies
    def _read(self, actor_id: str, role: str, purpose: str, case_id: str | None,
              fields: list[str], read_at: datetime) -> None:
        self._append(actor_id=actor_id, role=role, purpose=purpose, case_id=case_id,
                     fields=fields, read_at=read_at, service="casework", outcome="read",
                     emergency=False)

    @event("ReadRecorded")
    def _recorded(self, actor_id: str, role: str, purpose: str, case_id: str | None,
                  fields: list[str], read_at: datetime, service: str, outcome: str,
                  emergency: bool) -> None:
        self._append(actor_id=actor_id, role=role, purpose=purpose, case_id=case_id,
                     fields=fields, read_at=read_at, service=service, outcome=outcome,
                     emergency=emergency)

    def _append(self, **entry: Any) -> None:
        self.entries.append(entry)

    # -- emergency access -------------------------------------------------------------------
    def grant_emergency_access(self, *, grant_id: str, actor_id: str, role: str,
                               case_id: str, case_ids: list[str], reason_code: str,
                               reason_text: str, granted_at: datetime, minutes: int) -> None:
        """A caseworker not assigned opens the person's data in an emergency: with a
        reason, for a limited time, marked in the log, for supervisors to review."""
        if role != CASEWORKER:
            raise AccessDenied("emergency access is for caseworkers; supervisors have access")
        at = moment(granted_at, "granted_at")
        self._grant(grant_id=grant_id, actor_id=actor_id, client_id=self.client_id,
                    case_id=case_id, case_ids=case_ids,
                    reason_code=code(EmergencyReason, reason_code, "reason_code"),
                    reason_text=text(reason_text, "reason_text", 2000), granted_at=at,
                    expires_at=at + timedelta(minutes=minutes))

    @event("EmergencyAccessGranted")
    def _grant(self, grant_id: str, actor_id: str, client_id: str, case_id: str,
               case_ids: list[str], reason_code: str, reason_text: str,
               granted_at: datetime, expires_at: datetime) -> None:
        self.grants[grant_id] = {"grant_id": grant_id, "actor_id": actor_id,
                                 "case_id": case_id, "reason_code": reason_code,
                                 "granted_at": granted_at, "expires_at": expires_at,
                                 "review": None}
        self.reason_text[grant_id] = reason_text

    def emergency_grant(self, actor_id: str, now: datetime) -> dict[str, Any] | None:
        """The caller's emergency access still running at `now`, if any."""
        return next((g for g in self.grants.values() if g["actor_id"] == actor_id
                     and g["granted_at"] <= now < g["expires_at"]), None)

    def review_emergency_access(self, *, grant_id: str, outcome: str, reviewed_by: str,
                                reviewed_at: datetime) -> None:
        """A supervisor confirms the emergency was real, or flags the access for follow-up."""
        grant = self.grants.get(grant_id)
        if grant is None:
            raise AccessDenied("no such emergency access to this person")
        if grant["review"] is not None:
            raise AlreadyDone("the emergency access has been reviewed already")
        if reviewed_by == grant["actor_id"]:
            # Who broke the glass never reviews it, whatever other role they also hold.
            raise AccessDenied("another supervisor reviews an emergency access; not the"
                               " person who used it")
        self._review(grant_id=grant_id, outcome=code(EmergencyReview, outcome, "outcome"),
                     reviewed_by=reviewed_by,
                     reviewed_at=moment(reviewed_at, "reviewed_at"))

    @event("EmergencyAccessReviewed")
    def _review(self, grant_id: str, outcome: str, reviewed_by: str,
                reviewed_at: datetime) -> None:
        self.grants[grant_id]["review"] = {"outcome": outcome, "reviewed_by": reviewed_by,
                                           "reviewed_at": reviewed_at}
