"""HTTP plumbing for the gateway: problem+json responses and token forwarding."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, ReplyListener
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from shared.errors import HavenError

log = logging.getLogger("haven.gateway")
PROBLEM = "application/problem+json"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, default=str), status=status, headers=headers,
                    mimetype="application/json")


def problem(error: HavenError, correlation_id: str | None = None) -> Response:
    body = {"type": "about:blank", "title": error.message, "status": error.http_status,
            **error.to_dict()}
    if correlation_id:
        body["correlation_id"] = correlation_id
    return Response(json.dumps(body, default=str), status=error.http_status, mimetype=PROBLEM)


class _ProblemWsgiApp(WsgiApp):
    """Requests no route matches (a method or path outside the API) get problem+json too,
    instead of werkzeug's HTML error pages."""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ, shallow=True)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            provider, values = adapter.match()
            request.path_values = values  # type: ignore[attr-defined]
            response = provider.handle_request(request)
        except HTTPException as exc:
            error = HavenError(exc.description or exc.name)
            error.code, error.http_status = exc.name.upper().replace(" ", "_"), exc.code or 500
            response = problem(error)
        return response(environ, start_response)


class ApiServer(WebServer):
    def get_wsgi_app(self) -> Any:
        return _ProblemWsgiApp(self)


class ApiEndpoint(HttpRequestHandler):
    """nameko's http entrypoint, but every failure is problem+json and never a stack trace."""

    server = ApiServer()

    def response_from_exception(self, exc: Exception) -> Response:
        if isinstance(exc, HavenError):
            return problem(exc)
        log.error("gateway failure: %s", type(exc).__name__)
        return problem(HavenError())


api = ApiEndpoint.decorator


class Forwarding(DependencyProvider):
    """Puts the caller's token and correlation id into the context that nameko
    sends with every RPC this worker makes, so services authenticate the caller
    themselves (the gateway holds no roles)."""

    def get_dependency(self, worker_ctx: Any) -> Any:
        def forward(token: str, correlation_id: str | None) -> str:
            worker_ctx.data["authorization"] = token
            worker_ctx.data["correlation_id"] = correlation_id or str(uuid.uuid4())
            return worker_ctx.data["correlation_id"]

        return forward


class ServiceRpc(DependencyProvider):
    """Calls any service of the manifest: `self.rpc("intake", "log_contact", payload)`.
    One reply queue for all of them, as nameko's RpcProxy keeps one per proxy."""

    rpc_reply_listener = ReplyListener()

    def get_dependency(self, worker_ctx: Any) -> Any:
        def call(service: str, method: str, payload: Any) -> Any:
            return MethodProxy(worker_ctx, service, method, self.rpc_reply_listener)(
                payload=payload)

        return call
