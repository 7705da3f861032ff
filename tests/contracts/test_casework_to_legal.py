"""casework publishes its cases, caseworkers, consents, requests for legal assistance and
erasures; legal opens matters, keeps its record of each case, cancels what a revocation
withdraws and shreds what an erasure takes. Everything casework's contracts allow, legal
accepts: a request never stays without a matter, a revocation never misses legal."""

from __future__ import annotations

import uuid
from itertools import count
from typing import Any

from eventsourcing.persistence import Tracking
from hypothesis import strategies as st

from services.casework.contracts import (
    ASSIGNMENT_CONFIRMED,
    CASE_OPENED,
    CASEWORKER_ASSIGNED,
    CONSENT_RECORDED,
    CONSENT_REVOKED,
    LEGAL_ASSISTANCE_REQUESTED,
    SUBJECT_ERASED,
)
from services.legal.application import Legal
from services.legal.domain import CaseRecord, Matter
from services.legal.domain.ids import case_record_id, requested_matter_id
from shared.contracts import Contract
from tests.contracts.payloads import envelope_of, first_refused

CASES = st.sampled_from(["0b6d6f4e-5c55-4f6b-9b8e-6a1f3c2d1e01",
                         "1c7e7a5f-6d66-4a7c-8c9f-7b2a4d3e2f02"])  # facts about few cases


DELIVERED = count(1)  # one numbering for every message of casework's a test delivers


def consumer(legal: Legal, contract: Contract, policy: Any):
    def consume(data: dict) -> None:
        envelope = envelope_of(contract, data, next(DELIVERED))
        policy(legal, contract.read(envelope), envelope,
               Tracking("casework", envelope.notification_id))

    return consume


def test_legal_opens_a_matter_for_every_request_casework_may_publish(app_factory):
    legal = app_factory(Legal)
    consume = consumer(legal, LEGAL_ASSISTANCE_REQUESTED, Legal.open_matter_from_request)

    def opened(data: dict) -> None:
        consume(data)
        matter = legal.find(Matter, requested_matter_id(data["request_id"]), sealed=True)
        assert matter is not None  # (hypothesis may repeat a request id: one matter)

    assert first_refused(LEGAL_ASSISTANCE_REQUESTED, opened) is None


def test_legal_notes_every_case_and_caseworker_casework_may_publish(app_factory):
    legal = app_factory(Legal)
    for contract, policy in ((CASE_OPENED, Legal.note_case_opened),
                             (CASEWORKER_ASSIGNED, Legal.note_caseworker),
                             (ASSIGNMENT_CONFIRMED, Legal.note_assignment_confirmed)):
        consume = consumer(legal, contract, policy)

        def noted(data: dict, consume=consume) -> None:
            consume(data)
            assert legal.find(CaseRecord, case_record_id(data["case_id"])) is not None

        assert first_refused(contract, noted, case_id=CASES) is None, contract.type


def test_legal_follows_every_consent_fact_casework_may_publish(app_factory):
    legal = app_factory(Legal)
    for contract, policy in ((CONSENT_RECORDED, Legal.note_consent),
                             (CONSENT_REVOKED, Legal.note_revocation)):
        assert first_refused(contract, consumer(legal, contract, policy),
                             case_id=CASES) is None, contract.type


def test_legal_erases_every_case_casework_may_erase(app_factory):
    legal = app_factory(Legal)
    note = consumer(legal, CASE_OPENED, Legal.note_case_opened)
    consume = consumer(legal, SUBJECT_ERASED, Legal.erase_erased_cases)

    def erased(data: dict) -> None:
        for case_id in data["case_ids"][:2]:  # some cases legal knows, some it never heard of
            note({"case_id": case_id, "reference": "KC-2026-0001", "client_id": case_id,
                  "contact_id": None, "source": "direct", "opened_at": "2026-03-02T09:00:00Z",
                  "caseworker_id": None, "possible_duplicate": False, "origin_country": None,
                  "exploitation_country": None, "exploitation_types": [],
                  "methods_of_control": [], "recruitment": None,
                  "relationship_to_trafficker": None, "urgency": "routine", "version": 1})
        consume(data)
        for case_id in data["case_ids"]:
            assert legal.vault.is_shredded(case_id)

    # Fresh case ids: the key store is shared by the run, and hypothesis repeats its uuids
    # in every test -- shredding those would erase other tests' subjects.
    fresh = st.lists(st.builds(lambda: str(uuid.uuid4())), max_size=4)
    assert first_refused(SUBJECT_ERASED, erased, case_ids=fresh) is None
