"""What ops staff watch: RPC metrics per method and outcome, and /metrics, /health, /ready.

One HTTP listener per process (HAVEN_METRICS_PORT; 0 = none), started by whatever
starts the process: `stop = serve_observability(metrics_port(), readiness(cfg, "intake"))`.
"""

from __future__ import annotations

import json
import logging
import os
import socketserver
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import kombu
import psycopg
from nameko.extensions import DependencyProvider
from nameko.rpc import Rpc
from prometheus_client import make_wsgi_app
from psycopg.conninfo import make_conninfo

from shared import errors
from shared.config import Settings
from shared.metrics import RPC_CALLS, RPC_LATENCY

_log = logging.getLogger("haven.observability")

ReadyCheck = Callable[[], Mapping[str, bool]]

# Client mistakes and refusals get their own outcome, so an alert on "error"
# fires for faults of ours, not for a caseworker's typo.
_OUTCOMES: tuple[tuple[type[errors.HavenError], str], ...] = (
    (errors.InvalidInput, "invalid"),
    (errors.Unauthorized, "unauthorized"),
    (errors.Forbidden, "forbidden"),
    (errors.NotFound, "not_found"),
    (errors.Conflict, "conflict"),
    (errors.RuleViolated, "rule_violated"),
    (errors.Unavailable, "unavailable"),
)


def outcome_of(exc: BaseException | None) -> str:
    if exc is None:
        return "ok"
    return next((label for cls, label in _OUTCOMES if isinstance(exc, cls)), "error")


class Metrics(DependencyProvider):
    """Counts every RPC and its latency by service, method and outcome.

    Declare it on a service class: `metrics = Metrics()`.
    """

    def __init__(self) -> None:
        self._started: dict[Any, float] = {}

    def worker_setup(self, worker_ctx: Any) -> None:
        if isinstance(worker_ctx.entrypoint, Rpc):
            self._started[worker_ctx] = time.perf_counter()

    def worker_result(self, worker_ctx: Any, result: Any = None, exc_info: Any = None) -> None:
        started = self._started.pop(worker_ctx, None)
        if started is None:
            return
        outcome = outcome_of(exc_info[1] if exc_info else None)
        labels = (worker_ctx.service_name, worker_ctx.entrypoint.method_name, outcome)
        RPC_CALLS.labels(*labels).inc()
        RPC_LATENCY.labels(*labels).observe(time.perf_counter() - started)

    def worker_teardown(self, worker_ctx: Any) -> None:
        self._started.pop(worker_ctx, None)  # a worker killed before its result


# -- readiness ------------------------------------------------------------------
def store_reachable(cfg: Settings, service: str) -> bool:
    if cfg.store == "sqlite":
        with sqlite3.connect(cfg.sqlite_path(service), timeout=2) as conn:
            conn.execute("SELECT 1")
        return True
    conninfo = make_conninfo(**cfg.postgres_params(), connect_timeout=2)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT 1")
    return True


def broker_reachable(amqp_uri: str) -> bool:
    with kombu.Connection(amqp_uri, connect_timeout=2) as conn:
        conn.connect()
    return True


def readiness(cfg: Settings, service: str | None = None) -> ReadyCheck:
    """Store (when the process has one) and broker reachability, checked per request."""
    checks: dict[str, Callable[[], bool]] = {"broker": lambda: broker_reachable(cfg.amqp_uri)}
    if service is not None:
        checks["store"] = lambda: store_reachable(cfg, service)

    def check() -> dict[str, bool]:
        return {name: _passes(name, probe) for name, probe in checks.items()}

    return check


def _passes(name: str, probe: Callable[[], bool]) -> bool:
    try:
        return bool(probe())
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", never a 500
        # The type is enough to act on; a driver's message may carry the connection URL.
        _log.warning("readiness check %s failed: %s", name, type(exc).__name__)
        return False


# -- HTTP -------------------------------------------------------------------------
def observability_app(ready_check: ReadyCheck | None = None) -> Callable[..., Iterable[bytes]]:
    """The WSGI app behind /metrics, /health and /ready."""
    metrics_app = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics_app(environ, start_response)  # type: ignore[no-any-return]
        if path == "/health":
            return _json(start_response, 200, {"status": "up"})
        if path == "/ready":
            checks = dict(ready_check()) if ready_check else {}
            ready = all(checks.values())
            return _json(start_response, 200 if ready else 503,
                         {"status": "ready" if ready else "not ready", "checks": checks})
        return _json(start_response, 404, {"status": "not found"})

    return app


def _json(start_response: Callable[..., Any], status: int, body: dict[str, Any]) -> list[bytes]:
    reasons = {200: "OK", 404: "Not Found", 503: "Service Unavailable"}
    payload = json.dumps(body, sort_keys=True).encode()
    start_response(f"{status} {reasons[status]}", [("Content-Type", "application/json"),
                                                   ("Content-Length", str(len(payload)))])
    return [payload]


class _Server(socketserver.ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow /ready must not hold up a scrape of /metrics


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # probes and scrapes every few seconds would drown the service's own log


def metrics_port(env: Mapping[str, str] | None = None) -> int:
    """HAVEN_METRICS_PORT: where /metrics, /health and /ready listen; 0 = not served."""
    return int((os.environ if env is None else env).get("HAVEN_METRICS_PORT", "0"))


def serve_observability(port: int, ready_check: ReadyCheck | None = None,
                        host: str = "0.0.0.0") -> Callable[[], None]:  # noqa: S104 - probes and Prometheus reach the pod from outside
    """Serve /metrics, /health and /ready in a background (green) thread; returns stop()."""
    if not port:
        return lambda: None
    server = make_server(host, port, observability_app(ready_check),
                         server_class=_Server, handler_class=_QuietHandler)
    # Looked up on the module at call time, so eventlet's patch makes it a green thread.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                              name="haven-observability", daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

    return stop


# -- logs -------------------------------------------------------------------------
class ClientErrorsAreNotFaults(logging.Filter):
    """nameko logs every exception a worker raises with its traceback, as an ERROR.
    A refused call (bad input, no token, unknown id) is the caller's mistake, not ours:
    one WARNING line without a traceback, so real faults stand out on the dashboard."""

    def filter(self, record: logging.LogRecord) -> bool:
        from shared.errors import HavenError

        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HavenError) and exc.http_status < 500:
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def quiet_client_errors() -> None:
    logging.getLogger("nameko.containers").addFilter(ClientErrorsAreNotFaults())
