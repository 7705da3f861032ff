"""Run nameko services in this process (production: one service per process)."""

from __future__ import annotations

import logging
import sys
from typing import Any

import eventlet
from nameko.runners import ServiceRunner

from shared.config import Settings, settings
from shared.manifest import manifest
from shared.process import configure_logging, stop_signal

log = logging.getLogger("haven.runner")


def nameko_config(cfg: Settings, **extra: Any) -> dict[str, Any]:
    return {
        "AMQP_URI": cfg.amqp_uri,
        "SERIALIZER": "json",
        "WEB_SERVER_ADDRESS": f"0.0.0.0:{cfg.http_port}",
        "max_workers": 10,
        "parent_calls_tracked": 10,
        # amqps://: the broker's certificate checked against our CA and its host name.
        **({"AMQP_SSL": tls} if (tls := cfg.amqp_tls()) else {}),
        **extra,
    }


def run_service(name: str) -> None:
    """Run one service until SIGTERM/SIGINT; stop gracefully, letting workers finish."""
    configure_logging()
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

    code = serve(runner, stop_signal())
    stop_observability()
    if code:
        sys.exit(code)


EXIT_CONTAINER_ENDED = 70  # EX_SOFTWARE: the supervisor (systemd, Kubernetes) restarts us
KILL_WATCH_INTERVAL = 0.5  # seconds between looks at whether the container is being killed
KILL_GRACE = 3.0  # seconds a kill may take to finish before the process goes regardless


def serve(runner: ServiceRunner, stopping: Any) -> int:
    """Until SIGTERM/SIGINT (a graceful stop: running workers finish; 0), or until the
    service container ends by itself: a thread that died kills it (a lost broker can do
    that), and a process left up around a dead container answers /health while serving
    nothing -- the helpline was down until someone restarted it by hand. So it exits
    non-zero, and its supervisor starts it again."""
    ended: list[str] = []

    def watch() -> None:
        try:
            runner.wait()
            ended.append("stopped")
        except BaseException as exc:  # noqa: BLE001 - the container's death, reported below
            ended.append(type(exc).__name__)  # the type only: a message may quote data
        if not stopping.ready():
            stopping.send("container ended")

    def watch_for_a_kill() -> None:
        # nameko marks a container as being killed at once, but finishes killing it only
        # once every extension has stopped: a consumer still retrying a broker that was
        # gone held casework's process up (and its /health green) for 27 s around a dead
        # container. The mark is enough to go.
        while not stopping.ready():
            if any(getattr(c, "_being_killed", False) for c in runner.containers):
                with eventlet.Timeout(KILL_GRACE, False):  # a kill that ends says why
                    watcher.wait()
                if not stopping.ready():
                    ended.append("killed; its extensions did not stop")
                    stopping.send("container killed")
                return
            eventlet.sleep(KILL_WATCH_INTERVAL)

    watcher = eventlet.spawn(watch)
    eventlet.spawn(watch_for_a_kill)
    stopping.wait()
    if ended:
        log.error("service container ended (%s); exiting with %d so that the process is"
                  " restarted", ended[0], EXIT_CONTAINER_ENDED)
        return EXIT_CONTAINER_ENDED
    log.info("service stopping")
    runner.stop()
    watcher.wait()
    return 0


def _observability(cfg: Settings, name: str) -> Any:
    from shared.observability import metrics_port, readiness, serve_observability

    store = name if manifest()[name].application else None
    return serve_observability(metrics_port(), ready_check=readiness(cfg, store))
