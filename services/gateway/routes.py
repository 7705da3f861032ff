"""The HTTP API: each route names the service RPC behind it. No domain logic here.

A route's request schema documents the body (or query) in OpenAPI; validation
itself happens once, in the service behind it, so the rules live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema, fields


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST
    path: str  # werkzeug rule under /api/v1, e.g. "/contacts/<id>"
    service: str  # nameko service name
    rpc: str  # method on that service
    summary: str
    tag: str
    body: Any = None  # marshmallow schema (class or instance) of the JSON body
    query: Any = None  # marshmallow schema of the query string (GET)
    response: Any = None
    status: int = 200
    path_fields: dict[str, str] = field(default_factory=dict)  # {"id": "contact_id"}
    created: str | None = None  # result field that is the new resource's `id` (201)

    @property
    def operation_id(self) -> str:
        return f"{self.service}.{self.rpc}"


class CreatedSchema(Schema):
    id = fields.String(required=True)


class ProblemSchema(Schema):
    """application/problem+json (RFC 9457) with Haven's `code` and per-field `errors`."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    code = fields.String(required=True)
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


ROUTES: list[Route] = []


def register(routes: list[Route]) -> None:
    ROUTES.extend(routes)


def route_table() -> list[Route]:
    if not ROUTES:
        _load()
    return ROUTES


def _load() -> None:
    # Each service contributes its routes from a module of the gateway's own.
    from services.gateway import audit_routes, casework_routes, intake_routes

    register(intake_routes.ROUTES)
    register(casework_routes.ROUTES)
    register(audit_routes.ROUTES)


def payload_for(route: Route, path_values: dict[str, str], body: Any,
                query: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
    if route.method == "GET":
        payload.update(query)
    for name, value in path_values.items():
        payload[route.path_fields.get(name, name)] = value
    return payload
