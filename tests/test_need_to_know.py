"""Need to know, tried as a member of staff would, through the gateway, on the real broker
and database: no route a caseworker can take alone leads to a victim's personal data, and
every attempt shows in the victim's access log or the supervisors' review queue."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.gateway_fixtures import eventually, serve_platform

api = pytest.fixture(scope="module")(serve_platform)

FACTS = {"origin_country": "UA", "urgency": "urgent", "exploitation_types": ["ForcedLabour"]}
SUPERVISOR = {"roles": ("supervisor",), "user": "sup-1"}
OWNER = {"roles": ("caseworker",), "user": "cw-owner"}
INTRUDER = {"roles": ("caseworker",), "user": "cw-intruder"}
DESK = {"roles": ("helpline_operator",), "user": "op-desk"}
AUDITOR = {"roles": ("auditor",), "user": "aud-1"}


def call(api, method, path, who, **kwargs):
    response = api.call(method, "/api/v1" + path, roles=who["roles"], user=who["user"],
                        **kwargs)
    assert response.status_code < 500, response.text
    return response


def victim(api) -> dict:
    """A client with a case their (confirmed) caseworker works on."""
    person = {"given_name": "Olena", "family_name": "Zhuk-" + uuid.uuid4().hex[:8].translate(
        str.maketrans("0123456789", "abcdefghij")), "birth_year": 1997, "citizenship": "UA",
        "phone": "+48 600 700 800", "address": "ul. Cicha 3, Wrocław"}
    opened = call(api, "POST", "/cases", SUPERVISOR,
                  json={"client": person, "caseworker_id": "cw-owner", **FACTS}).json()
    assert opened["assignment"] == "confirmed"
    return {**opened, "person": person}


def withheld(detail: dict, person: dict) -> bool:
    text = json.dumps(detail)
    return detail["personal_data"] == "withheld" and "person" not in detail and not any(
        secret in text for secret in (person["family_name"], "600 700 800", "Cicha"))


def access_log(api, case_id: str) -> list[dict]:
    return call(api, "GET", f"/cases/{case_id}/access-log", AUDITOR).json()["items"]


def review_queue(api) -> dict:
    return call(api, "GET", "/casework/reviews", SUPERVISOR).json()


def test_opening_a_case_for_a_known_client_id_gives_no_personal_data(api):
    known = victim(api)
    opened = call(api, "POST", "/cases", INTRUDER,
                  json={"client_id": known["client_id"], **FACTS}).json()
    assert opened["assignment"] == "pending"
    detail = call(api, "GET", f"/cases/{opened['id']}", INTRUDER,
                  params={"purpose": "case_work"}).json()
    assert withheld(detail, known["person"]) and "client_id" not in detail
    assert "supervisor" in detail["personal_data_note"]
    # Visible: to the supervisors (a caseworker to confirm) and in the victim's own log.
    assert opened["id"] in [c["case_id"] for c in review_queue(api)["pending_assignments"]]
    assert ("cw-intruder", "withheld") in [(e["actor_id"], e["outcome"])
                                           for e in access_log(api, known["case_id"])]


def test_opening_a_case_with_a_known_name_and_birth_year_reveals_no_one(api):
    known = victim(api)
    lookalike = {k: known["person"][k] for k in ("given_name", "family_name", "birth_year")}
    opened = call(api, "POST", "/cases", INTRUDER,
                  json={"client": {**lookalike, "family_name": lookalike["family_name"].upper()},
                        **FACTS}).json()
    assert opened["possible_duplicate"] is True and opened["client_id"] is None
    assert opened["assignment"] == "pending"
    detail = call(api, "GET", f"/cases/{opened['id']}", INTRUDER,
                  params={"purpose": "case_work"}).json()
    assert withheld(detail, known["person"])
    assert known["client_id"] not in json.dumps(detail)  # nothing leads to the victim
    queue = review_queue(api)
    assert opened["id"] in [c["case_id"] for c in queue["possible_duplicates"]]
    assert ("cw-intruder", "withheld") in [(e["actor_id"], e["outcome"])
                                           for e in access_log(api, known["case_id"])]
    # Only a supervisor settles a possible duplicate.
    refused = call(api, "POST", f"/cases/{opened['id']}/duplicate-review", INTRUDER,
                   json={"outcome": "same_person"})
    assert refused.status_code == 403 and "supervisor" in refused.json()["message"]


def test_taking_an_unassigned_case_waits_for_a_supervisor(api):
    known = victim(api)
    unassigned = call(api, "POST", "/cases", SUPERVISOR,
                      json={"client_id": known["client_id"], **FACTS}).json()
    taken = call(api, "POST", f"/cases/{unassigned['id']}/assignment", INTRUDER,
                 json={"caseworker_id": "cw-intruder"}).json()
    assert taken["assignment"] == "pending"
    detail = call(api, "GET", f"/cases/{unassigned['id']}", INTRUDER,
                  params={"purpose": "case_work"}).json()
    assert withheld(detail, known["person"])
    assert unassigned["id"] in [c["case_id"] for c in review_queue(api)["pending_assignments"]]
    # Once a supervisor confirms the assignment, the caseworker sees the person, logged.
    call(api, "POST", f"/cases/{unassigned['id']}/assignment/confirmation", SUPERVISOR, json={})
    confirmed = call(api, "GET", f"/cases/{unassigned['id']}", INTRUDER,
                     params={"purpose": "case_work"}).json()
    assert confirmed["person"]["family_name"] == known["person"]["family_name"]
    reads = [(e["actor_id"], e["outcome"]) for e in access_log(api, known["case_id"])]
    assert reads[-1] == ("cw-intruder", "read")


def test_emergency_access_is_allowed_with_a_reason_marked_and_announced(api, amqp_uri):
    from tests.platform.msg_apps import tap

    known = victim(api)
    before = call(api, "GET", f"/cases/{known['case_id']}", INTRUDER,
                  params={"purpose": "safety"}).json()
    assert withheld(before, known["person"])
    with tap(amqp_uri, "casework.events") as received:
        missing = call(api, "POST", f"/cases/{known['case_id']}/emergency-access", INTRUDER,
                       json={"reason_code": "imminent_danger"})
        assert missing.status_code == 400 and "reason_text" in missing.json()["errors"]
        grant = call(api, "POST", f"/cases/{known['case_id']}/emergency-access", INTRUDER,
                     json={"reason_code": "imminent_danger",
                           "reason_text": "the trafficker is outside her door"}).json()
        got: list = []

        def granted() -> list[dict]:
            # The case's opening may still be on its way to the exchange: wait for the
            # grant itself, not for whatever comes first.
            got.extend(received())
            return [json.loads(body) for message, _, body in got
                    if message.routing_key == "EmergencyAccessGranted"]

        announced = eventually(granted)
    assert announced and announced[0]["data"]["grant_id"] == grant["grant_id"]
    assert "outside her door" not in json.dumps(announced)  # the reason stays sealed
    seen = call(api, "GET", f"/cases/{known['case_id']}", INTRUDER,
                params={"purpose": "safety"}).json()
    assert seen["person"]["address"] == known["person"]["address"]
    last = access_log(api, known["case_id"])[-1]
    assert (last["actor_id"], last["emergency"], last["outcome"]) == ("cw-intruder", True, "read")
    queue = review_queue(api)["emergency_accesses"]
    assert grant["grant_id"] in [g["grant_id"] for g in queue]
    flagged = call(api, "POST", f"/cases/{known['case_id']}/emergency-access/review",
                   SUPERVISOR, json={"grant_id": grant["grant_id"], "outcome": "flagged"})
    assert flagged.json()["review"]["outcome"] == "flagged"
    assert call(api, "POST", f"/cases/{known['case_id']}/emergency-access", SUPERVISOR,
                json={"reason_code": "other", "reason_text": "x"}).status_code == 403


def referred_contact(api) -> tuple[str, str]:
    """A helpline contact referred to casework: (contact id, the case it became)."""
    contact = call(api, "POST", "/contacts", DESK, json={
        "channel": "phone", "language": "uk", "caller_type": "potential_victim",
        "topic": "victim_support", "urgency": "urgent",
        "summary": "she sleeps in the van behind the bakery",
        "callback_contact": "+48 511 000 111"}).json()["id"]
    call(api, "POST", f"/contacts/{contact}/screening", DESK,
         json={"assessment": "presumed_victim", "indicators": ["deception"]})
    call(api, "POST", f"/contacts/{contact}/referral", DESK, json={
        "person": {"given_name": "Iryna", "family_name": "Bakery-" + uuid.uuid4().hex[:6]},
        "gender": "Female"})

    def linked() -> str | None:
        return call(api, "GET", f"/contacts/{contact}", SUPERVISOR).json()["case_id"]

    return contact, eventually(linked)


def test_a_contact_is_read_only_by_those_who_need_to_know_and_every_read_is_logged(api):
    contact, case_id = referred_contact(api)
    secrets = ("van behind the bakery", "511 000 111", "Bakery-")
    stranger = call(api, "GET", f"/contacts/{contact}", INTRUDER).json()
    assert stranger["personal_data"] == "withheld"
    assert not any(s in json.dumps(stranger) for s in secrets)
    call(api, "POST", f"/cases/{case_id}/assignment", SUPERVISOR,
         json={"caseworker_id": "cw-owner"})

    def readable() -> dict | None:
        seen = call(api, "GET", f"/contacts/{contact}", OWNER).json()
        return seen if seen["personal_data"] == "included" else None

    seen = eventually(readable)  # once intake has heard the assignment was confirmed
    assert seen["summary"] == "she sleeps in the van behind the bakery"
    assert seen["referral"]["person"]["family_name"].startswith("Bakery-")
    assert call(api, "GET", f"/contacts/{contact}", INTRUDER).json()["personal_data"] == \
        "withheld"

    def logged() -> list[tuple[str, str]]:
        return [(e["actor_id"], e["outcome"]) for e in access_log(api, case_id)
                if e["service"] == "intake"]

    # The helpline's reads reach the person's one log in casework, refused ones included.
    reads = eventually(lambda: ("cw-owner", "read") in logged() and logged())
    assert ("cw-intruder", "withheld") in reads and ("sup-1", "read") in reads

    # An auditor sees the same reads -- the helpline's, and a client-level one -- per case.
    case = call(api, "GET", f"/cases/{case_id}", SUPERVISOR).json()
    call(api, "GET", f"/clients/{case['client_id']}", SUPERVISOR,
         params={"purpose": "supervision"})
    audited = call(api, "GET", f"/audit/cases/{case['reference']}/access", AUDITOR).json()
    seen = {(e["service"], e["actor_id"], e["outcome"]) for e in audited["entries"]}
    assert {("intake", "cw-intruder", "withheld"), ("intake", "cw-owner", "read"),
            ("casework", "sup-1", "read")} <= seen


def test_a_contact_links_only_to_a_case_casework_opened(api):
    contact = call(api, "POST", "/contacts", DESK, json={
        "channel": "phone", "language": "pl", "caller_type": "witness",
        "topic": "victim_support", "urgency": "routine"}).json()["id"]
    nowhere = call(api, "POST", f"/contacts/{contact}/case-link", DESK,
                   json={"case_id": str(uuid.uuid4())})
    assert nowhere.status_code == 400 and "case_id" in nowhere.json()["errors"]
    known = victim(api)
    linked = eventually(lambda: call(api, "POST", f"/contacts/{contact}/case-link", DESK,
                                     json={"case_id": known["case_id"]}).status_code == 200)
    assert linked
    other = victim(api)

    def relinked():  # once the helpline has heard of the other case: refused all the same
        response = call(api, "POST", f"/contacts/{contact}/case-link", DESK,
                        json={"case_id": other["case_id"]})
        return (response.status_code, response.json()) if response.status_code != 400 else None

    status, problem = eventually(relinked)
    assert status == 422 and "supervisor" in problem["message"]
    without_reason = call(api, "POST", f"/contacts/{contact}/case-link/correction", SUPERVISOR,
                          json={"case_id": other["case_id"]})
    assert without_reason.status_code == 400 and "reason" in without_reason.json()["errors"]
    corrected = eventually(lambda: call(
        api, "POST", f"/contacts/{contact}/case-link/correction", SUPERVISOR,
        json={"case_id": other["case_id"], "reason": "correction",
              "reason_detail": "the caller spoke of her sister"}))
    assert corrected.json()["case_reference"] == other["reference"]
