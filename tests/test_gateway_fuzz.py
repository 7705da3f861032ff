"""schemathesis fuzzes every operation of the OpenAPI document: no input makes a 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from services.gateway.openapi import spec_dict
from shared.auth import issue_token
from tests.gateway_fixtures import serve_platform

schema = schemathesis.openapi.from_dict(spec_dict())


api = pytest.fixture(scope="module")(serve_platform)


@schema.parametrize()
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_no_input_makes_the_gateway_fail(case, api):
    token = issue_token("fuzzer", ["supervisor"])
    response = case.call(base_url=api.base, headers={"Authorization": f"Bearer {token}"},
                         timeout=15)
    assert response.status_code < 500, (case.method, case.path, response.text)
    if any(name.lower() == "transfer-encoding" for name in case.headers or {}) \
            and response.status_code == 400 and "not allowed together" in response.text:
        # A body with Content-Length and a Transfer-Encoding: eventlet's HTTP server
        # refuses the ambiguous framing (a request-smuggling guard) before the gateway
        # sees the request, in plain text. Refused, and nothing reached a service.
        return
    if response.status_code >= 400:
        assert response.headers["content-type"] == ["application/problem+json"]
        assert "code" in response.json()
