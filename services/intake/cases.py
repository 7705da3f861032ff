"""What the helpline knows of casework's cases, learned from casework's events: that a
case exists (so a contact is linked only to a real case), its reference, which caseworker
a supervisor confirmed on it, and who holds emergency access to its person; and the
helpline's own contacts linked to it, which go with the person when casework erases them.

Casework's events arrive on separate queues, so in any order: each fact carries the
case's version and the newest one wins. Pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from shared.keyed import OnePerKey
from shared.need_to_know import confirmed_caseworker


def known_case_id(case_id: UUID | str) -> UUID:
    return uuid5(NAMESPACE_URL, f"haven:intake/known-case/{case_id}")


class KnownCase(OnePerKey):
    key, create_id = "case_id", staticmethod(known_case_id)

    @event("CaseLearned")
    def __init__(self, case_id: str):
        self.case_id = case_id
        self.reference: str | None = None  # set once casework says it opened the case
        self.caseworker: tuple[int, str | None] = (0, None)  # (case version, caseworker)
        self.confirmed: tuple[int, str | None] = (0, None)
        self.grants: list[dict[str, Any]] = []
        self.contact_ids: list[str] = []  # every contact ever linked (some moved off since)
        self.person_erased = False

    @classmethod
    def learn(cls, case_id: UUID | str) -> KnownCase:
        """What intake calls starting one: it learns of a case from casework's events."""
        return cls.start(case_id)

    @property
    def opened(self) -> bool:
        return self.reference is not None

    @property
    def confirmed_caseworker_id(self) -> str | None:
        """The caseworker a supervisor confirmed, unless the case changed hands since."""
        return confirmed_caseworker(self.caseworker, self.confirmed)

    def took_contact(self, contact_id: str) -> None:
        """A contact was linked to the case: casework names only the contact a case was
        opened from when it erases the person, not those linked to the case later."""
        if contact_id not in self.contact_ids:
            self._took_contact(contact_id=contact_id)

    @event("ContactLinkLearned")
    def _took_contact(self, contact_id: str) -> None:
        self.contact_ids.append(contact_id)

    def learn_erasure(self) -> bool:
        """Casework erased the case's person: no contact is linked to the case from now
        on (it would keep what the person said after they were erased). False if known."""
        if self.person_erased:
            return False
        self._erasure_learned(case_id=self.case_id)
        return True

    @event("PersonErasureLearned")
    def _erasure_learned(self, case_id: str) -> None:
        self.person_erased = True

    def emergency_access(self, actor_id: str, now: datetime) -> bool:
        return any(g["actor_id"] == actor_id and g["granted_at"] <= now < g["expires_at"]
                   for g in self.grants)

    def opened_as(self, reference: str, caseworker_id: str | None, version: int) -> None:
        if self.reference is None:
            self._opened(case_id=self.case_id, case_reference=reference)
        self.assigned(caseworker_id, version)

    # Named as a link to the case (case_id, case_reference), as a contact's link is: the
    # reference is casework's, and an auditor's lookup by it must find casework's case.
    @event("CaseOpenedLearned")
    def _opened(self, case_id: str, case_reference: str) -> None:
        self.reference = case_reference

    def assigned(self, caseworker_id: str | None, version: int) -> None:
        if version > self.caseworker[0]:
            self._assigned(caseworker_id=caseworker_id, version=version)

    @event("AssignmentLearned")
    def _assigned(self, caseworker_id: str | None, version: int) -> None:
        self.caseworker = (version, caseworker_id)

    def assignment_confirmed(self, caseworker_id: str, version: int) -> None:
        if version > self.confirmed[0]:
            self._confirmed(caseworker_id=caseworker_id, version=version)

    @event("ConfirmationLearned")
    def _confirmed(self, caseworker_id: str, version: int) -> None:
        self.confirmed = (version, caseworker_id)

    def grant_learned(self, grant_id: str, actor_id: str, granted_at: datetime,
                      expires_at: datetime) -> None:
        if all(g["grant_id"] != grant_id for g in self.grants):
            self._granted(grant_id=grant_id, actor_id=actor_id, granted_at=granted_at,
                          expires_at=expires_at)

    @event("EmergencyAccessLearned")
    def _granted(self, grant_id: str, actor_id: str, granted_at: datetime,
                 expires_at: datetime) -> None:
        self.grants.append({"grant_id": grant_id, "actor_id": actor_id,
                            "granted_at": granted_at, "expires_at": expires_at})
