"""The HTTP gateway in front of intake, end to end over real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import re

import pytest

from services.gateway.routes import route_table
from shared.config import settings
from shared.eventstore import HavenApplication
from shared.registry import application_class
from tests.gateway_fixtures import eventually, serve_platform

CONTACT = {"channel": "phone", "direction": "inbound", "caller_type": "potential_victim",
           "topic": "victim_support", "urgency": "urgent", "language": "uk",
           "summary": "Caller says her passport was taken by the farm owner",
           "callback_contact": "+48 600 100 200"}


api = pytest.fixture(scope="module")(serve_platform)


@pytest.fixture(scope="module")
def intake_store():
    app: HavenApplication = application_class("intake")(settings())
    yield app
    app.close()


def stored_count(app: HavenApplication) -> int:
    return app.recorder.max_notification_id() or 0


def test_health_and_openapi_are_served(api):
    assert api.call("GET", "/health", roles=()).json() == {"status": "ok"}
    spec = api.call("GET", "/api/v1/openapi.json", roles=()).json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/contacts/{contact_id}/referral" in spec["paths"]
    assert "Haven API" in api.call("GET", "/api/v1/docs", roles=()).text


def test_a_logged_contact_is_listed_shown_and_counted(api):
    created = api.call("POST", "/api/v1/contacts", json=CONTACT)
    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]

    detail = api.call("GET", f"/api/v1/contacts/{contact_id}").json()
    assert detail["summary"] == CONTACT["summary"]

    def listed():
        items = api.call("GET", "/api/v1/contacts", params={"channel": "phone"}).json()["items"]
        return [i for i in items if i["contact_id"] == contact_id]

    rows = eventually(listed)
    assert rows and "summary" not in rows[0]  # the log holds codes, never personal data

    month = detail["started_at"][:7]
    stats = eventually(lambda: api.call("GET", "/api/v1/helpline/stats",
                                        params={"month": month}).json().get("contacts"))
    assert stats >= 1


def test_no_token_a_forged_token_or_a_wrong_role_is_refused(api, intake_store):
    before = stored_count(intake_store)
    assert api.call("POST", "/api/v1/contacts", roles=(), json=CONTACT).status_code == 401
    forged = api.token("helpline_operator")[:-4] + "AAAA"
    response = api.call("POST", "/api/v1/contacts", token=forged, json=CONTACT)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    response = api.call("POST", "/api/v1/contacts", roles=("auditor",), json=CONTACT)
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"
    assert stored_count(intake_store) == before


def test_unknown_ids_and_paths_are_404(api):
    missing = "00000000-0000-4000-8000-000000000000"
    assert api.call("GET", f"/api/v1/contacts/{missing}").status_code == 404
    assert api.call("GET", "/api/v1/nowhere").status_code == 404


BAD_BODIES = {
    "log_contact": ({"channel": "pigeon"}, "channel"),
    "screen_contact": ({"assessment": "maybe"}, "assessment"),
    "close_contact": ({"outcome": "shrug"}, "outcome"),
    "refer_to_casework": ({"person": {"given_name": "A"}}, "person"),
    "link_to_case": ({"case_id": ""}, "case_id"),
    "correct_case_link": ({"case_id": "KC-2026-0001"}, "case_id"),
    "record_missed_call": ({"channel": "telegraph"}, "channel"),
    "complete_callback": ({"contact_id": "not-a-uuid"}, "contact_id"),
    "start_shift": ({"started_at": "yesterday"}, "started_at"),
    "end_shift": ({"ended_at": 42}, "ended_at"),
}
BAD_QUERIES = {
    "list_contacts": ({"channel": "pigeon"}, "channel"),
    "pending_callbacks": ({"limit": "0"}, "limit"),
    "on_duty": ({"at": "soon"}, "at"),
    "coverage": ({"from": "2026-01-02T00:00:00Z"}, "to"),
    "helpline_stats": ({"month": "2026-13"}, "month"),
}


def _path(endpoint, ident):
    return "/api/v1" + re.sub(r"<\w+>", ident, endpoint.route.path)


@pytest.mark.parametrize("endpoint", [r for r in route_table() if r.service == "intake"],
                         ids=lambda r: r.route.rpc)
def test_every_endpoint_refuses_invalid_input_naming_the_field(api, intake_store, endpoint):
    route = endpoint.route
    contact_id = api.call("POST", "/api/v1/contacts", json=CONTACT).json()["id"]
    before = stored_count(intake_store)
    roles = ("supervisor",)
    if route.method == "POST":
        body, field = BAD_BODIES[route.rpc]
        response = api.call("POST", _path(endpoint, contact_id), roles=roles, json=body)
    elif route.rpc == "get_contact":
        response = api.call("GET", _path(endpoint, "not-a-uuid"), roles=roles)
        field = "contact_id"
    else:
        query, field = BAD_QUERIES[route.rpc]
        response = api.call("GET", _path(endpoint, contact_id), roles=roles, params=query)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == "INVALID_INPUT"
    assert field in problem["errors"], problem
    assert stored_count(intake_store) == before


def test_a_body_that_is_not_json_is_a_400(api):
    response = api.call("POST", "/api/v1/contacts", data=b"{nope",
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["code"] == "INVALID_INPUT"


@pytest.fixture(scope="module")
def stores():
    from shared.registry import SERVICES

    apps = [application_class(name)(settings()) for name in SERVICES]
    yield apps
    for app in apps:
        app.close()


@pytest.mark.parametrize("endpoint", route_table(),
                         ids=lambda r: f"{r.route.method} {r.route.path}")
def test_every_endpoint_refuses_an_unknown_field_naming_it(api, stores, endpoint):
    """The generic half of 'invalid input everywhere': any endpoint, any service."""
    route = endpoint.route
    before = [stored_count(app) for app in stores]
    ident = "00000000-0000-4000-8000-000000000001"
    path = "/api/v1" + route.path.replace("<reference>", "KC-2026-0001")
    path = re.sub(r"<\w+>", ident, path)
    token = api.token("supervisor", "caseworker", "auditor")  # whichever the endpoint admits
    if route.method == "GET":
        response = api.call("GET", path, token=token, params={"smuggled": "1"})
    else:
        response = api.call(route.method, path, token=token, json={"smuggled": 1})
    assert response.status_code == 400, response.text
    assert "smuggled" in response.json()["errors"]
    assert [stored_count(app) for app in stores] == before


@pytest.mark.parametrize("endpoint", [r for r in route_table() if "_id>" in r.route.path],
                         ids=lambda r: f"{r.route.method} {r.route.path}")
def test_every_endpoint_refuses_a_malformed_id_naming_it(api, stores, endpoint):
    route = endpoint.route
    before = [stored_count(app) for app in stores]
    path = "/api/v1" + re.sub(r"<\w+>", "not-a-uuid", route.path)
    kwargs = {} if route.method == "GET" else {"json": {}}
    response = api.call(route.method, path, roles=("supervisor", "caseworker"), **kwargs)
    assert response.status_code == 400, response.text
    assert route.path_fields[0] in response.json()["errors"]
    assert [stored_count(app) for app in stores] == before


def test_two_changes_to_one_case_on_the_same_version_give_one_409(api):
    supervisor = ("supervisor",)
    opened = api.call("POST", "/api/v1/cases", roles=supervisor, json={
        "client": {"given_name": "Lena", "family_name": "Moroz", "birth_year": 1994,
                   "citizenship": "UA"},
        "origin_country": "UA", "urgency": "urgent"})
    assert opened.status_code == 201, opened.text
    case_id, version = opened.json()["id"], opened.json()["version"]
    first = api.call("POST", f"/api/v1/cases/{case_id}/notes", roles=supervisor,
                     json={"text": "first visit", "expected_version": version})
    second = api.call("POST", f"/api/v1/cases/{case_id}/notes", roles=supervisor,
                      json={"text": "second visit", "expected_version": version})
    assert first.status_code == 200, first.text
    assert second.status_code == 409 and second.json()["code"] == "CONFLICT"
    notes = api.call("GET", f"/api/v1/cases/{case_id}", roles=supervisor,
                     params={"purpose": "case_work"}).json()["notes"]
    assert [n["text"] for n in notes] == ["first visit"]  # nothing half-written
