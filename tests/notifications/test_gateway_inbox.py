"""The inbox over HTTP, through the gateway, as internal apps use it: each member of staff
sees what was sent to them, and only someone with a relation to an emergency acknowledges
it -- a caseworker it was not sent to, another role, an anonymous caller are refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from nameko.runners import ServiceRunner

from services.casework.contracts import EMERGENCY_ACCESS_GRANTED
from services.gateway.service import GatewayService
from services.intake.contracts import CONTACT_LOGGED
from services.notifications.service import NotificationsService
from services.notifications.tests.conftest import contact
from shared.config import settings
from shared.runner import nameko_config
from shared.testing.plugin import eventually
from tests.gateway_fixtures import Api, free_port
from tests.notifications.support import publish

SUPERVISOR, ON_CALL = {"roles": ("supervisor",)}, {"roles": ("caseworker",)}


@pytest.fixture(scope="module")
def api(haven_run):
    """The gateway and the notifications service, no more: that is all these routes reach."""
    port = free_port()
    runner = ServiceRunner(nameko_config(settings(), WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"))
    runner.add_service(NotificationsService)
    runner.add_service(GatewayService)
    runner.start()
    yield Api(f"http://127.0.0.1:{port}")
    runner.stop()


def call(api: Api, method: str, path: str, user: str, roles: tuple[str, ...], **kwargs):
    return api.call(method, "/api/v1" + path, token=api.token(*roles, user=user), **kwargs)


def test_an_emergency_is_seen_and_acknowledged_only_by_those_it_concerns(api, amqp_uri):
    now = datetime.now(UTC)
    created = call(api, "POST", "/on-call", "sup-1", ("supervisor",), json={
        "user_id": "cw-21", "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat()})
    assert created.status_code == 201, created.text
    logged = contact(started_at=now - timedelta(minutes=1))
    publish(amqp_uri, CONTACT_LOGGED, logged, notification_id=930_001)

    def mine(user: str) -> list[dict]:
        items = call(api, "GET", "/inbox", user, ("caseworker",),
                     params={"page_size": "200"}).json()["items"]
        return [i for i in items if i["link"].endswith(str(logged["contact_id"]))]

    (alert,) = eventually(lambda: mine("cw-21"))
    assert mine("cw-22") == []
    acknowledge = f"/inbox/{alert['alert_id']}/acknowledge"
    assert api.call("POST", "/api/v1" + acknowledge, roles=(), json={}).status_code == 401
    for user, roles in (("cw-22", ("caseworker",)), ("law-1", ("lawyer",)),
                        ("aud-1", ("auditor",))):
        refused = call(api, "POST", acknowledge, user, roles, json={})
        assert refused.status_code == 403, refused.text
    assert mine("cw-21")[0]["status"] == "sent"
    done = call(api, "POST", acknowledge, "cw-21", ("caseworker",), json={})
    assert done.status_code == 200 and done.json()["acknowledged_by"] == "cw-21"


def test_someone_with_two_roles_reads_the_inbox_of_the_one_they_name(api, amqp_uri):
    """A caseworker who is a supervisor as well: calls act in the first role the operation
    allows (caseworker), so the supervisors' alerts wait until they name that role."""
    now, case_id = datetime.now(UTC), uuid.uuid4()
    publish(amqp_uri, EMERGENCY_ACCESS_GRANTED, {
        "grant_id": uuid.uuid4(), "client_id": uuid.uuid4(), "case_id": case_id,
        "case_ids": [case_id], "actor_id": "cw-6", "reason_code": "imminent_danger",
        "granted_at": now, "expires_at": now + timedelta(hours=4)}, notification_id=930_101)
    both = ("caseworker", "supervisor")

    def told(**headers) -> list[dict]:
        answer = call(api, "GET", "/inbox", "cw-sup-1", both, headers=headers,
                      params={"page_size": "200", "category": "emergency_access"})
        assert answer.status_code == 200, answer.text
        return [i for i in answer.json()["items"] if str(case_id) in i["link"]]

    assert eventually(lambda: told(**{"X-Haven-Role": "supervisor"}))
    assert told() == []  # as caseworker: not theirs
    lawyer = call(api, "GET", "/inbox", "cw-sup-1", both, headers={"X-Haven-Role": "lawyer"})
    assert lawyer.status_code == 403  # a role the token does not give
    unknown = call(api, "GET", "/inbox", "cw-sup-1", both, headers={"X-Haven-Role": "boss"})
    assert unknown.status_code == 400 and "X-Haven-Role" in unknown.json()["errors"]


def test_the_inbox_routes_are_in_the_openapi_document(api):
    paths = api.call("GET", "/api/v1/openapi.json", roles=()).json()["paths"]
    assert {"/api/v1/inbox", "/api/v1/on-call", "/api/v1/alerts/open",
            "/api/v1/notifications/deliveries"} <= set(paths)
    assert any(p.startswith("/api/v1/inbox/{") and p.endswith("/acknowledge") for p in paths)
