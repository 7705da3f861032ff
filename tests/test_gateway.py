"""The HTTP gateway in front of intake, end to end over real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import select
import socket
import uuid
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest
from eventsourcing.utils import get_topic

from services.gateway.routes import route_table
from services.intake.domain import Contact
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


def recorded_under(apps: list[HavenApplication], since: list[int],
                   *correlation_ids: str) -> list[str]:
    """What the calls sent under these correlation ids (X-Correlation-Id) stored in `apps`
    after `since` (each store's head before them). Counting a store's every event would
    count other writers too: the platform's consumers, still taking earlier tests' (and
    earlier modules') events, and its polls write to the same stores meanwhile."""
    return [f"{app.name}: {n.topic}" for app, head in zip(apps, since, strict=True)
            for n in app.recorder.select_notifications(head, 10**6, inclusive_of_start=False)
            if app.mapper.audit_of(n).get("correlation_id") in correlation_ids]


def call_id() -> str:
    """A correlation id of the test's own: on every record the call stores."""
    return str(uuid.uuid4())


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
    before, refused = [stored_count(intake_store)], {"X-Correlation-Id": call_id()}
    assert api.call("POST", "/api/v1/contacts", roles=(), json=CONTACT,
                    headers=dict(refused)).status_code == 401
    forged = api.token("helpline_operator")[:-4] + "AAAA"
    response = api.call("POST", "/api/v1/contacts", token=forged, json=CONTACT,
                        headers=dict(refused))
    assert response.status_code == 401
    assert response.headers["Content-Type"] == "application/problem+json"
    response = api.call("POST", "/api/v1/contacts", roles=("auditor",), json=CONTACT,
                        headers=dict(refused))
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"
    assert recorded_under([intake_store], before, refused["X-Correlation-Id"]) == []


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
    "record_consultation": ({"institution_type": "circus"}, "institution_type"),
    "complete_consultation_follow_up": ({"done_at": "yesterday"}, "done_at"),
    "record_prevention_activity": ({"kind": "party"}, "kind"),
    "withdraw_outreach_record": ({"withdrawal_reason": "bored"}, "withdrawal_reason"),
}
BAD_QUERIES = {
    "list_contacts": ({"channel": "pigeon"}, "channel"),
    "pending_callbacks": ({"limit": "0"}, "limit"),
    "on_duty": ({"at": "soon"}, "at"),
    "coverage": ({"from": "2026-01-02T00:00:00Z"}, "to"),
    "helpline_stats": ({"month": "2026-13"}, "month"),
    "list_consultations": ({"institution_type": "circus"}, "institution_type"),
    "list_prevention_activities": ({"kind": "party"}, "kind"),
    "outreach_stats": ({"month": "2026-13"}, "month"),
}


def _path(endpoint, ident):
    return "/api/v1" + re.sub(r"<\w+>", ident, endpoint.route.path)


@pytest.mark.parametrize("endpoint", [r for r in route_table() if r.service == "intake"],
                         ids=lambda r: r.route.rpc)
def test_every_endpoint_refuses_invalid_input_naming_the_field(api, intake_store, endpoint):
    route = endpoint.route
    before, made, refused = [stored_count(intake_store)], call_id(), call_id()
    contact_id = api.call("POST", "/api/v1/contacts", json=CONTACT,
                          headers={"X-Correlation-Id": made}).json()["id"]
    roles, headers = ("supervisor",), {"X-Correlation-Id": refused}
    if route.method == "POST":
        body, field = BAD_BODIES[route.rpc]
        response = api.call("POST", _path(endpoint, contact_id), roles=roles, json=body,
                            headers=headers)
    elif route.rpc == "get_contact":
        response = api.call("GET", _path(endpoint, "not-a-uuid"), roles=roles, headers=headers)
        field = "contact_id"
    else:
        query, field = BAD_QUERIES[route.rpc]
        response = api.call("GET", _path(endpoint, contact_id), roles=roles, params=query,
                            headers=headers)
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["code"] == "INVALID_INPUT"
    assert field in problem["errors"], problem
    assert recorded_under([intake_store], before, refused) == []
    assert recorded_under([intake_store], before, made)  # what a call stores is seen


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
    before, refused = [stored_count(app) for app in stores], call_id()
    ident = "00000000-0000-4000-8000-000000000001"
    path = "/api/v1" + route.path.replace("<reference>", "KC-2026-0001")
    path = re.sub(r"<\w+>", ident, path)
    token = api.token("supervisor", "caseworker", "auditor")  # whichever the endpoint admits
    headers = {"X-Correlation-Id": refused}
    if route.method == "GET":
        response = api.call("GET", path, token=token, params={"smuggled": "1"},
                            headers=headers)
    else:
        response = api.call(route.method, path, token=token, json={"smuggled": 1},
                            headers=headers)
    assert response.status_code == 400, response.text
    assert "smuggled" in response.json()["errors"]
    assert recorded_under(stores, before, refused) == []


@pytest.mark.parametrize("endpoint", [r for r in route_table() if "_id>" in r.route.path],
                         ids=lambda r: f"{r.route.method} {r.route.path}")
def test_every_endpoint_refuses_a_malformed_id_naming_it(api, stores, endpoint):
    route = endpoint.route
    before, refused = [stored_count(app) for app in stores], call_id()
    path = "/api/v1" + re.sub(r"<\w+>", "not-a-uuid", route.path)
    kwargs = {} if route.method == "GET" else {"json": {}}
    response = api.call(route.method, path, roles=("supervisor", "caseworker"),
                        headers={"X-Correlation-Id": refused}, **kwargs)
    assert response.status_code == 400, response.text
    assert route.path_fields[0] in response.json()["errors"]
    assert recorded_under(stores, before, refused) == []


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


# -- limits: bad input is refused before it costs anything -------------------------------
def contacts_logged(app: HavenApplication) -> int:
    """Contacts in intake's store: what a refused request must not add (other events, such
    as links made by consumers of earlier tests' cases, may arrive meanwhile)."""
    logged = get_topic(Contact.ContactLogged)  # type: ignore[attr-defined]
    return len(app.recorder.select_notifications(1, 10**6, topics=[logged]))

def _rss() -> int:
    """This process's resident memory in bytes (the gateway runs in it)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _send(api, head: bytes, chunks: Iterator[bytes]) -> bytes:
    """Send a request head, then body chunks until the gateway answers; its answer."""
    url = urlparse(api.base)
    with socket.create_connection((url.hostname, url.port)) as sock:
        sock.sendall(head)
        answer = b""
        for chunk in chunks:
            readable, writable, _ = select.select([sock], [sock], [], 60)
            if readable:
                break  # it answered before the body ended
            if writable:
                try:
                    sock.sendall(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    break
        sock.settimeout(60)
        while b"\r\n\r\n" not in answer and (data := sock.recv(65536)):
            answer += data
    return answer


FIFTY_MB = 50 * 1024 * 1024


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_50_mb_body_is_refused_with_413_and_never_held_in_memory(api, intake_store, framing):
    token = api.token("helpline_operator")
    before, stored = _rss(), contacts_logged(intake_store)
    block = b"[" + b"0," * 32767 + b"0]"  # 64 KiB of valid-looking JSON
    if framing == "content-length":
        head = (f"POST /api/v1/contacts HTTP/1.1\r\nHost: haven\r\nAuthorization: Bearer {token}"
                f"\r\nContent-Type: application/json\r\nContent-Length: {FIFTY_MB}\r\n"
                "Connection: close\r\n\r\n").encode()
        chunks = (block for _ in range(FIFTY_MB // len(block)))
    else:
        head = (f"POST /api/v1/contacts HTTP/1.1\r\nHost: haven\r\nAuthorization: Bearer {token}"
                "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                "Connection: close\r\n\r\n").encode()
        chunks = (b"%x\r\n%s\r\n" % (len(block), block) for _ in range(FIFTY_MB // len(block)))
    answer = _send(api, head, chunks)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"PAYLOAD_TOO_LARGE" in answer or b"application/problem+json" in answer
    assert _rss() - before < 8 * 1024 * 1024  # at most the 1 MiB limit was ever read
    assert contacts_logged(intake_store) == stored


def test_deeply_nested_json_is_a_400_never_a_500(api, intake_store):
    before = contacts_logged(intake_store)
    deep: object = 1
    for _ in range(17):  # parsed, but deeper than any command nests
        deep = {"x": deep}
    for body in (b"[" * 100_000 + b"]" * 100_000,  # beyond the parser's own recursion
                 json.dumps({**CONTACT, "summary": deep}).encode()):
        response = api.call("POST", "/api/v1/contacts", data=body,
                            headers={"Content-Type": "application/json"})
        assert response.status_code == 400, response.text
        assert response.json()["errors"] == {"_body": ["nested too deeply"]}
    assert contacts_logged(intake_store) == before


@pytest.mark.parametrize("media, data", [
    ("text/plain", json.dumps(CONTACT)),
    ("application/x-www-form-urlencoded", "channel=phone&direction=inbound"),
    ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=a\r\n\r\n1"
                                        "\r\n--x--\r\n"),
])
def test_a_body_that_is_not_json_media_is_a_415(api, intake_store, media, data):
    before = contacts_logged(intake_store)
    response = api.call("POST", "/api/v1/contacts", data=data.encode(),
                        headers={"Content-Type": media})
    assert response.status_code == 415, response.text
    assert response.json()["code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert contacts_logged(intake_store) == before


@pytest.mark.parametrize("method, path, body, query, field", [
    ("GET", "/api/v1/contacts", None, {"from": "9999-12-31T23:59:59-14:00"}, "from"),
    ("GET", "/api/v1/contacts", None, {"to": "0001-01-01T00:00:00+14:00"}, "to"),
    ("POST", "/api/v1/contacts", {**CONTACT, "started_at": "9999-12-31T23:59:59-14:00"}, None,
     "started_at"),
    ("POST", "/api/v1/contacts", {**CONTACT, "started_at": "0001-01-01T00:00:00+14:00"}, None,
     "started_at"),
    ("POST", "/api/v1/contacts", {**CONTACT, "started_at": "1989-12-31T23:00:00Z"}, None,
     "started_at"),
    ("POST", "/api/v1/cases/{case}/services",
     {"service_type": "social_counselling", "provided_at": "2031-05-01T10:00:00+02:00"}, None,
     "provided_at"),
])
def test_an_implausible_date_is_a_400_naming_the_field(api, intake_store, method, path, body,
                                                        query, field):
    before = contacts_logged(intake_store)
    roles = ("caseworker",) if "cases" in path else ("helpline_operator",)
    response = api.call(method, path.format(case=uuid.uuid4()), json=body, params=query,
                        roles=roles)
    assert response.status_code == 400, response.text
    assert field in response.json()["errors"], response.json()
    assert contacts_logged(intake_store) == before


def test_a_chunked_body_within_the_limit_is_read_whole(api, intake_store):
    before = contacts_logged(intake_store)
    body = json.dumps(CONTACT).encode()
    response = api.call("POST", "/api/v1/contacts", data=iter([body[:10], body[10:]]),
                        headers={"Content-Type": "application/json"})
    assert response.status_code == 201, response.text
    assert contacts_logged(intake_store) == before + 1


# -- Idempotency-Key: a command sent twice is carried out once ---------------------------
def test_a_repeated_contact_under_one_idempotency_key_is_one_record(api, intake_store):
    before, key = contacts_logged(intake_store), str(uuid.uuid4())
    first, again = (api.call("POST", "/api/v1/contacts", json=CONTACT,
                             headers={"Idempotency-Key": key}) for _ in range(2))
    assert first.status_code == again.status_code == 201, (first.text, again.text)
    assert first.json()["id"] == again.json()["id"]
    assert contacts_logged(intake_store) == before + 1
    other = api.call("POST", "/api/v1/contacts", json={**CONTACT, "language": "pl"},
                     headers={"Idempotency-Key": key})  # a key names one request
    assert other.status_code == 422, other.text
    assert contacts_logged(intake_store) == before + 1


@pytest.mark.parametrize("key", ["", "two words", "x" * 201])
def test_a_malformed_idempotency_key_is_refused_and_records_nothing(api, intake_store, key):
    """The gateway gives a command without a key one of its own; an empty or malformed key
    is not "no key" and must not be swapped for one (it was: CI's schemathesis run)."""
    before = contacts_logged(intake_store)
    answer = api.call("POST", "/api/v1/contacts", json=CONTACT, headers={"Idempotency-Key": key})
    assert answer.status_code == 400, answer.text
    assert contacts_logged(intake_store) == before


def test_a_repeated_case_and_service_under_one_key_are_one_record_each(api):
    casework = application_class("casework")(settings())
    try:
        client = {"given_name": "Ana", "family_name": "Idem-" + uuid.uuid4().hex[:6],
                  "birth_year": 1990, "gender": "Female", "citizenship": "UA",
                  "languages": ["uk"]}
        key = str(uuid.uuid4())
        opened = [api.call("POST", "/api/v1/cases", roles=("supervisor",), user="sup-1",
                           json={"client": client, "origin_country": "UA"},
                           headers={"Idempotency-Key": key}) for _ in range(2)]
        assert [r.status_code for r in opened] == [201, 201], opened[0].text
        case_id = opened[0].json()["case_id"]
        assert opened[1].json()["case_id"] == case_id
        before, calls = [stored_count(casework)], [call_id(), call_id()]
        service = {"service_type": "social_counselling"}
        key = str(uuid.uuid4())
        given = [api.call("POST", f"/api/v1/cases/{case_id}/services", roles=("supervisor",),
                          user="sup-1", json=service,
                          headers={"Idempotency-Key": key, "X-Correlation-Id": call})
                 for call in calls]
        assert [r.status_code for r in given] == [200, 200], given[0].text
        assert given[0].json() == given[1].json()
        # One record for the two calls (the first's); the stores' other writers aside.
        assert len(recorded_under([casework], before, *calls)) == 1
        assert recorded_under([casework], before, calls[1]) == []
    finally:
        casework.close()


def test_the_document_admits_a_nullable_client_as_null_or_a_client_never_any_object():
    """A body the document calls valid is one the service takes (up to the listed rules
    outside the schema): a nullable nested object is its own schema, or null."""
    import jsonschema

    from services.gateway.openapi import spec_dict

    spec = spec_dict()
    body = {**spec["components"]["schemas"]["CaseworkOpenCase"],
            "components": spec["components"]}
    body["properties"] = {"client": body["properties"]["client"]}
    body.pop("required", None)

    def valid(client: object) -> bool:
        return jsonschema.Draft4Validator(body).is_valid({"client": client})

    assert valid(None) and valid({"given_name": "Olena", "family_name": "Example"})
    assert not valid({"\u00d5": {}}) and not valid({})
