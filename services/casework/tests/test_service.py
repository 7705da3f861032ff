"""CaseworkService end to end: real RabbitMQ RPC, real PostgreSQL, the shell's tokens."""

from __future__ import annotations

import json
import uuid
from typing import cast

import eventlet
import pytest

from services.casework.application import Casework
from services.casework.service import CaseworkService
from services.casework.tests.conftest import new_client
from shared.errors import Conflict, Forbidden, InvalidInput, RuleViolated
from shared.eventstore import HavenMapper
from shared.testing.plugin import module_service, rpc

FACTS = {"origin_country": "UA", "exploitation_types": ["ForcedLabour"], "urgency": "urgent"}


@pytest.fixture(scope="module")
def service():
    with module_service(CaseworkService) as container:
        yield container


@pytest.fixture
def store(cfg):
    """An independent reader of the service's event store."""
    app = Casework(cfg)
    yield app
    app.close()


@pytest.fixture(scope="module")
def call(service):
    def call(method, payload=None, roles=("caseworker",), user="cw-1"):
        return rpc("casework", method, payload, roles, user)

    return call


@pytest.fixture(scope="module")
def case(call):
    """A case of cw-1's, with a plan objective and a follow-up to point at."""
    opened = call("open_case", {"client": new_client(), **FACTS})
    objective = call("add_plan_objective", {"case_id": opened["case_id"],
                                            "objective_type": "Health"})
    follow_up = call("schedule_follow_up", {"case_id": opened["case_id"],
                                            "due_at": "2030-01-01T10:00:00+01:00"})
    return {**opened, **objective, **follow_up}


def test_a_case_from_opening_to_closure(call):
    client = new_client()
    opened = call("open_case", {"client": client, **FACTS,
                                "opened_at": "2026-03-02T22:00:00+01:00"})
    case_id = opened["case_id"]
    assert opened["reference"].startswith("KC-2026-") and opened["version"] == 2
    assert opened["assignment"] == "confirmed"  # cw-1 registered the client themselves
    call("record_service", {"case_id": case_id, "service_type": "crisis_intervention",
                            "provided_at": "2026-03-02T22:30:00+01:00", "language": "uk"})
    call("record_consent", {"case_id": case_id, "purpose": "share_with_police",
                            "decision": "granted", "decided_on": "2026-03-03"})
    answer = call("may_share", {"case_id": case_id, "purpose": "share_with_police",
                                "recipient": "police-wroclaw", "on": "2026-03-04"},
                  roles=("lawyer",), user="law-1")
    assert (answer["allowed"], answer["reason"], answer["consent"]["recipient"]) == \
        (True, "granted", "any")
    closed = call("close_case", {"case_id": case_id, "closure_reason": "goals_achieved",
                                 "closed_at": "2026-04-01T10:00:00Z"})
    assert closed == {"case_id": case_id, "version": 5}
    detail = call("get_case", {"case_id": case_id, "purpose": "case_work"})
    assert detail["person"]["family_name"] == client["family_name"]
    assert detail["opened_at"] == "2026-03-02T21:00:00+00:00"  # stored and answered in UTC
    assert detail["services"][0]["response_seconds"] == 1800
    assert detail["closure"]["closure_reason"] == "goals_achieved"
    listed = call("list_cases", {"country": "UA", "status": "Closed", "page_size": 200},
                  roles=("auditor",), user="aud-1")
    assert case_id in [row["case_id"] for row in listed["items"]]
    stats = call("casework_stats", {"month": "2026-03"}, roles=("ops",), user="ops-1")
    assert stats["new_cases"] >= 1 and stats["services_by_type"]["crisis_intervention"] >= 1


def test_a_role_without_access_gets_no_personal_data_and_reads_are_logged(call):
    client = new_client()
    case_id = call("open_case", {"client": client, **FACTS})["case_id"]
    call("add_note", {"case_id": case_id, "text": "she hides at her cousin's in Legnica"})
    for roles, user in ((("auditor",), "aud-1"), (("ops",), "ops-1"), (("caseworker",), "cw-9")):
        seen = call("get_case", {"case_id": case_id, "purpose": "case_work"}, roles=roles,
                    user=user)
        assert seen["personal_data"] == "withheld" and "person" not in seen
        text = json.dumps(seen)
        for secret in (client["family_name"], "Legnica", "511 222 333", "pd2:"):
            assert secret not in text
        assert seen["notes"][0]["written_by"] == "cw-1" and "text" not in seen["notes"][0]
    attempts = call("access_log", {"case_id": case_id}, roles=("auditor",), user="aud-1")
    assert [(e["actor_id"], e["outcome"]) for e in attempts["items"]] == \
        [("aud-1", "withheld"), ("ops-1", "withheld"), ("cw-9", "withheld")]
    mine = call("get_case", {"case_id": case_id, "purpose": "case_work"})
    assert mine["notes"][0]["text"] == "she hides at her cousin's in Legnica"
    entry = call("access_log", {"case_id": case_id}, roles=("auditor",),
                 user="aud-1")["items"][-1]
    assert (entry["actor_id"], entry["role"], entry["purpose"], entry["case_id"]) == \
        ("cw-1", "caseworker", "case_work", case_id)
    assert entry["fields"] == ["notes", "person"] and entry["read_at"]


def test_two_caseworkers_changing_one_case_at_once_one_gets_a_conflict(call):
    case_id = call("open_case", {"client": new_client(), **FACTS}, roles=("supervisor",),
                   user="sup-1")["case_id"]
    version = call("get_case", {"case_id": case_id}, roles=("supervisor",),
                   user="sup-1")["version"]
    outcomes = []

    def change(payload):
        try:
            outcomes.append(call(payload.pop("method"), payload, roles=("supervisor",),
                                 user="sup-1"))
        except Conflict as conflict:
            outcomes.append(conflict)

    threads = [eventlet.spawn(change, {"method": "add_note", "case_id": case_id,
                                       "text": "first", "expected_version": version}),
               eventlet.spawn(change, {"method": "change_identification", "case_id": case_id,
                                       "status": "Presumed", "decided_by": "NGO",
                                       "expected_version": version})]
    for t in threads:
        t.wait()
    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "dict"]
    # Nothing is lost: the loser reloads and applies their change on top.
    latest = call("get_case", {"case_id": case_id}, roles=("supervisor",), user="sup-1")
    assert latest["version"] == version + 1
    if latest["identification"] is None:
        call("change_identification", {"case_id": case_id, "status": "Presumed",
                                       "decided_by": "NGO", "expected_version": version + 1},
             roles=("supervisor",), user="sup-1")
    else:
        call("add_note", {"case_id": case_id, "text": "first", "expected_version": version + 1},
             roles=("supervisor",), user="sup-1")
    final = call("get_case", {"case_id": case_id, "purpose": "supervision"},
                 roles=("supervisor",), user="sup-1")
    assert [n["text"] for n in final["notes"]] == ["first"]
    assert final["identification"]["status"] == "Presumed"


def test_roles_decide_who_writes_reads_and_approves(call, case):
    with pytest.raises(Forbidden):
        call("open_case", {"client": new_client(), **FACTS}, roles=("ops",))
    with pytest.raises(Forbidden):
        call("get_case", {"case_id": case["case_id"]}, roles=("lawyer",))
    with pytest.raises(Forbidden):
        call("add_note", {"case_id": case["case_id"], "text": "x"}, user="cw-2")
    with pytest.raises(Forbidden):
        call("approve_erasure", {"client_id": case["client_id"]})
    with pytest.raises(Forbidden):
        call("access_log", {"case_id": case["case_id"]})


def test_the_retention_policys_way_past_need_to_know_is_not_open_over_rpc(call):
    """`reads_nothing` is for `haven gdpr retention` in-process: over RPC it is an unknown
    field, so a caller without access cannot ask for someone's erasure."""
    opened = call("open_case", {"client": new_client(), **FACTS})
    with pytest.raises(InvalidInput):
        call("request_erasure", {"client_id": opened["client_id"], "erasure_reason":
                                 "client_request", "reads_nothing": True}, user="cw-2")


def test_a_supervisor_who_is_also_a_caseworker_is_not_confirmed_on_a_case_by_themselves(call):
    """Taking a case waits for a supervisor: one who holds both roles is not that supervisor.
    Confirmed, they would get as the case's caseworker what is kept from supervisors (the
    shelter's address, in the shelter service)."""
    both, supervisor_first = ("caseworker", "supervisor"), ("supervisor", "caseworker")
    unassigned = call("open_case", {"client": new_client(), **FACTS}, roles=("supervisor",),
                      user="sup-1")
    taken = call("assign_caseworker", {"case_id": unassigned["case_id"],
                                       "caseworker_id": "sup-9"}, roles=both, user="sup-9")
    assert taken["assignment"] == "pending"
    with pytest.raises(Forbidden):
        call("confirm_assignment", {"case_id": unassigned["case_id"]}, roles=both,
             user="sup-9")
    with pytest.raises(RuleViolated):  # not the caseworker holding it: nothing confirmed
        call("confirm_assignment", {"case_id": unassigned["case_id"], "caseworker_id": "cw-7"},
             roles=("supervisor",), user="sup-1")
    confirmed = call("confirm_assignment", {"case_id": unassigned["case_id"],
                                            "caseworker_id": "sup-9"},
                     roles=("supervisor",), user="sup-1")
    assert confirmed["assignment"] == "confirmed"
    # Assigning themselves as a supervisor, or opening a case for a known client on
    # themselves, waits for another supervisor just the same.
    other = call("open_case", {"client_id": unassigned["client_id"], **FACTS},
                 roles=("supervisor",), user="sup-1")
    assigned = call("assign_caseworker", {"case_id": other["case_id"],
                                          "caseworker_id": "sup-9"},
                    roles=supervisor_first, user="sup-9")
    assert assigned["assignment"] == "pending"
    own = call("open_case", {"client_id": unassigned["client_id"], "caseworker_id": "sup-9",
                             **FACTS}, roles=supervisor_first, user="sup-9")
    assert own["assignment"] == "pending"


def test_a_requester_cannot_approve_their_own_erasure(call):
    client = new_client()
    opened = call("open_case", {"client": client, **FACTS})
    call("request_erasure", {"client_id": opened["client_id"], "erasure_reason":
                             "client_request", "reason": "client_request",
                             "reason_detail": "she asked on the phone today"},
         roles=("supervisor",), user="sup-1")
    with pytest.raises(RuleViolated):
        call("approve_erasure", {"client_id": opened["client_id"]}, roles=("supervisor",),
             user="sup-1")
    result = call("approve_erasure", {"client_id": opened["client_id"]}, roles=("supervisor",),
                  user="sup-2")
    assert (result["status"], result["case_ids"]) == ("erased", [opened["case_id"]])
    seen = call("get_client", {"client_id": opened["client_id"], "purpose": "supervision"},
                roles=("supervisor",), user="sup-2")
    assert seen["person"]["family_name"] == "[erased]" and seen["erased"] is True
    assert seen["citizenship"] == "UA" and seen["erasure"]["status"] == "erased"


# -- invalid input: every RPC names the bad field and stores nothing ------------------------
BAD = "not-a-uuid"
INVALID = [
    ("open_case", lambda c: {"client": {**new_client(), "gender": "woman"}, "urgency": "soon"},
     {"client", "urgency"}),
    ("open_case", lambda c: {"origin_country": "UA"}, {"client"}),
    ("open_case", lambda c: {"client_id": c["client_id"], "client": new_client()}, {"client"}),
    ("get_case", lambda c: {"case_id": c["case_id"], "purpose": "curiosity"}, {"purpose"}),
    ("case_placements", lambda c: {"case_id": "not-a-case"}, {"case_id"}),
    ("list_cases", lambda c: {"status": "Pending", "page_size": 1000},
     {"status", "page_size"}),
    ("list_cases", lambda c: {"from": "0001-01-01T00:00:00+01:00", "caseworker_id": "cw 1"},
     {"from", "caseworker_id"}),  # no UTC form; a space (ids stay in clear, in tables too)
    ("update_case_facts", lambda c: {"case_id": c["case_id"], "origin_country": "Ukraine"},
     {"origin_country"}),
    ("update_case_facts", lambda c: {"case_id": c["case_id"]}, {"_schema"}),
    ("assign_caseworker", lambda c: {"case_id": c["case_id"], "caseworker_id": ""},
     {"caseworker_id"}),
    ("assign_caseworker", lambda c: {"case_id": c["case_id"], "caseworker_id": "cw-1\x00"},
     {"caseworker_id"}),
    ("change_phase", lambda c: {"case_id": c["case_id"], "phase": "Closed"}, {"phase"}),
    ("change_identification", lambda c: {"case_id": c["case_id"], "status": "Maybe",
                                         "decided_by": "NGO"}, {"status"}),
    ("start_reflection_period", lambda c: {"case_id": c["case_id"], "starts_on": "2026-03-10",
                                           "ends_on": "2026-03-01"}, {"ends_on"}),
    ("start_reflection_period", lambda c: {"case_id": c["case_id"], "starts_on": "2026-03-10",
                                           "ends_on": "2027-06-01"}, {"ends_on"}),  # domain
    ("record_consent", lambda c: {"case_id": c["case_id"], "purpose": "share_with_press",
                                  "decision": "granted"}, {"purpose"}),
    ("record_consent", lambda c: {"case_id": c["case_id"], "purpose": "share_with_police",
                                  "decision": "granted", "decided_on": "2026-03-10",
                                  "expires_on": "2026-03-01"}, {"expires_on"}),  # domain
    ("revoke_consent", lambda c: {"case_id": c["case_id"], "purpose": "share_with_police",
                                  "recipient": "The Police"}, {"recipient"}),
    ("revoke_consent", lambda c: {"case_id": c["case_id"], "purpose": "share_with_police",
                                  "recipient": "police\n"}, {"recipient"}),
    ("may_share", lambda c: {"case_id": BAD, "purpose": "share_with_police"}, {"case_id"}),
    ("record_service", lambda c: {"case_id": c["case_id"], "service_type": "massage",
                                  "duration_minutes": 0}, {"service_type", "duration_minutes"}),
    ("record_service", lambda c: {"case_id": c["case_id"], "service_type": "medical",
                                  "provided_at": "2020-01-01T10:00:00Z"}, {"provided_at"}),
    ("add_plan_objective", lambda c: {"case_id": c["case_id"], "objective_type": "Fun"},
     {"objective_type"}),
    ("add_plan_action", lambda c: {"case_id": c["case_id"], "objective_id": c["objective_id"]},
     {"description"}),
    ("add_plan_action", lambda c: {"case_id": c["case_id"], "objective_id": str(uuid.uuid4()),
                                   "description": "call the school"}, {"objective_id"}),
    ("complete_plan_action", lambda c: {"case_id": c["case_id"], "action_id": BAD},
     {"action_id"}),
    ("complete_plan_objective", lambda c: {"case_id": c["case_id"],
                                           "objective_id": c["objective_id"],
                                           "completed_on": "yesterday"}, {"completed_on"}),
    ("schedule_follow_up", lambda c: {"case_id": c["case_id"], "due_at": "2026-05-01T10:00"},
     {"due_at"}),
    ("complete_follow_up", lambda c: {"case_id": c["case_id"],
                                      "follow_up_id": c["follow_up_id"], "done": True},
     {"done"}),
    ("list_follow_ups", lambda c: {"limit": 0}, {"limit"}),
    ("add_note", lambda c: {"case_id": c["case_id"], "text": ""}, {"text"}),
    ("add_note", lambda c: {"case_id": c["case_id"], "text": "x", "expected_version": 0},
     {"expected_version"}),
    ("request_shelter_placement", lambda c: {"case_id": c["case_id"], "needs_isolation": True},
     {"isolation_reason"}),
    ("request_legal_assistance", lambda c: {"case_id": c["case_id"], "matter": "divorce"},
     {"matter"}),
    ("close_case", lambda c: {"case_id": c["case_id"], "status": "Active",
                              "closure_reason": "bored"}, {"status", "closure_reason"}),
    ("reopen_case", lambda c: {"case_id": c["case_id"], "reopened_at": "soon"},
     {"reopened_at"}),
    ("review_duplicate", lambda c: {"case_id": c["case_id"], "outcome": "twins"}, {"outcome"}),
    ("access_log", lambda c: {}, {"client_id"}),
    ("confirm_assignment", lambda c: {"case_id": c["case_id"], "expected_version": "x"},
     {"expected_version"}),
    ("break_the_glass", lambda c: {"case_id": c["case_id"], "reason_code": "curiosity"},
     {"reason_code", "reason_text"}),
    ("review_emergency_access", lambda c: {"case_id": c["case_id"], "grant_id": BAD,
                                           "outcome": "fine"}, {"grant_id", "outcome"}),
    ("review_queue", lambda c: {"limit": 5}, {"limit"}),
    ("get_client", lambda c: {"client_id": BAD}, {"client_id"}),
    ("list_clients", lambda c: {"citizenship": "Poland"}, {"citizenship"}),
    ("correct_client_details", lambda c: {"client_id": c["client_id"], "given_name": "",
                                          "email": "not-an-address"}, {"given_name", "email"}),
    ("request_erasure", lambda c: {"client_id": c["client_id"], "erasure_reason": "whim"},
     {"erasure_reason"}),
    ("approve_erasure", lambda c: {"client_id": c["client_id"], "note": "ok"}, {"note"}),
    ("reject_erasure", lambda c: {}, {"client_id"}),
    ("caseworker_workload", lambda c: {"caseworker_id": "x" * 101}, {"caseworker_id"}),
    ("casework_stats", lambda c: {"month": "2026-13"}, {"month"}),
    ("casework_stats", lambda c: {"month": "0000-01"}, {"month"}),
    ("case_id_of", lambda c: {"reference": "KC-26-1"}, {"reference"}),
]


def recorded_on_call(store: Casework, after: int | None) -> list[str]:
    """What the store recorded after notification `after` other than in reaction to another
    service's message (a consumer's record names the message that caused it): meanwhile,
    casework's consumers may take what earlier test modules left in its durable queues on
    this run's vhost (a referral whose casework was a stand-in, say)."""
    mapper = cast(HavenMapper, store.mapper)
    return [n.topic for n in store.recorder.select_notifications(after or 0, 10**6,
                                                                 inclusive_of_start=False)
            if not mapper.audit_of(n).get("causation_id")]


@pytest.mark.parametrize(("method", "payload", "fields"), INVALID,
                         ids=[f"{m}-{'-'.join(sorted(f))}" for m, _, f in INVALID])
def test_invalid_input_names_the_field_and_stores_nothing(call, case, store, method, payload,
                                                          fields):
    before = store.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        call(method, payload(case), roles=("supervisor", "caseworker"), user="cw-1")
    assert set(refused.value.errors) == fields
    assert recorded_on_call(store, before) == []


def test_every_rpc_has_an_invalid_input_test():
    rpcs = {name for name, member in vars(CaseworkService).items()
            if hasattr(member, "haven_entrypoint")}
    assert rpcs == {method for method, _, _ in INVALID}
    assert len(rpcs) == 40

