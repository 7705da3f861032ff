"""Haven's pytest plugin, registered for every test path by the root conftest.py.

Each run works in schemas and a vhost of its own. Importing this module only sets
environment variables (so that settings() and subprocesses see this run's names); the
vhost is created by the first test that needs the servers, and the schemas and vhost are
removed at the end only if that happened. Tests marked `no_servers` (pure domain rules)
are collected and run with PostgreSQL and RabbitMQ down.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from shared import testing
from shared.config import Settings
from shared.process import prepare_service_process

if TYPE_CHECKING:
    from shared.eventstore import HavenApplication

T = TypeVar("T")
App = TypeVar("App", bound="HavenApplication")

RUN_ID = testing.new_run_id()
VHOST = f"haven-{RUN_ID}"
# Tests run on the development keys, whatever the shell that started them says.
os.environ["HAVEN_ENV"] = "development"
SERVER_AMQP_URI = Settings.from_env().amqp_uri  # the broker's own, before it names our vhost
BROKER = testing.BrokerRun.named(SERVER_AMQP_URI, VHOST)
os.environ["HAVEN_SCHEMA_PREFIX"] = f"{RUN_ID}_"
os.environ["HAVEN_STORE"] = "postgres"
# A test run starts every service of the manifest in one process, and many applications
# besides: small pools keep it well under PostgreSQL's 100 connections.
os.environ.setdefault("HAVEN_POSTGRES_POOL_SIZE", "2")
os.environ["HAVEN_BROKER_USER_PREFIX"] = BROKER.prefix
os.environ["HAVEN_AMQP_URI"] = BROKER.uri(BROKER.run_user)
# Signed checkpoints go outside the database: here, outside the repository too.
CHECKPOINT_DIR = os.path.join(tempfile.gettempdir(), f"haven-{RUN_ID}-checkpoints")
os.environ["HAVEN_CHECKPOINT_DIR"] = CHECKPOINT_DIR
prepare_service_process()  # before a test module imports psycopg or starts nameko

NO_SERVERS = "no_servers"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{NO_SERVERS}: needs neither PostgreSQL nor RabbitMQ")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Every other test gets the run's vhost before any of its fixtures: many reach the
    # servers through settings() in a module-scoped fixture (a service, a gateway), not `cfg`.
    for item in items:
        if not isinstance(item, pytest.Function) or item.get_closest_marker(NO_SERVERS):
            continue
        if "haven_run" not in item.fixturenames:  # parametrised tests share the list
            item.fixturenames.insert(0, "haven_run")


@pytest.fixture(scope="session")
def haven_run() -> Iterator[Settings]:
    """This run's vhost and broker users, created on first use; the run's schemas, vhost,
    users and checkpoint files go at the end."""
    testing.create_broker_run(BROKER)
    run = Settings.from_env()
    yield run
    testing.drop_schemas(run, run.schema_prefix)
    testing.delete_broker_run(BROKER)
    shutil.rmtree(CHECKPOINT_DIR, ignore_errors=True)


@pytest.fixture
def cfg(haven_run: Settings) -> Settings:
    # Read again per test: a test may monkeypatch HAVEN_* variables before asking for it.
    return Settings.from_env()


@pytest.fixture
def amqp_uri(cfg: Settings) -> str:
    return cfg.amqp_uri


@pytest.fixture
def rabbit_config(amqp_uri: str) -> dict[str, Any]:
    """nameko's container config, pointed at this run's vhost (overrides nameko's own)."""
    return {"AMQP_URI": amqp_uri, "SERIALIZER": "json"}


@pytest.fixture
def app_factory(cfg: Settings) -> Iterator[Callable[..., Any]]:
    """`app_factory(Intake)`: the application on a store of its own (its schema is a fresh
    name), so every test starts from an empty log; `settings` picks another store (SQLite).
    Closed at teardown."""
    made: list[HavenApplication] = []

    def make(cls: type[App], settings: Settings | None = None) -> App:
        own = type(cls.__name__, (cls,), {"name": f"{cls.name.lower()}_{uuid.uuid4().hex[:8]}"})
        app = own(settings or cfg)
        made.append(app)
        return app

    yield make
    for app in made:
        app.close()


@pytest.fixture
def start_service(container_factory: Any, rabbit_config: dict[str, Any]) -> Callable[..., Any]:
    """`start_service(DossierService)`: a started nameko container on this run's vhost, as
    its own broker user (or on `config`, e.g. memory://). Killed at teardown: a graceful
    stop costs kombu 2 s."""

    def start(service_cls: type, config: dict[str, Any] | None = None) -> Any:
        own = service_config(getattr(service_cls, "name", ""))
        container = container_factory(service_cls, config or own)
        container.start()
        return container

    return start


def service_config(service: str) -> dict[str, Any]:
    """nameko's config for `service` as production runs it: connected as its own broker
    user, limited to its own exchanges and queues (a made-up name: the run's user)."""
    from shared.manifest import manifest

    uri = BROKER.service_uri(service) if service in manifest() else BROKER.uri(
        BROKER.run_user)
    return {"AMQP_URI": uri, "SERIALIZER": "json"}


@contextmanager
def own_run(patch: pytest.MonkeyPatch, tag: str,
            server_uri: str = SERVER_AMQP_URI) -> Iterator[Settings]:
    """Schemas and a vhost of a test's own, set in the environment for what it starts
    (on the broker of `server_uri`: the machine's, unless a test brings its own).

    The two go together: a consumer remembers each message by (source, notification id),
    and a store of its own numbers its notifications from 1 again. Were its relays to
    publish on the run's vhost, the run's consumers would remember those ids and later
    skip the run's own events that carry the same ids (an erasure among them)."""
    run = testing.BrokerRun.named(server_uri, f"{VHOST}-{tag}")
    testing.create_broker_run(run)
    patch.setenv("HAVEN_SCHEMA_PREFIX", f"{Settings.from_env().schema_prefix}{tag}_")
    patch.setenv("HAVEN_AMQP_URI", run.uri(run.run_user))
    patch.setenv("HAVEN_BROKER_USER_PREFIX", run.prefix)
    cfg = Settings.from_env()
    try:
        yield cfg
    finally:
        testing.delete_broker_run(run)
        from shared.eventstore import close_key_vault

        close_key_vault(cfg)  # its schemas end here, and so does the pool of their key store


@contextmanager
def module_service(service_cls: type, schema_tag: str | None = None) -> Iterator[Any]:
    """One started container of `service_cls` for a test module (stopping one costs nameko
    about a second), on this run's broker; on schemas of its own under `schema_tag`, so
    that other suites' data stays out of what its tests count. Killed at the end."""
    from nameko.containers import get_container_cls

    with pytest.MonkeyPatch.context() as patch:
        if schema_tag:
            patch.setenv("HAVEN_SCHEMA_PREFIX", f"{Settings.from_env().schema_prefix}{schema_tag}_")
        config = {"AMQP_URI": Settings.from_env().amqp_uri, "SERIALIZER": "json"}
        container = get_container_cls(config)(service_cls, config)
        container.start()
        try:
            yield container
        finally:
            container.kill()


def rpc(service: str, method: str, payload: Any, roles: Any, user: str) -> Any:
    """One RPC as `user` in `roles` over this run's broker, as an internal app calls it; a
    refusal is raised as the service's own HavenError (shared.errors.from_remote)."""
    from nameko.exceptions import RemoteError
    from nameko.standalone.rpc import ClusterRpcProxy

    from shared.auth import issue_token
    from shared.errors import from_remote

    config = {"AMQP_URI": Settings.from_env().amqp_uri, "SERIALIZER": "json"}
    token = issue_token(user, list(roles))
    with ClusterRpcProxy(config, context_data={"authorization": token}) as cluster:
        try:
            return getattr(getattr(cluster, service), method)(payload=payload)
        except RemoteError as exc:
            raise from_remote(exc.exc_type, exc.value) from None


def eventually(check: Callable[[], T], timeout: float = 60.0, interval: float = 0.02) -> T:
    """Wait for a condition (a read model caught up, a metric recorded), never for a time:
    returns check()'s first truthy answer. `timeout` only bounds a broken system."""
    deadline = time.monotonic() + timeout
    while not (result := check()):
        if time.monotonic() > deadline:
            raise AssertionError(f"still {result!r} after {timeout} s: {check}")
        time.sleep(interval)  # green under eventlet: the services in this process go on
    return result
