"""The audit endpoints over the gateway, for the auditor role, end to end over the real
broker and database; and auditors can read but never change anything."""

from __future__ import annotations

import pytest
from nameko.exceptions import RemoteError
from nameko.runners import ServiceRunner
from nameko.standalone.rpc import ServiceRpcProxy

from services.audit.reader import AuditTrail
from services.audit.service import AuditService
from services.gateway.openapi import spec_dict
from services.gateway.service import GatewayService
from services.intake.service import IntakeService
from shared.auth import issue_token
from shared.config import settings
from shared.runner import nameko_config
from tests.audit.conftest import CONTACT, build_world
from tests.gateway_fixtures import Api, free_port


@pytest.fixture(scope="module")
def world():
    built = build_world(settings())
    yield built
    for app in built.apps:
        app.close()


@pytest.fixture(scope="module")
def api(world):
    class Audit(AuditService):  # the same service, reading this test's stores
        trail = AuditTrail(lambda: world.catalogue)

    port = free_port()
    runner = ServiceRunner(nameko_config(settings(), WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"))
    for service in (IntakeService, Audit, GatewayService):
        runner.add_service(service)
    runner.start()
    yield Api(f"http://127.0.0.1:{port}")
    runner.stop()


AUDITOR = ("auditor",)


def test_history_over_http(api, world):
    response = api.call("GET", f"/api/v1/audit/cases/{world.reference}/history", roles=AUDITOR)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["case_id"] == str(world.case_id) and len(body["events"]) == 8
    assigned = body["events"][5]
    assert (assigned["event"], assigned["actor_id"], assigned["actor_role"],
            assigned["reason"]) == ("CaseworkerAssigned", "sup-2", "supervisor",
                                    "supervision")
    # The free text is sealed under the person: auditors see that there is one, not what.
    assert "Olena" not in response.text and "on call tonight" not in response.text


def test_replay_over_http(api, world):
    history = api.call("GET", f"/api/v1/audit/cases/{world.case_id}/history",
                       roles=AUDITOR).json()["events"]
    assigned_at = history[5]["at"]
    response = api.call("GET", f"/api/v1/audit/cases/{world.reference}/replay",
                        roles=AUDITOR, params={"as_of": assigned_at})
    assert response.status_code == 200, response.text
    case = response.json()["aggregates"][0]
    assert (case["type"], case["version"], case["state"]["caseworker_id"]) == ("Case", 2, "cw-5")
    missing = api.call("GET", f"/api/v1/audit/cases/{world.reference}/replay", roles=AUDITOR)
    assert missing.status_code == 400 and "as_of" in missing.json()["errors"]


def test_access_and_verify_over_http(api, world):
    access = api.call("GET", f"/api/v1/audit/cases/{world.reference}/access", roles=AUDITOR)
    assert access.status_code == 200 and access.json()["entries"] == []
    verified = api.call("GET", "/api/v1/audit/verify", roles=AUDITOR)
    assert verified.status_code == 200, verified.text
    body = verified.json()
    assert {s["service"] for s in body["services"]} >= set(world.services)
    one = api.call("GET", "/api/v1/audit/verify", roles=AUDITOR,
                   params={"service": world.intake.name}).json()
    assert one["ok"] and [s["service"] for s in one["services"]] == [world.intake.name]
    unknown = api.call("GET", "/api/v1/audit/verify", roles=AUDITOR, params={"service": "x"})
    assert unknown.status_code == 400


def test_unknown_cases_and_other_roles_are_refused(api, world):
    assert api.call("GET", "/api/v1/audit/cases/KC-1999-0001/history",
                    roles=AUDITOR).status_code == 404
    for role in ("helpline_operator", "caseworker", "ops"):
        assert api.call("GET", f"/api/v1/audit/cases/{world.reference}/history",
                        roles=(role,)).status_code == 403
    assert api.call("GET", "/api/v1/audit/verify", roles=()).status_code == 401


def test_an_auditor_cannot_change_anything(api, rabbit_config):
    before = api.call("GET", "/api/v1/contacts", roles=AUDITOR).json()["items"]
    refused = api.call("POST", "/api/v1/contacts", roles=AUDITOR, json=CONTACT)
    assert refused.status_code == 403 and refused.json()["code"] == "FORBIDDEN"
    with ServiceRpcProxy("intake", rabbit_config,
                         context_data={"authorization": issue_token("aud-1", ["auditor"])}) \
            as intake, pytest.raises(RemoteError) as error:
        intake.log_contact(payload=CONTACT)
    assert error.value.exc_type == "Forbidden"
    assert api.call("GET", "/api/v1/contacts", roles=AUDITOR).json()["items"] == before


def test_the_audit_service_only_reads():
    specs = {name: method.haven_entrypoint for name, method in vars(AuditService).items()
             if hasattr(method, "haven_entrypoint")}
    assert set(specs) == {"case_history", "replay_case", "case_access", "verify_stores"}
    assert all(AuditService.policy.roles(name) == ("auditor", "supervisor") for name in specs)


def test_the_audit_endpoints_are_in_the_openapi_document():
    spec = spec_dict()
    answers = {"/api/v1/audit/cases/{reference}/history": "CaseHistory",
               "/api/v1/audit/cases/{reference}/replay": "CaseReplay",
               "/api/v1/audit/cases/{reference}/access": "CaseAccess",
               "/api/v1/audit/verify": "VerifyResult"}
    for path, schema in answers.items():
        operation = spec["paths"][path]
        assert set(operation) == {"get"}, path
        assert operation["get"]["tags"] == ["audit"]
        ref = operation["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        name = ref["$ref"].rpartition("/")[2]
        assert name.endswith(schema) and name in spec["components"]["schemas"], name
    replay = spec["paths"]["/api/v1/audit/cases/{reference}/replay"]["get"]
    assert any(p.get("name") == "as_of" and p.get("required") for p in replay["parameters"])
