"""`haven dev`: every service, its relay and the gateway in one process.

Same services and code paths as production; only adapters differ: SQLite files
under HAVEN_DATA_DIR instead of PostgreSQL, kombu's in-memory transport instead
of RabbitMQ. Two adaptations the memory transport needs are made here and only here.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

import eventlet

log = logging.getLogger("haven.embedded")

# kombu's virtual transports poll every second when idle; 2 ms keeps an RPC round trip
# at ~1.5-3 ms. Measured with two echo services: 1 ms -> 1.3 ms/RPC at 5% idle CPU,
# 5 ms -> 6 ms/RPC at 2%, 20 ms -> 21 ms/RPC at 0.8%.
MEMORY_POLLING_INTERVAL = 0.002
DEMO_MARKER = ".demo-loaded"
ROLES = ("helpline_operator", "caseworker", "supervisor", "auditor", "ops", "admin")


def adapt_memory_transport() -> None:
    import kombu.transport.memory as memory
    import nameko.rpc

    memory.Transport.polling_interval = MEMORY_POLLING_INTERVAL
    send_response = nameko.rpc.Responder.send_response
    if getattr(send_response, "_haven_adapted", False):
        return

    def _send_response(self: Any, result: Any, exc_info: Any) -> Any:
        # The memory transport keeps the content type on the message, not in its
        # properties, where nameko's RPC reply looks for it.
        self.message.properties.setdefault("content_type", self.message.content_type)
        return send_response(self, result, exc_info)

    _send_response._haven_adapted = True  # type: ignore[attr-defined]
    nameko.rpc.Responder.send_response = _send_response  # type: ignore[method-assign]


def embedded_environment(data_dir: str, port: int) -> None:
    os.environ.update(HAVEN_STORE="sqlite", HAVEN_DATA_DIR=data_dir,
                      HAVEN_AMQP_URI="memory://", HAVEN_HTTP_PORT=str(port))


class Platform:
    """All services + relays in this process; start() returns once the gateway serves."""

    def __init__(self, data_dir: str, port: int, host: str = "127.0.0.1"):
        embedded_environment(data_dir, port)
        adapt_memory_transport()
        from nameko.runners import ServiceRunner

        from shared.config import settings
        from shared.manifest import manifest
        from shared.runner import nameko_config

        self.cfg = settings()
        self.services = manifest().stores
        self.runner = ServiceRunner(nameko_config(self.cfg, WEB_SERVER_ADDRESS=f"{host}:{port}"))
        for entry in manifest():
            self.runner.add_service(entry.service_class)
        self.stop_event = threading.Event()  # green once the process is prepared
        self.relay_threads: list[Any] = []
        self.relays: list[Any] = []

    def start(self) -> None:
        from shared.bootstrap import build_relay

        self.runner.start()
        for name in self.services:
            relay = build_relay(name, self.cfg)
            self.relays.append(relay)
            self.relay_threads.append(eventlet.spawn(relay.run_forever, 0.02, self.stop_event))

    def stop(self) -> None:
        self.stop_event.set()
        for thread in self.relay_threads:
            thread.wait()
        for relay in self.relays:
            relay.close()
        self.runner.stop()


def load_demo_if_first_start(cfg: Any, services: tuple[str, ...]) -> None:
    marker = Path(cfg.data_dir) / DEMO_MARKER
    if marker.exists():
        return
    import importlib

    for name in services:
        try:
            demo = importlib.import_module(f"services.{name}.demo")
        except ModuleNotFoundError:
            continue
        count = demo.load_demo(cfg, between=lambda: eventlet.sleep(0))
        print(f"  demo data: {count} {name} records loaded", flush=True)
    marker.write_text("demo data loaded\n")


def run_embedded(data_dir: str, port: int, demo: bool) -> None:
    logging.basicConfig(level=os.environ.get("HAVEN_LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # memory:// has no hostname
    from shared.observability import quiet_client_errors

    quiet_client_errors()
    from shared.auth import issue_token
    from shared.process import stop_signal

    platform = Platform(data_dir, port)
    platform.start()
    base = f"http://127.0.0.1:{port}"
    print(f"Haven is running (embedded; data in {Path(data_dir).resolve()})\n"
          f"  health:  {base}/health\n  API:     {base}/api/v1/docs\n"
          f"  OpenAPI: {base}/api/v1/openapi.json\n\nTokens (valid 12 h):", flush=True)
    for role in ROLES:
        print(f"  {role:18} {issue_token(f'demo-{role}', [role], ttl_seconds=12 * 3600)}")
    print(f'\nTry: curl -H "Authorization: Bearer <token>" {base}/api/v1/contacts\n'
          "Ctrl-C stops.", flush=True)
    if demo:
        eventlet.spawn(load_demo_if_first_start, platform.cfg, platform.services)

    stop_signal().wait()
    print("stopping...", flush=True)
    platform.stop()
    print("stopped.", flush=True)
    sys.exit(0)
