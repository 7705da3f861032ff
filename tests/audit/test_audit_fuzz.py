"""schemathesis on the audit endpoints, with the audit service running: no input makes a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from nameko.runners import ServiceRunner

from services.audit.service import AuditService
from services.gateway.openapi import spec_dict
from services.gateway.service import GatewayService
from shared.auth import issue_token
from shared.config import settings as haven_settings
from shared.runner import nameko_config
from tests.gateway_fixtures import free_port

schema = schemathesis.openapi.from_dict(spec_dict()).include(tag="audit")


@pytest.fixture(scope="module")
def base_url():
    port = free_port()
    runner = ServiceRunner(nameko_config(haven_settings(),
                                         WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"))
    runner.add_service(AuditService)
    runner.add_service(GatewayService)
    runner.start()
    yield f"http://127.0.0.1:{port}"
    runner.stop()


@schema.parametrize()
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_no_input_makes_the_audit_endpoints_fail(case, base_url):
    token = issue_token("fuzzer", ["auditor"])
    response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"},
                         timeout=15)
    assert response.status_code < 500, (case.method, case.path, response.text)
    if response.status_code >= 400:
        assert response.headers["content-type"] == ["application/problem+json"]
