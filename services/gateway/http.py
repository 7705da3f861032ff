"""HTTP plumbing for the gateway: problem+json responses and token forwarding."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.web.handlers import HttpRequestHandler
from werkzeug.wrappers import Response

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


class ApiEndpoint(HttpRequestHandler):
    """nameko's http entrypoint, but every failure is problem+json and never a stack trace."""

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
