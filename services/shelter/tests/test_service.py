"""ShelterService end to end: real RabbitMQ RPC, real PostgreSQL, the shell's tokens. Each
way in the shelters' rules name is tried by someone it must refuse."""

from __future__ import annotations

import uuid

import pytest
from nameko.containers import get_container_cls

from services.shelter.service import ShelterService
from shared.config import Settings
from shared.errors import Forbidden, InvalidInput, NotFound, RuleViolated
from shared.eventstore import close_key_vault
from tests.shelter.processes import call_one

ADDRESS = "ul. Polna 3, 05-500 Piaseczno, the house behind the chapel"
NORTH_STAFF, RIVER_STAFF = ("staff-n1", "shelter_staff"), ("staff-r1", "shelter_staff")
SUPERVISOR = ("sup-1", "supervisor")


@pytest.fixture(scope="module")
def service():
    """One container for the module, on schemas of its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HAVEN_SCHEMA_PREFIX", Settings.from_env().schema_prefix + "shsvc_")
        config = {"AMQP_URI": Settings.from_env().amqp_uri, "SERIALIZER": "json"}
        container = get_container_cls(config)(ShelterService, config)
        container.start()
        yield container
        container.kill()
        close_key_vault(Settings.from_env())


@pytest.fixture(scope="module")
def call(service):
    def call(method, payload=None, who=SUPERVISOR):
        return call_one(Settings.from_env(), "shelter", method, payload, *who)

    return call


@pytest.fixture(scope="module")
def houses(call):
    """North (staff-n1) and River (staff-r1), a resident at North."""
    made = {}
    for code, staff in (("NS", "staff-n1"), ("RS", "staff-r1")):
        made[code] = call("register_shelter", {
            "code": code + uuid.uuid4().hex[:4].upper(), "name": f"House {code}",
            "address": ADDRESS, "rooms": [{"name": "A", "beds": ["1", "2"]}]})["shelter_id"]
        call("assign_staff", {"shelter_id": made[code], "staff_id": staff})
    stay = call("night_intake", {"referred_by": "police", "known_as": "Halyna"}, NORTH_STAFF)
    call("admit_resident", {"stay_id": stay["stay_id"], "shelter_id": made["NS"]}, NORTH_STAFF)
    return {**made, "stay_id": stay["stay_id"]}


def test_the_night_desk_admits_moves_and_discharges_in_its_own_shelter(call, houses):
    stay = call("night_intake", {"referred_by": "police", "known_as": "Nadia",
                                 "gender": "Female"}, NORTH_STAFF)["stay_id"]
    placed = call("admit_resident", {"stay_id": stay}, NORTH_STAFF)
    assert placed["shelter_id"] == houses["NS"] and placed["status"] == "resident"
    call("hand_out_provision", {"stay_id": stay, "kind": "hygiene", "quantity": 2}, NORTH_STAFF)
    call("discharge_resident", {"stay_id": stay, "discharge_reason": "referred_elsewhere"},
         NORTH_STAFF)
    detail = call("get_stay", {"stay_id": stay, "purpose": "safety"}, NORTH_STAFF)
    assert detail["status"] == "discharged" and detail["known_as"] is None  # no longer theirs
    assert detail["personal_data"] == "withheld"
    assert call("get_stay", {"stay_id": stay, "purpose": "safety"})["known_as"] == "Nadia"


def test_another_shelters_staff_cannot_run_this_one(call, houses):
    stay, north = houses["stay_id"], houses["NS"]
    with pytest.raises(Forbidden):
        call("discharge_resident", {"stay_id": stay, "discharge_reason": "rules_breach"},
             RIVER_STAFF)
    with pytest.raises(Forbidden):
        call("report_incident", {"shelter_id": north, "kind": "location_compromised",
                                 "severity": "critical"}, RIVER_STAFF)
    with pytest.raises(Forbidden):
        call("correct_address", {"shelter_id": north, "address": "elsewhere"}, RIVER_STAFF)
    with pytest.raises(Forbidden):
        call("clear_shelter", {"shelter_id": north}, NORTH_STAFF)  # a supervisor's call
    assert call("get_stay", {"stay_id": stay}, NORTH_STAFF)["status"] == "resident"
    assert call("occupancy", {"shelter_id": north})["shelters"][0]["open"]


def test_the_address_goes_to_the_shelters_staff_and_to_no_one_else(call, houses):
    north = houses["NS"]
    assert call("get_shelter", {"shelter_id": north, "purpose": "safety"},
                NORTH_STAFF)["address"] == ADDRESS
    for who in (RIVER_STAFF, SUPERVISOR, ("cw-9", "caseworker")):
        shown = call("get_shelter", {"shelter_id": north, "purpose": "safety"}, who)
        assert shown["address"] is None and shown["personal_data"] == "withheld", who
    for who in (("ops-1", "ops"), ("aud-1", "auditor"), ("op-1", "helpline_operator")):
        with pytest.raises(Forbidden):
            call("get_shelter", {"shelter_id": north, "purpose": "safety"}, who)
    assert ADDRESS not in str(call("occupancy", {}, ("ops-1", "ops")))
    assert ADDRESS not in str(call("census", {"from": "2026-01-01", "to": "2026-01-31"},
                                   ("aud-1", "auditor")))


def test_a_residents_name_goes_to_its_shelters_staff_and_supervisors(call, houses):
    north = houses["NS"]
    own = call("list_residents", {"shelter_id": north, "purpose": "safety"}, NORTH_STAFF)
    assert [i["known_as"] for i in own["items"]] == ["Halyna"]
    other = call("list_residents", {"shelter_id": north, "purpose": "safety"}, RIVER_STAFF)
    assert [i["known_as"] for i in other["items"]] == [None]
    assert other["personal_data"] == "withheld"
    with pytest.raises(Forbidden):
        call("list_residents", {"shelter_id": north}, ("cw-1", "caseworker"))


def test_a_caseworker_places_only_their_own_cases_people(call, houses):
    with pytest.raises(Forbidden):
        call("admit_resident", {"stay_id": houses["stay_id"]}, ("cw-1", "caseworker"))
    stay = call("night_intake", {"referred_by": "ngo"}, NORTH_STAFF)["stay_id"]
    with pytest.raises(Forbidden):  # no case: not theirs
        call("hold_bed", {"stay_id": stay}, ("cw-1", "caseworker"))
    with pytest.raises(Forbidden):  # the shelters choose where: no tour of addresses
        call("hold_bed", {"stay_id": stay, "shelter_id": houses["RS"]}, ("cw-1", "caseworker"))
    with pytest.raises(Forbidden):  # linking a stranger to their case would show where
        call("link_to_case", {"stay_id": stay, "case_id": str(uuid.uuid4())},
             ("cw-1", "caseworker"))
    with pytest.raises(NotFound):
        call("keep_apart", {"case_id": str(uuid.uuid4()), "other_case_id": str(uuid.uuid4()),
                            "keep_apart_reason": "suspected_recruiter"}, ("cw-1", "caseworker"))


def test_bad_input_is_refused_naming_each_field(call, houses):
    with pytest.raises(InvalidInput) as refused:
        call("admit_resident", {"stay_id": "not-a-uuid", "smuggled": 1}, NORTH_STAFF)
    assert set(refused.value.errors) == {"stay_id", "smuggled"}
    with pytest.raises(InvalidInput) as refused:
        call("census", {"from": "2026-03-01", "to": "2026-12-31"})
    assert set(refused.value.errors) == {"to"}
    with pytest.raises(InvalidInput) as refused:
        call("register_shelter", {"code": "lower case", "name": "X", "address": "Y"})
    assert set(refused.value.errors) == {"code"}
    with pytest.raises(NotFound):
        call("discharge_resident", {"stay_id": str(uuid.uuid4()), "discharge_reason": "other"},
             NORTH_STAFF)
    with pytest.raises(RuleViolated):  # a resident holds no bed to cancel
        call("cancel_hold", {"stay_id": houses["stay_id"], "cancel_reason": "other"},
             NORTH_STAFF)
