"""Legal with its neighbours on the real broker and database: service containers started
and stopped at will, outbox relays run while a test says so, calls with a caller's token."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import eventlet
import pytest
from nameko.containers import get_container_cls
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from shared.auth import issue_token
from shared.config import Settings
from shared.errors import from_remote
from shared.outbox import Relay
from shared.registry import application_class
from shared.testing.plugin import service_config


def nameko_config() -> dict[str, Any]:
    """An internal app's connection (the run's own broker user)."""
    return {"AMQP_URI": Settings.from_env().amqp_uri, "SERIALIZER": "json"}


@pytest.fixture
def containers() -> Iterator[Callable[[type], Any]]:
    """`start(ServiceClass)`: a running container, connected as its service's own broker
    user, as production runs it; each is killed at teardown (killing an already killed one
    is harmless)."""
    started: list[Any] = []

    def start(service_cls: type) -> Any:
        config = service_config(getattr(service_cls, "name", ""))
        container = get_container_cls(config)(service_cls, config)
        container.start()
        started.append(container)
        return container

    yield start
    for container in started:
        container.kill()


@contextmanager
def relaying(service: str) -> Iterator[Relay]:
    """The service's outbox relay, publishing as the service's broker user for as long as
    the block runs."""
    cfg = Settings.from_env()
    relay = Relay(application_class(service)(cfg), service_config(service)["AMQP_URI"])
    stop = threading.Event()
    thread = eventlet.spawn(relay.run_forever, 0.02, stop)
    try:
        yield relay
    finally:
        stop.set()
        thread.wait()
        relay.close()
        relay.app.close()


def call(service: str, method: str, payload: Any = None, roles: tuple[str, ...] = ("lawyer",),
         user: str = "law-1", correlation_id: str | None = None) -> Any:
    """An RPC as an internal app makes it, with the caller's token (and the correlation id
    the service stores on every record the call makes, when given one)."""
    context = {"authorization": issue_token(user, list(roles))}
    if correlation_id is not None:
        context["correlation_id"] = correlation_id
    with ClusterRpcProxy(nameko_config(), context_data=context) as cluster:
        try:
            return getattr(getattr(cluster, service), method)(payload=payload)
        except RemoteError as exc:
            raise from_remote(exc.exc_type, exc.value) from None
