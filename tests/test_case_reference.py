"""A case named by its reference (KC-2026-0033) wherever a path takes a case, and found
with `GET /api/v1/cases?reference=`, end to end through the gateway over the real broker
and database; need-to-know is the same whichever name the case is called by."""

from __future__ import annotations

import uuid

import pytest

from tests.gateway_fixtures import eventually, serve_platform

api = pytest.fixture(scope="module")(serve_platform)

SUPERVISOR = ("supervisor",)
UNKNOWN = "ZZ-1999-999999"  # well-formed; numbering never issues a 1999 reference


@pytest.fixture(scope="module")
def case(api):
    family_name = "Ref-" + uuid.uuid4().hex[:8]
    opened = api.call("POST", "/api/v1/cases", roles=SUPERVISOR, user="sup-ref", json={
        "client": {"given_name": "Iryna", "family_name": family_name, "birth_year": 1993,
                   "citizenship": "UA"},
        "origin_country": "UA", "urgency": "urgent"})
    assert opened.status_code == 201, opened.text
    body = opened.json()
    return {"case_id": body["case_id"], "reference": body["reference"],
            "family_name": family_name}


def test_a_case_is_read_by_its_reference(api, case):
    response = api.call("GET", f"/api/v1/cases/{case['reference']}", roles=SUPERVISOR,
                        user="sup-ref", params={"purpose": "supervision"})
    assert response.status_code == 200, response.text
    assert response.json()["case_id"] == case["case_id"]
    assert response.json()["reference"] == case["reference"]
    assert case["family_name"] in response.text  # a supervisor with a purpose sees the person


def test_a_change_to_a_case_takes_its_reference(api, case):
    noted = api.call("POST", f"/api/v1/cases/{case['reference']}/notes", roles=SUPERVISOR,
                     user="sup-ref", json={"text": "met at the office"})
    assert noted.status_code == 200, noted.text
    assert noted.json()["case_id"] == case["case_id"]


def test_another_services_case_path_takes_the_reference(api, case):
    """The shelters learn of the case from casework's event; then their case path takes
    the reference as it takes the id."""

    def grouped():
        response = api.call("POST", f"/api/v1/cases/{case['reference']}/case-group",
                            roles=SUPERVISOR, user="sup-ref", json={"group": "op-ref-test"})
        return response if response.status_code != 404 else None

    response = eventually(grouped)
    assert response.status_code == 200, response.text
    assert response.json()["case_ids"] == [case["case_id"]]


def test_the_case_list_finds_a_case_by_its_reference(api, case):
    found = api.call("GET", "/api/v1/cases", roles=SUPERVISOR,
                     params={"reference": case["reference"]})
    assert found.status_code == 200, found.text
    assert [i["case_id"] for i in found.json()["items"]] == [case["case_id"]]
    assert found.json()["total"] == 1
    none = api.call("GET", "/api/v1/cases", roles=SUPERVISOR, params={"reference": UNKNOWN})
    assert none.status_code == 200 and none.json()["items"] == []
    bad = api.call("GET", "/api/v1/cases", roles=SUPERVISOR, params={"reference": "KC-26-1"})
    assert bad.status_code == 400 and "reference" in bad.json()["errors"]


def test_an_unknown_reference_is_404_and_a_malformed_one_400_naming_the_field(api):
    for path in (f"/api/v1/cases/{UNKNOWN}", f"/api/v1/cases/{UNKNOWN}/placements"):
        response = api.call("GET", path, roles=SUPERVISOR)
        assert response.status_code == 404, response.text
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == "NOT_FOUND"
    response = api.call("POST", f"/api/v1/cases/{UNKNOWN}/case-group", roles=SUPERVISOR,
                        json={"group": "op-ref-test"})
    assert response.status_code == 404, response.text
    malformed = api.call("GET", "/api/v1/cases/KC-2026-33", roles=SUPERVISOR)
    assert malformed.status_code == 400, malformed.text
    assert "case_id" in malformed.json()["errors"]


def test_need_to_know_is_the_same_by_reference(api, case):
    """A caseworker who is not the case's gets the case without the person, whichever
    name they use, and the list by reference does not lead them to the client."""
    stranger = ("caseworker",)
    detail = api.call("GET", f"/api/v1/cases/{case['reference']}", roles=stranger,
                      user="cw-not-assigned", params={"purpose": "case_work"})
    assert detail.status_code == 200, detail.text
    assert detail.json()["case_id"] == case["case_id"]
    assert detail.json()["personal_data"] == "withheld"
    assert case["family_name"] not in detail.text
    listed = api.call("GET", "/api/v1/cases", roles=stranger, user="cw-not-assigned",
                      params={"reference": case["reference"]})
    assert listed.status_code == 200, listed.text
    [row] = listed.json()["items"]
    assert row["client_id"] is None and case["family_name"] not in listed.text


def test_a_role_the_route_refuses_learns_nothing_of_references(api, case):
    """403 for a known and an unknown reference alike: existence is not told."""
    for reference in (case["reference"], UNKNOWN):
        response = api.call("GET", f"/api/v1/cases/{reference}", roles=("helpline_operator",))
        assert response.status_code == 403, response.text


def test_the_document_says_a_case_path_takes_an_id_or_a_reference(api):
    spec = api.call("GET", "/api/v1/openapi.json", roles=()).json()
    for path in ("/api/v1/cases/{case_id}", "/api/v1/cases/{case_id}/case-group"):
        operation = next(iter(spec["paths"][path].values()))
        [param] = [p for p in operation["parameters"] if p["name"] == "case_id"]
        assert param["in"] == "path"
        pattern = param["schema"]["pattern"]
        assert "[A-Z]{2}-[0-9]{4}-[0-9]{4,6}" in pattern and "[0-9a-fA-F]{8}" in pattern
    params = spec["paths"]["/api/v1/cases"]["get"]["parameters"]
    assert any(p["name"] == "reference" and p["in"] == "query" for p in params)


def test_the_document_says_what_the_room_and_verify_inputs_check(api):
    """A room's beds: 1 to 20, each label once (uniqueItems); the stores verify takes."""
    from services.shelter.schemas import RoomSchema

    spec = api.call("GET", "/api/v1/openapi.json", roles=()).json()
    beds = spec["components"]["schemas"]["ShelterRoom"]["properties"]["beds"]
    assert (beds["minItems"], beds["maxItems"], beds["uniqueItems"]) == (1, 20, True)
    errors = RoomSchema().validate({"name": "Room 1", "beds": ["A", "A"]})
    assert "beds" in errors
    [service] = [p for p in spec["paths"]["/api/v1/audit/verify"]["get"]["parameters"]
                 if p["name"] == "service"]
    assert "casework" in service["description"] and "audit" in service["description"]
