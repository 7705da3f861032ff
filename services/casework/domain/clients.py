"""Clients: the people the centre supports, and the blind index that finds them again.

A client's personal data is sealed under the client's data subject (`subject_id`):
for a client referred by the helpline, that is the subject intake created for the
person, so shredding it erases the person in both services at once. Gender, birth
year, citizenship and languages are kept in clear: they are the statistics that
survive an erasure.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.casework.domain.rules import (
    AlreadyDone,
    ClientErased,
    ErasureRefused,
    code,
    languages,
    moment,
    optional_country,
)
from services.casework.vocabulary import ErasureReason, Gender
from shared.person import PERSON_FIELDS, birth_year_of, checked_person

SUPERVISOR = "supervisor"


class Client(Aggregate):
    """One person supported by the centre, across all their cases."""

    PERSONAL_DATA = {**{name: "subject_id" for name in PERSON_FIELDS},
                     "blind_index": "subject_id"}

    @classmethod
    def register(cls, *, client_id: UUID, subject_id: str, person: dict[str, Any],
                 blind_index: str, gender: str, birth_year: int | None,
                 citizenship: str | None, languages_spoken: list[str],
                 registered_at: datetime) -> Client:
        at = moment(registered_at, "registered_at")
        details = checked_person(person)
        values: dict[str, Any] = {
            **_profile(details, gender, birth_year, citizenship, languages_spoken, at),
            **{name: details.get(name) for name in PERSON_FIELDS}}
        return cls(id=client_id, subject_id=subject_id, blind_index=blind_index,
                   registered_at=at, **values)

    @event("ClientRegistered")
    def __init__(self, id: UUID, subject_id: str, given_name: str, family_name: str,  # noqa: A002
                 other_names: str | None, birth_date: str | None, phone: str | None,
                 email: str | None, address: str | None,
                 identity_documents: list[dict[str, Any]] | None, blind_index: str,
                 gender: str, birth_year: int | None, citizenship: str | None,
                 languages: list[str], registered_at: datetime):
        self.subject_id = subject_id
        self._set_details(locals())
        self.registered_at = registered_at
        self.case_ids: list[str] = []
        self.erasure: dict[str, Any] | None = None  # the pending or decided erasure
        self.erased_at: datetime | None = None

    def _set_details(self, values: dict[str, Any]) -> None:
        for name in PERSON_FIELDS:
            setattr(self, name, values[name])
        self.blind_index: str = values["blind_index"]
        self.gender: str = values["gender"]
        self.birth_year: int | None = values["birth_year"]
        self.citizenship: str | None = values["citizenship"]
        self.languages: list[str] = values["languages"]

    @property
    def person(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in PERSON_FIELDS}

    @property
    def erased(self) -> bool:
        return self.erased_at is not None

    def _check_not_erased(self) -> None:
        if self.erased:
            raise ClientErased("the client's personal data has been erased")

    # -- details ---------------------------------------------------------------
    def correct_details(self, *, person: dict[str, Any], blind_index: str, gender: str,
                        birth_year: int | None, citizenship: str | None,
                        languages_spoken: list[str], corrected_at: datetime) -> bool:
        """Replace the details with corrected ones; False when nothing changed."""
        self._check_not_erased()
        at = moment(corrected_at, "corrected_at")
        details = checked_person(person)
        new = {**{name: details.get(name) for name in PERSON_FIELDS}, "blind_index": blind_index,
               **_profile(details, gender, birth_year, citizenship, languages_spoken, at)}
        if all(getattr(self, name) == value for name, value in new.items()):
            return False
        self._correct(subject_id=self.subject_id, corrected_at=at, **new)
        return True

    @event("ClientDetailsCorrected")
    def _correct(self, subject_id: str, given_name: str, family_name: str,
                 other_names: str | None, birth_date: str | None, phone: str | None,
                 email: str | None, address: str | None,
                 identity_documents: list[dict[str, Any]] | None, blind_index: str,
                 gender: str, birth_year: int | None, citizenship: str | None,
                 languages: list[str], corrected_at: datetime) -> None:
        self._set_details(locals())

    # -- cases -------------------------------------------------------------------
    def link_case(self, case_id: str) -> None:
        self._check_not_erased()
        if self.erasure is not None:
            raise ErasureRefused("the client's erasure is pending: no new case meanwhile")
        if case_id not in self.case_ids:
            self._link(case_id=case_id)

    @event("CaseLinked")
    def _link(self, case_id: str) -> None:
        self.case_ids.append(case_id)

    def unlink_case(self, case_id: str) -> None:
        if case_id in self.case_ids:
            self._unlink(case_id=case_id)

    @event("CaseUnlinked")
    def _unlink(self, case_id: str) -> None:
        self.case_ids.remove(case_id)

    # -- erasure: requested, approved by a second person, then shredded ----------------
    def request_erasure(self, *, requested_by: str, erasure_reason: str,
                        requested_at: datetime) -> None:
        self._check_not_erased()
        if self.erasure is not None:
            raise AlreadyDone("an erasure is already pending for this client")
        self._request_erasure(requested_by=requested_by,
                              erasure_reason=code(ErasureReason, erasure_reason,
                                                  "erasure_reason"),
                              requested_at=moment(requested_at, "requested_at"))

    @event("ErasureRequested")
    def _request_erasure(self, requested_by: str, erasure_reason: str,
                         requested_at: datetime) -> None:
        self.erasure = {"requested_by": requested_by, "erasure_reason": erasure_reason,
                        "requested_at": requested_at, "approved_by": None,
                        "approved_at": None}

    def _pending_request(self) -> dict[str, Any]:
        self._check_not_erased()
        if self.erasure is None:
            raise ErasureRefused("no erasure has been requested for this client")
        return self.erasure

    def approve_erasure(self, *, approved_by: str, approver_role: str,
                        approved_at: datetime) -> bool:
        """A second person, a supervisor, approves; False if it was approved already
        (the erasure then only needs completing)."""
        request = self._pending_request()
        if approver_role != SUPERVISOR:
            raise ErasureRefused("only a supervisor may approve an erasure")
        if approved_by == request["requested_by"]:
            raise ErasureRefused("an erasure needs a second person: the requester may not"
                                 " approve it")
        if request["approved_by"] is not None:
            return False
        self._approve_erasure(approved_by=approved_by,
                              approved_at=moment(approved_at, "approved_at"))
        return True

    @event("ErasureApproved")
    def _approve_erasure(self, approved_by: str, approved_at: datetime) -> None:
        assert self.erasure is not None
        self.erasure = {**self.erasure, "approved_by": approved_by, "approved_at": approved_at}

    def reject_erasure(self, *, rejected_by: str, rejected_at: datetime) -> None:
        request = self._pending_request()
        if request["approved_by"] is not None:
            raise ErasureRefused("the erasure is approved already")
        self._reject_erasure(rejected_by=rejected_by,
                             rejected_at=moment(rejected_at, "rejected_at"))

    @event("ErasureRejected")
    def _reject_erasure(self, rejected_by: str, rejected_at: datetime) -> None:
        self.erasure = None

    def record_erased(self, *, subject_ids: list[str], case_ids: list[str],
                      contact_ids: list[str], erased_at: datetime) -> None:
        """The keys are shredded: what remains of the client are statistics. The helpline
        contacts that referred the client are named, for intake to decide about its own."""
        request = self._pending_request()
        if request["approved_by"] is None:
            raise ErasureRefused("the erasure has not been approved")
        self._erased(subject_ids=subject_ids, case_ids=case_ids, contact_ids=contact_ids,
                     erased_at=moment(erased_at, "erased_at"))

    @event("SubjectErased")
    def _erased(self, subject_ids: list[str], case_ids: list[str], contact_ids: list[str],
                erased_at: datetime) -> None:
        self.erased_at = erased_at


def _profile(details: dict[str, Any], gender: str, birth_year: int | None,
             citizenship: str | None, languages_spoken: list[str],
             at: datetime) -> dict[str, Any]:
    """The client's attributes kept in clear, checked."""
    return {"gender": code(Gender, gender, "gender"),
            "birth_year": birth_year_of(details.get("birth_date"), birth_year, at.date()),
            "citizenship": optional_country(citizenship, "citizenship"),
            "languages": languages(languages_spoken)}
