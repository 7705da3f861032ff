"""Run nameko services in this process (production: one service per process)."""

from __future__ import annotations

import logging
import os
from typing import Any

import eventlet
from nameko.runners import ServiceRunner

from shared.config import Settings, settings
from shared.manifest import manifest
from shared.process import stop_signal

log = logging.getLogger("haven.runner")


def nameko_config(cfg: Settings, **extra: Any) -> dict[str, Any]:
    return {
        "AMQP_URI": cfg.amqp_uri,
        "SERIALIZER": "json",
        "WEB_SERVER_ADDRESS": f"0.0.0.0:{cfg.http_port}",
        "max_workers": 10,
        "parent_calls_tracked": 10,
        **extra,
    }


def run_service(name: str) -> None:
    """Run one service until SIGTERM/SIGINT; stop gracefully, letting workers finish."""
    logging.basicConfig(level=os.environ.get("HAVEN_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    from shared.observability import quiet_client_errors

    quiet_client_errors()
    entry = manifest()[name]
    cfg = settings()
    cfg.require_production_secrets(keys=entry.unseals)
    runner = ServiceRunner(nameko_config(cfg))
    runner.add_service(entry.service_class)
    stop_observability = _observability(cfg, name)
    runner.start()
    log.info("service %s started", name)

    stopping = stop_signal()
    runner_thread = eventlet.spawn(runner.wait)
    stopping.wait()
    log.info("service %s stopping", name)
    runner.stop()
    runner_thread.wait()
    stop_observability()


def _observability(cfg: Settings, name: str) -> Any:
    from shared.observability import metrics_port, readiness, serve_observability

    store = name if manifest()[name].application else None
    return serve_observability(metrics_port(), ready_check=readiness(cfg, store))
