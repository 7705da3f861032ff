"""HTTP plumbing for the gateway: problem+json responses and token forwarding."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import eventlet
from kombu.exceptions import OperationalError
from nameko.exceptions import UnknownService
from nameko.extensions import DependencyProvider
from nameko.rpc import MethodProxy, ReplyListener
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer, WsgiApp
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Request, Response

from shared.config import settings
from shared.deadline import CONTEXT_KEY, GRACE
from shared.errors import HavenError, Unavailable
from shared.shell import ACTING_ROLE, IDEMPOTENCY_KEY

log = logging.getLogger("haven.gateway")
PROBLEM = "application/problem+json"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body, default=str), status=status, headers=headers,
                    mimetype="application/json")


def problem(error: HavenError, correlation_id: str | None = None,
            headers: dict[str, str] | None = None) -> Response:
    """application/problem+json (RFC 9457): `title` the status's own phrase, `detail` what
    went wrong in words for staff, `code` and per-field `errors` for programs."""
    status = error.http_status
    body: dict[str, Any] = {"type": "about:blank", "title": HTTP_STATUS_CODES.get(status, "Error"),
                            "status": status, "detail": error.message, **error.to_dict()}
    if correlation_id:
        body["correlation_id"] = correlation_id
    headers = dict(headers or {})
    if status == 401:
        # RFC 9110 and 6750: a 401 names the scheme that would be accepted.
        headers.setdefault("WWW-Authenticate", 'Bearer realm="haven"')
    if status == 503:  # RFC 9110: when to try again
        headers.setdefault("Retry-After", RETRY_AFTER)
    return Response(json.dumps(body, default=str), status=status, headers=headers,
                    mimetype=PROBLEM)


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
            response = http_problem(exc)
        return response(environ, start_response)


def http_problem(exc: HTTPException) -> Response:
    """werkzeug's refusals (no such path, method not allowed) as problem+json, with the
    headers they carry (a 405 names the methods the path allows in `Allow`)."""
    error = HavenError(exc.description or exc.name)
    error.code, error.http_status = exc.name.upper().replace(" ", "_"), exc.code or 500
    kept = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
    return problem(error, headers=kept)


class ApiServer(WebServer):
    def get_wsgi_app(self) -> Any:
        return _ProblemWsgiApp(self)


class ApiEndpoint(HttpRequestHandler):
    """nameko's http entrypoint, but every failure is problem+json and never a stack trace."""

    server = ApiServer()

    def response_from_exception(self, exc: Exception) -> Response:
        if isinstance(exc, HavenError):
            return problem(exc)
        if isinstance(exc, HTTPException):  # e.g. 405 from the API's own route table
            return http_problem(exc)
        log.error("gateway failure: %s", type(exc).__name__)
        return problem(HavenError())


api = ApiEndpoint.decorator


class Forwarding(DependencyProvider):
    """Puts the caller's token, correlation id, Idempotency-Key and chosen role into the
    context that nameko sends with every RPC this worker makes, so services authenticate
    the caller themselves (the gateway holds no roles)."""

    def get_dependency(self, worker_ctx: Any) -> Any:
        def forward(token: str, correlation_id: str | None,
                    idempotency_key: str | None = None, acting_role: str | None = None) -> str:
            worker_ctx.data["authorization"] = token
            worker_ctx.data["correlation_id"] = correlation_id or str(uuid.uuid4())
            if idempotency_key is not None:  # the service keeps the first answer under it
                worker_ctx.data[IDEMPOTENCY_KEY] = idempotency_key
            if acting_role is not None:  # the service checks the token gives it (shell.py)
                worker_ctx.data[ACTING_ROLE] = acting_role
            return worker_ctx.data["correlation_id"]

        return forward


RETRY_AFTER = "5"  # seconds: what a 503 tells a client to wait before trying again


class ServiceRpc(DependencyProvider):
    """Calls any service of the manifest: `self.rpc("intake", "log_contact", payload)`.
    One reply queue for all of them, as nameko's RpcProxy keeps one per proxy.

    Every call has a deadline. Its request expires on the broker when the deadline passes
    unread (a service down, a broker restarting), so a command is never executed after
    its caller was answered 503 -- before, a helpline restart replayed 299 abandoned
    calls. A broker that cannot be reached is a 503 too, never a 500."""

    rpc_reply_listener = ReplyListener()

    def setup(self) -> None:
        # Once: settings() reads the whole environment, which cost 6 % of the gateway's CPU
        # when it ran per request (profiled under POST /contacts).
        self.deadline = settings().rpc_deadline

    def get_dependency(self, worker_ctx: Any) -> Any:
        deadline = self.deadline

        def call(service: str, method: str, payload: Any) -> Any:
            # The service stores nothing for this call after then (shared.deadline). As
            # text: not every AMQP client reads a float header (pika cannot write one).
            worker_ctx.data[CONTEXT_KEY] = f"{time.time() + deadline:.3f}"
            proxy = MethodProxy(worker_ctx, service, method, self.rpc_reply_listener,
                                expiration=deadline)
            try:
                reply = proxy.call_async(payload=payload)
            except (OSError, OperationalError, UnknownService) as exc:
                log.warning("gateway: cannot send to %s (%s)", service, type(exc).__name__)
                raise Unavailable(f"{service} cannot be reached; retry later") from None
            try:
                with eventlet.Timeout(deadline + GRACE):  # for an answer stored in time
                    return reply.result()
            except eventlet.Timeout:
                log.warning("gateway: %s.%s did not answer within %g s", service, method,
                            deadline)
                raise Unavailable(f"{service} did not answer in time; the request was not"
                                  " carried out, retry later") from None

        return call
