"""The OpenAPI 3 document, generated from the routes and the services' marshmallow schemas."""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema

from services.gateway.routes import CreatedSchema, Endpoint, ProblemSchema, route_table

PREFIX = "/api/v1"
_ERRORS = {
    "400": "Invalid input: `errors` names each field",
    "401": "Missing, expired or forged bearer token",
    "403": "Your role does not allow this",
    "404": "Unknown id",
    "409": "Changed concurrently: reload and retry",
    "422": "Not allowed in the record's current state",
}


def _schema_name(schema: Any) -> str | None:
    """Components named by service (`CaseworkPerson`, `IntakePerson`); a schema narrowed
    for one route (less its path fields) is written inline rather than named twice."""
    if isinstance(schema, Schema) and (schema.exclude or schema.only):
        return None
    cls = schema if isinstance(schema, type) else type(schema)
    name = cls.__name__.removesuffix("Schema") or cls.__name__
    parts = cls.__module__.split(".")
    service = parts[1].title() if len(parts) > 2 and parts[0] == "services" else ""
    return name if service == "Gateway" else service + name


def _openapi_path(path: str) -> str:
    return PREFIX + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)


@lru_cache(maxsize=1)
def spec_dict() -> dict[str, Any]:
    spec = APISpec(title="Haven API", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],  # type: ignore[arg-type]  # None = inline, as apispec documents
                   info={"description": "Internal API of the Haven case platform. Every call "
                                        "needs a bearer token from `haven token issue`."})
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                               "bearerFormat": "JWT"})
    spec.components.schema("Problem", schema=ProblemSchema)
    for problem in _ERRORS:
        spec.components.response(f"Problem{problem}", {
            "description": _ERRORS[problem],
            "content": {"application/problem+json": {"schema": "Problem"}}})
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in route_table():
        route = endpoint.route
        paths.setdefault(_openapi_path(route.path), {})[route.method.lower()] = \
            _operation(endpoint)
    paths["/health"] = {"get": {"summary": "Liveness", "tags": ["ops"], "security": [],
                                "responses": {"200": {"description": "up"}}}}
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    route = endpoint.route
    op: dict[str, Any] = {
        "operationId": endpoint.operation_id, "summary": route.summary, "tags": [route.tag],
        "description": endpoint.allow.describe(),
        "security": [{"bearer": []}],
        "responses": {code: {"$ref": f"#/components/responses/Problem{code}"}
                      for code in _ERRORS},
    }
    params = [{"in": "path", "name": name, "required": True,
               "schema": {"type": "string", "format": "uuid"} if name.endswith("_id")
               else {"type": "string"}}  # e.g. a case reference, KC-2026-0042
              for name in route.path_fields]
    if endpoint.query is not None:
        params.append({"in": "query", "schema": endpoint.query})
    if params:
        op["parameters"] = params
    if endpoint.body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": endpoint.body}}}
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


def docs_page() -> str:
    """A readable, self-contained page: no scripts or assets fetched from anywhere."""
    spec = spec_dict()
    rows = []
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            rows.append(f"<tr><td><code>{method.upper()}</code></td><td><code>"
                        f"{html.escape(path)}</code></td><td>{html.escape(op.get('summary', ''))}"
                        f"</td><td>{html.escape(', '.join(op.get('tags', [])))}</td></tr>")
    schemas = []
    for name, schema in spec["components"].get("schemas", {}).items():
        props = "".join(
            f"<li><code>{html.escape(p)}</code> {html.escape(str(d.get('type', '')))}"
            f"{' <b>required</b>' if p in schema.get('required', []) else ''}"
            f"{' one of ' + html.escape(', '.join(map(str, d['enum']))) if 'enum' in d else ''}"
            f"</li>" for p, d in schema.get("properties", {}).items())
        schemas.append(f"<h3 id='{html.escape(name)}'>{html.escape(name)}</h3><ul>{props}</ul>")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>Haven API</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
            "td{padding:.2em .8em;border-bottom:1px solid #ddd}</style></head><body>"
            "<h1>Haven API v1</h1><p>Machine-readable: <a href='/api/v1/openapi.json'>"
            "openapi.json</a>. Authenticate with <code>Authorization: Bearer &lt;token&gt;"
            "</code> (<code>haven token issue --user U --roles r1,r2</code>). Errors are "
            "<code>application/problem+json</code> with <code>code</code> and per-field "
            "<code>errors</code>.</p><table><tr><th>Method</th><th>Path</th><th>What</th>"
            "<th>Area</th></tr>" + "".join(rows) + "</table><h2>Schemas</h2>"
            + "".join(schemas) + "</body></html>")
