"""LegalService end to end: real RabbitMQ RPC, real PostgreSQL, the shell's tokens."""

from __future__ import annotations

import uuid

import pytest

from services.casework.contracts import CASE_OPENED
from services.legal.application import Legal
from services.legal.service import LegalService
from services.legal.tests.conftest import T0, deliver
from shared.config import Settings
from shared.errors import Forbidden, InvalidInput, NotFound, RuleViolated
from shared.testing.plugin import module_service, rpc

HEARING = {"starts_at": "2026-05-11T09:30:00+02:00", "ends_at": "2026-05-11T12:00:00+02:00",
           "hearing_type": "witness_examination", "court": "Sąd Okręgowy w Krakowie",
           "room": "101", "interpreter_needed": True, "interpreter_language": "vi",
           "measures_requested": ["separate_waiting_room", "video_link"]}


@pytest.fixture(scope="module")
def service():
    """One container for the module: stopping one costs nameko about a second."""
    with module_service(LegalService) as container:
        yield container


@pytest.fixture(scope="module")
def store(service):
    """An independent reader and writer of the service's store."""
    app = Legal(Settings.from_env())
    yield app
    app.close()


@pytest.fixture(scope="module")
def call(service):
    def call(method, payload=None, roles=("lawyer",), user="law-1"):
        return rpc("legal", method, payload, roles, user)

    return call


@pytest.fixture(scope="module")
def case_id(store):
    """A case legal has heard of from casework."""
    case = str(uuid.uuid4())
    deliver(store, CASE_OPENED, Legal.note_case_opened, {
        "case_id": case, "reference": "KC-2026-0777", "client_id": str(uuid.uuid4()),
        "contact_id": None, "source": "direct", "opened_at": T0, "caseworker_id": "cw-1",
        "possible_duplicate": False, "origin_country": "VN", "exploitation_country": "PL",
        "exploitation_types": ["ForcedLabour"], "methods_of_control": [], "recruitment": None,
        "relationship_to_trafficker": None, "urgency": "urgent", "version": 1})
    return case


def test_a_lawyer_opens_a_matter_and_sets_a_hearing_in_the_courts_time(call, case_id):
    matter = call("open_matter", {"case_id": case_id, "kind": "criminal_proceedings",
                                  "standing": "witness"})["matter_id"]
    answer = call("schedule_hearing", {"matter_id": matter, "time_zone": "Europe/Warsaw",
                                       "preparation_days": 5, **HEARING})
    hearing = call("get_hearing", {"hearing_id": answer["hearing_id"]}, roles=("caseworker",),
                   user="cw-1")
    assert hearing["starts_at"] == "2026-05-11T07:30:00+00:00"  # stored and answered in UTC
    assert hearing["measures_requested"] == ["video_link", "separate_waiting_room"]
    detail = call("get_matter", {"matter_id": matter})
    assert [d["kind"] for d in detail["deadlines"]] == ["hearing_preparation"]
    assert detail["deadlines"][0]["due_on"] == "2026-05-06"
    assert detail["personal_data"] == "not_requested"


def test_roles_decide_who_works_on_matters_and_who_sees_figures(call, case_id):
    with pytest.raises(Forbidden):
        call("open_matter", {"case_id": case_id, "kind": "labour_claim"},
             roles=("caseworker",), user="cw-1")
    matter = call("open_matter", {"case_id": case_id, "kind": "labour_claim"},
                  roles=("supervisor",), user="sup-1")["matter_id"]
    with pytest.raises(Forbidden):
        call("get_matter", {"matter_id": matter}, roles=("auditor",), user="aud-1")
    assert call("matter_figures", roles=("ops",), user="ops-1")["open"]
    assert call("list_matters", {"kind": "labour_claim"}, roles=("auditor",), user="aud-1")
    with pytest.raises(Forbidden):  # not this lawyer's matter (a supervisor opened it)
        call("update_matter", {"matter_id": matter, "stage": "first_instance"})
    with pytest.raises(Forbidden):  # nor theirs to take: only a supervisor assigns its lawyer
        call("assign_lawyer", {"matter_id": matter, "lawyer_id": "law-1"})
    call("assign_lawyer", {"matter_id": matter, "lawyer_id": "law-1"}, roles=("supervisor",),
         user="sup-1")
    call("update_matter", {"matter_id": matter, "stage": "first_instance"})


def test_invalid_input_names_each_field_and_stores_nothing(call, case_id, store):
    before = store.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        call("open_matter", {"case_id": case_id, "kind": "divorce", "mood": "tense"})
    assert set(refused.value.errors) == {"kind", "mood"}
    matter = call("open_matter", {"case_id": case_id, "kind": "other"})["matter_id"]
    before = store.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        call("schedule_hearing", {"matter_id": matter, **HEARING,
                                  "ends_at": "2026-05-11T08:00:00+02:00"})
    assert set(refused.value.errors) == {"ends_at"}
    with pytest.raises(InvalidInput) as refused:
        call("schedule_hearing", {"matter_id": matter, **HEARING, "time_zone": "Warsaw"})
    assert set(refused.value.errors) == {"time_zone"}  # the domain's check, named the same
    with pytest.raises(InvalidInput) as refused:
        call("share_with_authority", {"matter_id": matter, "recipient_type": "police",
                                      "recipient": "Police HQ", "document": "x"})
    assert set(refused.value.errors) == {"recipient"}
    assert store.recorder.max_notification_id() == before


def test_rules_and_unknown_ids_come_back_in_the_error_contract(call, case_id):
    with pytest.raises(NotFound):
        call("get_matter", {"matter_id": str(uuid.uuid4())})
    with pytest.raises(NotFound):
        call("open_matter", {"case_id": str(uuid.uuid4()), "kind": "other"})
    matter = call("open_matter", {"case_id": case_id, "kind": "compensation_claim"})["matter_id"]
    call("close_matter", {"matter_id": matter, "outcome": "claim_granted"})
    with pytest.raises(RuleViolated):
        call("close_matter", {"matter_id": matter, "outcome": "claim_granted"})
