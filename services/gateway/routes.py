"""The HTTP API: every service's routes (its manifest entry names them), each bound to the
RPC behind it. No domain logic here.

A route's request and response schemas are the RPC's own (shared.service.expose), and who
may call it is the service's policy table: the gateway documents them, and validation
happens once, in the service behind it, so each rule lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from marshmallow import Schema, fields

from shared.manifest import manifest
from shared.policy import Allow
from shared.routes import Route
from shared.shell import EntrypointSpec


@dataclass(frozen=True)
class Endpoint:
    """One route of one service, with what the service declares about its RPC."""

    service: str
    route: Route
    spec: EntrypointSpec
    allow: Allow

    @property
    def operation_id(self) -> str:
        return f"{self.service}.{self.route.rpc}"

    def _input(self) -> Any:
        """The RPC's input schema less what the path carries."""
        schema = self.spec.schema
        if schema is None:
            return None
        excluded = self.route.path_fields
        return schema(exclude=excluded) if excluded else schema

    @property
    def body(self) -> Any:
        return None if self.route.method == "GET" else self._input()

    @property
    def query(self) -> Any:
        return self._input() if self.route.method == "GET" else None

    @property
    def response(self) -> Any:
        return self.spec.output


class CreatedSchema(Schema):
    id = fields.String(required=True)


class ProblemSchema(Schema):
    """application/problem+json (RFC 9457) with Haven's `code` and per-field `errors`."""

    type = fields.String(required=True, metadata={"example": "about:blank"})
    title = fields.String(required=True, metadata={
        "description": "The HTTP status's own phrase", "example": "Bad Request"})
    status = fields.Integer(required=True, metadata={"example": 400})
    detail = fields.String(required=True, metadata={
        "description": "What went wrong, in words for staff"})
    code = fields.String(required=True, metadata={
        "description": "Stable, for programs: INVALID_INPUT, UNAUTHORIZED, FORBIDDEN,"
                       " NOT_FOUND, METHOD_NOT_ALLOWED, CONFLICT, RULE_VIOLATED, ERROR",
        "example": "INVALID_INPUT"})
    errors = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={
        "description": "Each refused field (dotted for nested ones) and why",
        "example": {"started_at": ["Give a date and time with its time zone, e.g."
                                   " 2026-03-01T14:30:00+01:00."]}})
    correlation_id = fields.String(metadata={
        "description": "Quote it when you report a problem: the call's records carry it"})
    message = fields.String(metadata={"description": "The same as `detail` (kept for clients"
                                                     " written before `detail`)",
                                      "deprecated": True})


@cache
def route_table() -> tuple[Endpoint, ...]:
    found = []
    for entry in manifest():
        for route in entry.route_table:
            handler = getattr(entry.service_class, route.rpc, None)
            spec = getattr(handler, "haven_entrypoint", None)
            if spec is None:
                raise LookupError(f"route {route.method} {route.path}: {entry.name} has no"
                                  f" RPC {route.rpc}")
            found.append(Endpoint(entry.name, route, spec, entry.service_class.policy[route.rpc]))
    return tuple(found)


def payload_for(endpoint: Endpoint, path_values: dict[str, str], body: Any,
                query: dict[str, Any]) -> dict[str, Any]:
    route = endpoint.route
    payload: dict[str, Any] = dict(body) if isinstance(body, dict) else {}
    if route.method == "GET":
        payload.update(query)
    payload.update(path_values)
    return payload
