"""The OpenAPI 3 document, generated from the routes and the services' marshmallow schemas.

Everything a developer needs is in it, and the docs page (docs.py) only renders it: every
body and answer as a named schema with its enumerations, an example for the common calls
(examples.py), who may call each operation and who gets personal data back (the
service's policy table), the cross-field rules the schemas cannot express (each rule's
own docstring), and the conventions every call shares (guide.py).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from services.gateway.cases import CASE_KEY_SCHEMA, CASE_PATH_FIELD
from services.gateway.examples import EXAMPLES
from services.gateway.guide import GUIDE, IDEMPOTENCY_KEY
from services.gateway.routes import CreatedSchema, Endpoint, ProblemSchema, route_table
from services.gateway.rules import APPLICATION_RULES
from shared.fields import Window

PREFIX = "/api/v1"
_ERRORS = {
    "400": "Invalid input: `errors` names each field, in words for staff",
    "401": "Missing, expired or forged bearer token",
    "403": "Your role does not allow this",
    "404": "Unknown id or reference",
    "409": "Changed concurrently, or the Idempotency-Key's first request is still running:"
           " reload and retry",
    "422": "Not allowed in the record's current state, or an Idempotency-Key reused for"
           " another request",
}
# Refusals no schema can express, listed in the document so a client (and the conformance
# test, tests/test_gateway_schemathesis.py) can tell them from a broken promise.
RULES_OUTSIDE_SCHEMA = {
    "x-cross-field-rules": "rules across fields of one request (one of two fields, an end"
                           " after its start): refused with 400 naming the field",
    "x-window": "a date or time must lie in a window relative to today (`earliest`, up to"
                " `days_ahead` after today): refused with 400 naming the field",
    "x-record-rules": "rules that depend on records already kept (an id naming a record of"
                      " another kind, a name already taken, a date before the case opened):"
                      " refused with 400 naming the field, or 404/422",
}


def _schema_name(schema: Any) -> str | None:
    """Components named by service (`CaseworkPerson`, `IntakePerson`); a schema narrowed
    for one route (less its path fields) is the route's body (`CaseworkAddNoteBody`)."""
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema") or cls.__name__
    if isinstance(schema, Schema) and schema.only:
        return None  # a view of a schema named elsewhere: written inline
    if isinstance(schema, Schema) and schema.exclude:
        name += "Body"
    parts = cls.__module__.split(".")
    service = parts[1].title() if len(parts) > 2 and parts[0] == "services" else ""
    return name if service == "Gateway" else service + name


def _openapi_path(path: str) -> str:
    return PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)


def _window(self: Any, field: fields.Field, **kwargs: Any) -> dict[str, Any]:
    """A dated field's window (shared.fields), machine-readable: OpenAPI 3.0 has no
    bounds for a date, and the window moves with today."""
    window = getattr(field, "window", None)
    if not isinstance(window, Window):
        return {}
    return {"x-window": {"earliest": window.earliest.isoformat(),
                         "days_ahead": window.ahead.days, "says": window.says}}


def _only_null(self: Any, field: fields.Field, ret: dict[str, Any],
               **kwargs: Any) -> dict[str, Any]:
    """A nullable nested body is its schema or null. apispec writes the null alternative
    of OpenAPI 3.0 as `{"type": "object", "nullable": true}`, which admits any object at
    all: a client would believe `{"client": {"x": {}}}` valid, and be refused."""
    alternatives = ret.get("anyOf")
    if not field.allow_none or not alternatives:
        return {}
    return {"anyOf": [{"nullable": True, "enum": [None]}
                      if alt == {"type": "object", "nullable": True} else alt
                      for alt in alternatives]}


@lru_cache(maxsize=1)
def spec_dict() -> dict[str, Any]:
    plugin = MarshmallowPlugin(schema_name_resolver=_schema_name)  # type: ignore[arg-type]  # None = inline, as apispec documents
    spec = APISpec(title="Haven API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[plugin], info={"description": GUIDE},
                   **{"x-rules-outside-schema": RULES_OUTSIDE_SCHEMA})
    assert plugin.converter is not None  # set by APISpec's init
    plugin.converter.add_attribute_function(_window)
    plugin.converter.add_attribute_function(_only_null)  # after apispec's field2nullable
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=ProblemSchema)
    for status, description in _ERRORS.items():
        response: dict[str, Any] = {
            "description": description,
            "content": {"application/problem+json": {"schema": "Problem"}}}
        if status == "401":
            response["headers"] = {"WWW-Authenticate": {
                "description": "The scheme to authenticate with", "schema": {"type": "string"}}}
        spec.components.response(f"Problem{status}", response)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in route_table():
        route = endpoint.route
        paths.setdefault(_openapi_path(route.path), {})[route.method.lower()] = \
            _operation(endpoint, plugin)
    paths["/health"] = {"get": {"summary": "Liveness", "tags": ["ops"], "security": [],
                                "responses": {"200": {"description": "up"}}}}
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(endpoint: Endpoint, plugin: MarshmallowPlugin) -> dict[str, Any]:
    route = endpoint.route
    rules = cross_field_rules(endpoint.body if endpoint.body is not None else endpoint.query)
    rules += APPLICATION_RULES.get(endpoint.operation_id, ())
    op: dict[str, Any] = {
        "operationId": endpoint.operation_id, "summary": route.summary, "tags": [route.tag],
        "description": _description(endpoint, rules),
        "security": [{"bearer": []}],
        "responses": {code: {"$ref": f"#/components/responses/Problem{code}"}
                      for code in _ERRORS},
    }
    if rules:
        op["x-cross-field-rules"] = rules
    params: list[dict[str, Any]] = [
        {"in": "path", "name": name, "required": True,
         "schema": _path_schema(endpoint, name, plugin)}
        for name in route.path_fields]
    if endpoint.query is not None:
        params.append({"in": "query", "schema": endpoint.query})
    if route.method == "POST":
        params.append(IDEMPOTENCY_KEY)
    if params:
        op["parameters"] = params
    if endpoint.body is not None:
        media: dict[str, Any] = {"schema": endpoint.body}
        if endpoint.operation_id in EXAMPLES:
            media["example"] = EXAMPLES[endpoint.operation_id]
        # Optional when every field is: a command with nothing to say needs no body.
        op["requestBody"] = {"required": has_required_field(endpoint.body),
                             "content": {"application/json": media}}
    response_schema = endpoint.response
    if route.created:
        response_schema = type(f"Created{route.rpc.title().replace('_', '')}Schema",
                               (CreatedSchema, endpoint.response), {}) if endpoint.response \
            else CreatedSchema
    ok: dict[str, Any] = {"description": "OK" if route.status == 200 else "Created"}
    if response_schema is not None:
        ok["content"] = {"application/json": {"schema": response_schema}}
    op["responses"][str(route.status)] = ok
    return op


def _path_schema(endpoint: Endpoint, name: str, plugin: MarshmallowPlugin) -> dict[str, Any]:
    """What the service's own input field takes (a uuid, a pattern), so the document
    promises no value the service refuses; a case, its id or its reference (the gateway
    resolves a reference to the id, cases.py)."""
    if name == CASE_PATH_FIELD:
        return dict(CASE_KEY_SCHEMA)
    schema = endpoint.spec.schema
    field = _schema_instance(schema).fields.get(name) if schema is not None else None
    if field is None or plugin.converter is None:
        return {"type": "string"}
    prop = plugin.converter.field2property(field)
    prop.pop("nullable", None)  # a path part is always there: it cannot be null
    prop.pop("default", None)
    return prop


def _description(endpoint: Endpoint, rules: list[str]) -> str:
    lines = [endpoint.allow.describe()]
    if rules:
        lines.append("Cross-field rules (refused with 400 naming the field):\n"
                     + "\n".join(f"- {rule}" for rule in rules))
    return "\n\n".join(lines)


def _schema_instance(schema: Any) -> Schema:
    return schema if isinstance(schema, Schema) else schema()


def has_required_field(schema: Any) -> bool:
    return any(field.required for field in _schema_instance(schema).fields.values())


def cross_field_rules(schema: Any) -> list[str]:
    """What a schema checks across its fields (its `validates_schema` hooks, nested ones
    included), each in the words of the hook's docstring."""
    if schema is None:
        return []
    instance = _schema_instance(schema)
    found = [_rule_text(type(instance), name)
             for name, _, _ in instance._hooks.get("validates_schema", [])]
    for field in instance.fields.values():
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested) and isinstance(inner.nested, type | Schema):
            found += cross_field_rules(inner.nested)
    return sorted(set(found))


def _rule_text(schema_cls: type, hook: str) -> str:
    doc = getattr(schema_cls, hook).__doc__
    return " ".join(doc.split()) if doc else hook.strip("_").replace("_", " ")
