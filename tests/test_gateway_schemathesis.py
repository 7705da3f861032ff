"""The gateway keeps the promises of its own OpenAPI document: schemathesis with every
check (as `st run --checks all`), two fixed seeds, against the whole platform.

A schema-valid request may still be refused by a rule the document cannot express, and
the document lists those (`x-rules-outside-schema`): rules across fields, date windows
relative to today, rules about records already kept (422, or 400 naming the field). Such
a refusal is told apart from a broken promise by the service's own input schema: the
request passes every per-field check of it that the document expresses, so only a listed
rule can have refused it. Every other failure of any check fails the test.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from marshmallow import Schema, fields
from marshmallow.decorators import VALIDATES_SCHEMA
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import RejectedPositiveData
from werkzeug.datastructures import MultiDict

from services.gateway.decoding import query_payload
from services.gateway.openapi import spec_dict
from services.gateway.routes import Endpoint, payload_for, route_table
from shared.auth import issue_token
from shared.fields import _InWindow
from tests.gateway_fixtures import serve_platform

pytestmark = pytest.mark.slow

SEEDS = (1, 2)
MAX_EXAMPLES = 10  # per operation and seed, on top of the documented examples

load_all_checks()
ALL_CHECKS = CHECKS.get_all()

api = pytest.fixture(scope="module")(serve_platform)


def _schema(seed: int) -> Any:
    config = SchemathesisConfig.from_dict({
        "seed": seed, "generation": {"max-examples": MAX_EXAMPLES},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}})
    return schemathesis.openapi.from_dict(spec_dict(), config=config)


def _endpoint(case: Any) -> Endpoint:
    for endpoint in route_table():
        if (endpoint.route.method == case.method.upper()
                and case.path == "/api/v1" + endpoint.route.path.replace("<", "{")
                .replace(">", "}")):
            return endpoint
    raise LookupError(f"{case.method} {case.path} is not a route")


def _payload(endpoint: Endpoint, case: Any) -> dict[str, Any]:
    """What the gateway hands the service for this case."""
    body = case.body if isinstance(case.body, dict) else None
    sent = MultiDict([(name, _as_text(item)) for name, value in (case.query or {}).items()
                      for item in (value if isinstance(value, list) else [value])])
    query = query_payload(endpoint, sent) if endpoint.route.method == "GET" else {}
    return payload_for(endpoint, dict(case.path_parameters or {}), body, query)


def _as_text(value: Any) -> str:
    """A query value as the URL carries it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _schema_expressible_errors(schema: Schema, payload: dict[str, Any]) -> dict[str, Any]:
    """The service schema's errors for `payload` that the document could have expressed:
    per-field checks, without its cross-field hooks and without date windows."""
    fields_only = type(schema)()
    hooks = copy.copy(type(schema)._hooks)  # a defaultdict: every kind of hook is a key
    hooks[VALIDATES_SCHEMA] = []
    fields_only._hooks = hooks  # on the instance: the class keeps its hooks
    return _less_windows(fields_only, fields_only.validate(payload))


def _less_windows(schema: Schema, errors: dict[str, Any]) -> dict[str, Any]:
    """`errors` less a date outside its window (x-window), nested schemas included."""
    by_key = {field.data_key or name: field for name, field in schema.fields.items()}
    kept: dict[str, Any] = {}
    for name, messages in errors.items():
        field = by_key.get(name)
        if isinstance(messages, dict) and isinstance(field, fields.Nested):
            inner = _less_windows(field.schema, messages)
            if inner:
                kept[name] = inner
        elif not (isinstance(field, _InWindow) and isinstance(messages, list)
                  and all(str(m).startswith("must be between") for m in messages)):
            kept[name] = messages
    return kept


def listed_rule(case: Any, response: Any) -> str | None:
    """Which listed rule refused a schema-valid request, or None for a broken promise."""
    problem = response.json() if response.content else {}
    if response.status_code == 422 and problem.get("code") == "RULE_VIOLATED":
        return "x-record-rules"  # the record's state, or an Idempotency-Key already used
    if response.status_code != 400 or problem.get("code") != "INVALID_INPUT":
        return None
    endpoint = _endpoint(case)
    if endpoint.spec.schema is None:
        return None
    schema = endpoint.spec.schema()  # the RPC's whole input: body or query, and the path
    payload = _payload(endpoint, case)
    if _schema_expressible_errors(schema, payload):
        return None
    return "x-cross-field-rules, x-window or x-record-rules"


def _check(case: Any, api: Any) -> None:
    token = issue_token("conformance", ["supervisor"])
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and case.meta and case.meta.generation.mode.is_positive:
        # A desk app sends a new key with each new command (the document says so); the
        # fuzzer's short keys would otherwise repeat with other bodies and meet 422.
        case.headers["Idempotency-Key"] = f"{uuid.uuid4().hex}-{key}"[:200]
    response = case.call(base_url=api.base, headers={"Authorization": f"Bearer {token}"},
                         timeout=30)
    try:
        case.validate_response(response, checks=ALL_CHECKS,
                               transport_kwargs={"base_url": api.base})
    except FailureGroup as group:
        broken = [failure for failure in group.exceptions
                  if not (isinstance(failure, RejectedPositiveData)
                          and listed_rule(case, response))]
        if broken:
            raise FailureGroup(broken, str(group)) from None


_SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck))


@_schema(SEEDS[0]).parametrize()
@_SETTINGS
def test_the_gateway_keeps_its_documents_promises_seed_1(case, api):
    _check(case, api)


@_schema(SEEDS[1]).parametrize()
@_SETTINGS
def test_the_gateway_keeps_its_documents_promises_seed_2(case, api):
    _check(case, api)
