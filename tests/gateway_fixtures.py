"""A running intake service and gateway on the real broker and database, for HTTP tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import requests

from shared.auth import issue_token
from shared.testing.plugin import eventually  # noqa: F401 - its old home; importers use it


def start_platform(port: int) -> Any:
    """Every service, the audit reader and the gateway on the real broker and database."""
    from nameko.runners import ServiceRunner

    from shared.config import settings
    from shared.manifest import manifest
    from shared.runner import nameko_config

    runner = ServiceRunner(nameko_config(settings(), WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"))
    for entry in manifest():
        runner.add_service(entry.service_class)
    runner.start()
    return runner


def serve_platform() -> Iterator[Api]:
    """The whole platform on a free port -- every service, and every store's outbox relay,
    so facts travel between services as in production -- for a module of HTTP tests:
    `api = pytest.fixture(scope="module")(serve_platform)`."""
    import threading

    import eventlet

    from shared.bootstrap import build_relay
    from shared.config import settings
    from shared.manifest import manifest

    port = free_port()
    runner = start_platform(port)
    stop = threading.Event()  # green under eventlet
    relays = [build_relay(name, settings()) for name in manifest().stores]
    threads = [eventlet.spawn(relay.run_forever, 0.02, stop) for relay in relays]
    try:
        yield Api(f"http://127.0.0.1:{port}")
    finally:
        stop.set()
        for thread in threads:
            thread.wait()
        for relay in relays:
            relay.close()
            relay.app.close()
        runner.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Api:
    """A thin HTTP client: the way an internal app talks to Haven."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def token(self, *roles: str, user: str = "u-op-1") -> str:
        return issue_token(user, list(roles))

    def call(self, method: str, path: str, roles: tuple[str, ...] = ("helpline_operator",),
             token: str | None = None, user: str = "u-op-1",
             **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token is None and roles:
            token = self.token(*roles, user=user)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.base + path, headers=headers, timeout=60,
                                    **kwargs)
