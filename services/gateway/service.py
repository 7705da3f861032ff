"""The gateway: HTTP+JSON in front of the services' RPCs. Auth is checked again by each
service; the gateway only refuses what cannot be a valid call (no or bad token, bad JSON)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from nameko.exceptions import RemoteError
from werkzeug.exceptions import NotFound as RouteNotFound
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from services.gateway import docs as docs_page
from services.gateway.cases import names_a_case, resolve_case
from services.gateway.decoding import check_body, query_payload
from services.gateway.guide import ROLE_HEADER
from services.gateway.http import Forwarding, ServiceRpc, api, json_response, problem
from services.gateway.openapi import spec_dict
from services.gateway.routes import Endpoint, payload_for, route_table
from shared.auth import ROLES, Principal
from shared.errors import (
    HavenError,
    InvalidInput,
    NotFound,
    TooLarge,
    UnsupportedMediaType,
    from_remote,
)
from shared.shell import TokenGuard

# Every method reaches `call`, so one it does not take gets 405 naming those it does.
ANY = "GET,POST,PUT,PATCH,DELETE,OPTIONS,TRACE"
# The largest command is a client's details with documents and notes: well under 64 KiB.
# 1 MiB leaves room for growth, and a pod's memory is never spent on one request.
MAX_BODY_BYTES = 1024 * 1024
MAX_JSON_DEPTH = 16  # the deepest schema nests 3 levels (person -> documents -> document)


def _url_map() -> Map:
    return Map([Rule(e.route.path, methods=[e.route.method], endpoint=i)
                for i, e in enumerate(route_table())])


class GatewayService:
    name = "gateway"

    forward = Forwarding()
    rpc = ServiceRpc()
    guard = TokenGuard()

    _urls = _url_map()

    @api("GET", "/health")
    def health(self, request: Request) -> Response:
        return json_response({"status": "ok"})

    @api("GET", "/api/v1/openapi.json")
    def openapi(self, request: Request) -> Response:
        return json_response(spec_dict())

    @api("GET", docs_page.DOCS)
    def docs(self, request: Request) -> Response:
        return Response(docs_page.PAGE, mimetype="text/html",
                        headers={"Content-Security-Policy": docs_page.CSP})

    @api("GET", docs_page.DOCS + "/init.js")
    def docs_script(self, request: Request) -> Response:
        return Response(docs_page.INIT, mimetype="text/javascript")

    @api("GET", docs_page.DOCS + "/assets/<name>")
    def docs_asset(self, request: Request, name: str) -> Response:
        found = docs_page.asset(name)
        if found is None:
            raise NotFound(f"no asset {name}")
        content, media = found
        return Response(content, mimetype=media, headers={"Cache-Control": "max-age=86400"})

    @api(ANY, "/api/v1/<path:path>")
    def call(self, request: Request, path: str) -> Response:
        endpoint, values = self._match(request, path)
        route = endpoint.route
        token, caller = self._token(request, route.rpc)
        role = self._acting_role(request)
        body = self._body(request) if route.method != "GET" else None
        if body is not None:
            check_body(endpoint, body)
        query = query_payload(endpoint, request.args) if route.method == "GET" else {}
        correlation_id = self.forward(token, request.headers.get("X-Correlation-Id"),
                                      acting_role=role)
        try:
            acting = {role} if role else set(caller.roles)
            if names_a_case(route.path_fields) and acting & set(endpoint.allow.roles):
                # Only for a caller the route admits: anyone else is refused by the service
                # (403), and learns nothing of which references exist.
                values = resolve_case(values, self._case_id_of)
            payload = payload_for(endpoint, values, body, query)
            if route.method == "POST":  # the command's own key, never the lookup's
                self.forward(token, correlation_id, command_key(request))
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
        except RouteNotFound:
            raise NotFound(f"no endpoint {request.method} /api/v1/{path}") from None
        return route_table()[index], values

    def _token(self, request: Request, rpc: str) -> tuple[str, Principal]:
        """The caller's bearer token and who it names, refused early (and recorded) if it
        cannot be valid; the service checks it again."""
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        return token, self.guard(token or None, rpc)

    @staticmethod
    def _acting_role(request: Request) -> str | None:
        """The role the caller acts in, if they name one (X-Haven-Role): someone with two
        roles chooses; the service checks their token gives it."""
        role = request.headers.get(ROLE_HEADER) or None
        if role is not None and role not in ROLES:
            raise InvalidInput(f"{ROLE_HEADER} names no role",
                               {ROLE_HEADER: [f"one of: {', '.join(ROLES)}"]})
        return role

    def _case_id_of(self, reference: str) -> str:
        return str(self.rpc("casework", "case_id_of", {"reference": reference})["case_id"])

    @staticmethod
    def _body(request: Request) -> dict[str, Any]:
        """The JSON object a command sends, refused before it costs anything: a declared
        length over the limit is refused unread, a longer stream is cut at the limit."""
        request.max_content_length = MAX_BODY_BYTES
        if request.content_length or request.headers.get("Transfer-Encoding"):
            if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
                raise UnsupportedMediaType(
                    f"send the body as application/json, not {request.mimetype or 'nothing'}")
        try:
            if request.content_length is None and request.headers.get("Transfer-Encoding"):
                # Chunked: werkzeug would read it as empty; the server's input stream
                # de-chunks, and one byte past the limit is enough to refuse it.
                raw = request.environ["wsgi.input"].read(MAX_BODY_BYTES + 1)
                if len(raw) > MAX_BODY_BYTES:
                    raise RequestEntityTooLarge()
            else:
                raw = request.get_data(cache=True)
        except RequestEntityTooLarge:
            raise TooLarge(f"a request body may hold at most {MAX_BODY_BYTES} bytes") from None
        try:
            body = json.loads(raw or b"{}")
        except RecursionError:
            body = None  # nested beyond the parser: refused as too deep below
            depth = MAX_JSON_DEPTH + 1
        except ValueError:
            raise InvalidInput("the body is not valid JSON", {"_body": ["invalid JSON"]}) from None
        else:
            depth = _depth(body)
        if depth > MAX_JSON_DEPTH:
            raise InvalidInput(f"the body nests deeper than {MAX_JSON_DEPTH} levels",
                               {"_body": ["nested too deeply"]})
        if not isinstance(body, dict):
            raise InvalidInput("the body must be a JSON object", {"_body": ["not an object"]})
        return body


def _depth(value: Any) -> int:
    """How deeply objects and arrays nest (iteratively: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict)
                                                  else item))
    return deepest


__all__ = ["GatewayService", "HavenError"]


def command_key(request: Request) -> str:
    """The Idempotency-Key a command travels under: the client's, or one of its own. A
    broker that loses a reply (a restart while the service answered) delivers the request
    again; under its key the service answers it from what it did the first time instead
    of doing it twice (a contact screened twice, before)."""
    key = request.headers.get("Idempotency-Key")
    # An empty or malformed key is the client's mistake: it goes on to be refused (400),
    # never silently replaced.
    return f"request-{uuid.uuid4()}" if key is None else key
