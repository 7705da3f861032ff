"""casework publishes ShelterPlacementRequested, CaseOpened, CaseworkerAssigned,
AssignmentConfirmed and SubjectErased; the shelters act on each. Everything casework's
contracts allow, the shelter service accepts: a request for a bed never dead-letters
because the two disagree, and an erasure always reaches the shelters' records."""

from __future__ import annotations

import uuid
from itertools import count

import pytest
from eventsourcing.persistence import Tracking
from hypothesis import strategies as st

from services.casework.contracts import (
    ASSIGNMENT_CONFIRMED,
    CASE_OPENED,
    CASEWORKER_ASSIGNED,
    SHELTER_PLACEMENT_REQUESTED,
    SUBJECT_ERASED,
)
from services.shelter.application import Shelters
from services.shelter.domain import CaseFile, Stay
from services.shelter.domain.ids import case_file_id
from services.shelter.projections import READ_MODELS
from shared.audit import CommandContext
from shared.bootstrap import attach_read_models
from shared.contracts import Contract
from tests.contracts.payloads import envelope_of, first_refused

SUPERVISOR = CommandContext(actor_id="sup-1", actor_role="supervisor", command="test")
DELIVERED = count(1)  # casework's notification ids: one sequence for all its events


@pytest.fixture
def shelters(app_factory):
    """With a shelter to hold beds in, and its read models (the waiting list)."""
    app = app_factory(Shelters)
    runner = attach_read_models(app, READ_MODELS)
    assert runner is not None
    app.register_shelter(SUPERVISOR, code="N", name="North", address="ul. Cicha 5",
                         rooms=[{"name": "A", "beds": ["1", "2"]},
                                {"name": "F", "tags": ["family", "isolation"], "beds": ["1"]}])
    yield app
    runner.close()


def consumer(app: Shelters, contract: Contract, policy, check):
    def consume(data: dict) -> None:
        envelope = envelope_of(contract, data, next(DELIVERED))
        policy(app, contract.read(envelope), envelope,
               Tracking(contract.source, envelope.notification_id))
        check(data)

    return consume


def test_the_shelters_take_every_request_casework_may_send(shelters):
    app = shelters

    def a_stay(data: dict) -> None:
        stay = app.find(Stay, data["request_id"])
        assert stay is not None and stay.status in ("held", "waiting")

    consume = consumer(app, SHELTER_PLACEMENT_REQUESTED, Shelters.receive_request, a_stay)
    assert first_refused(SHELTER_PLACEMENT_REQUESTED, consume) is None


def test_the_shelters_know_every_case_casework_may_open_and_its_caseworker(app_factory):
    app = app_factory(Shelters)

    def known(data: dict) -> None:
        assert app.find(CaseFile, case_file_id(data["case_id"])) is not None

    for contract, policy in ((CASE_OPENED, Shelters.note_opened_case),
                             (CASEWORKER_ASSIGNED, Shelters.note_caseworker),
                             (ASSIGNMENT_CONFIRMED, Shelters.note_confirmation)):
        assert first_refused(contract, consumer(app, contract, policy, known)) is None


def test_the_shelters_erase_every_subject_casework_may_erase(shelters):
    app = shelters
    requests = consumer(app, SHELTER_PLACEMENT_REQUESTED, Shelters.receive_request,
                        lambda data: None)
    case_ids = [str(uuid.uuid4()) for _ in range(3)]
    stays = {case_id: str(uuid.uuid4()) for case_id in case_ids}
    for case_id, stay_id in stays.items():
        requests({"case_id": case_id, "request_id": stay_id, "needs_isolation": False,
                  "isolation_reason": None, "accompanying_children": 0, "needed_from": None,
                  "gender": "Female", "languages": [], "requested_at": "2026-03-03T02:40:00Z"})

    def erased(data: dict) -> None:
        for case_id in data["case_ids"]:
            if case_id in stays:
                assert app.load(Stay, stays[case_id]).erased

    consume = consumer(app, SUBJECT_ERASED, Shelters.erase_subject, erased)
    known_cases = st.lists(st.sampled_from(case_ids), max_size=3, unique=True)
    assert first_refused(SUBJECT_ERASED, consume, case_ids=known_cases) is None
