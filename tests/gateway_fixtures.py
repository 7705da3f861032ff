"""A running intake service and gateway on the real broker and database, for HTTP tests."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from typing import Any

import requests

from shared.auth import issue_token


def start_platform(port: int) -> Any:
    """Every service, the audit reader and the gateway on the real broker and database."""
    from nameko.runners import ServiceRunner

    from shared.config import settings
    from shared.registry import FRONTS, SERVICES, service_class
    from shared.runner import nameko_config

    runner = ServiceRunner(nameko_config(settings(), WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"))
    for name in (*SERVICES, *FRONTS):
        runner.add_service(service_class(name))
    runner.start()
    return runner


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
             token: str | None = None, **kwargs: Any) -> requests.Response:
        headers = kwargs.pop("headers", {})
        if token is None and roles:
            token = self.token(*roles)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return self.session.request(method, self.base + path, headers=headers, timeout=15,
                                    **kwargs)


def eventually(check: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Wait for an eventually consistent read model; fail with the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(interval)
