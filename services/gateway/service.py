"""The gateway: HTTP+JSON in front of the services' RPCs. Auth is checked again by each
service; the gateway only refuses what cannot be a valid call (no or bad token, bad JSON)."""

from __future__ import annotations

import json
from typing import Any

from nameko.exceptions import RemoteError
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from services.gateway.http import Forwarding, ServiceRpc, api, json_response, problem
from services.gateway.openapi import docs_page, spec_dict
from services.gateway.routes import Endpoint, payload_for, route_table
from shared.auth import verify_token
from shared.errors import HavenError, InvalidInput, NotFound, Unauthorized, from_remote

ANY = "GET,POST,PUT,PATCH,DELETE"


def _url_map() -> Map:
    return Map([Rule(e.route.path, methods=[e.route.method], endpoint=i)
                for i, e in enumerate(route_table())])


class GatewayService:
    name = "gateway"

    forward = Forwarding()
    rpc = ServiceRpc()

    _urls = _url_map()

    @api("GET", "/health")
    def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    @api("GET", "/api/v1/openapi.json")
    def openapi(self, request: Request) -> Response:
        return json_response(spec_dict())

    @api("GET", "/api/v1/docs")
    def docs(self, request: Request) -> Response:
        return Response(docs_page(), mimetype="text/html")

    @api(ANY, "/api/v1/<path:path>")
    def call(self, request: Request, path: str) -> Response:
        endpoint, values = self._match(request, path)
        route = endpoint.route
        token = self._token(request)
        body = self._body(request) if route.method != "GET" else None
        payload = payload_for(endpoint, values, body, request.args.to_dict())
        correlation_id = self.forward(token, request.headers.get("X-Correlation-Id"))
        try:
            result = self.rpc(endpoint.service, route.rpc, payload)
        except RemoteError as exc:
            return problem(from_remote(exc.exc_type, exc.value), correlation_id)
        headers = {"X-Correlation-Id": correlation_id}
        if route.created and isinstance(result, dict) and result.get(route.created):
            result = {"id": result[route.created], **result}
        return json_response(result, route.status, headers)

    def _match(self, request: Request, path: str) -> tuple[Endpoint, Any]:
        adapter = self._urls.bind("gateway")
        try:
            index, values = adapter.match("/" + path, method=request.method)
        except (RouteNotFound, MethodNotAllowed):
            raise NotFound(f"no endpoint {request.method} /api/v1/{path}") from None
        return route_table()[index], values

    @staticmethod
    def _token(request: Request) -> str:
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send Authorization: Bearer <token>")
        verify_token(token.strip())  # refuse early; the service checks again
        return token.strip()

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        raw = request.get_data(cache=True)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise InvalidInput("the body is not valid JSON", {"_body": ["invalid JSON"]}) from None
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object", {"_body": ["not an object"]})
        return body


__all__ = ["GatewayService", "HavenError"]
