"""What a service manifest entry says, and looking services up in it.

The manifest itself is one file, `services/manifest.py`: one entry per service. The
runner, embedded mode, the gateway, the audit catalogue and the deployment files all read
it, so adding a service is its folder plus one entry there.

An entry names its parts by convention, inside the service's package `services/NAME/`:
the nameko class in `service.py`, the application class in `application.py`, the read
models in `projections.py`, the published contracts in `contracts.py`, the HTTP routes as
`ROUTES` in `routes.py`. They are imported only when asked for: reading the manifest
imports no service (a process must be prepared before psycopg and nameko are imported,
see shared.process).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any


def _load(target: str) -> Any:
    module, _, attribute = target.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attribute) if attribute else loaded


@dataclass(frozen=True)
class Service:
    """One process kind: a nameko service, and for a store service its outbox relay.

    `application` and `relay`: a store service keeps an event store of its own and
    publishes integration events through a relay. `unseals`: the process reads personal
    data, so it needs the key material. `http`: it serves the HTTP API. `audits`: it reads
    every store with the auditors' read-only credentials.
    """

    name: str
    service: str  # the nameko service class, in service.py
    summary: str = ""
    application: str | None = None  # its HavenApplication class, in application.py
    read_models: str | None = None  # its ReadModelSet, in projections.py
    contracts: bool = False  # it publishes integration events: contracts.py
    routes: bool = False  # it serves HTTP routes behind the gateway: ROUTES in routes.py
    relay: bool = False
    unseals: bool = False
    http: bool = False
    audits: bool = False  # reads every store, read-only (HAVEN_AUDIT_POSTGRES_URL)
    replicas: int = 2

    @classmethod
    def store(cls, name: str, service: str, *, application: str, summary: str) -> Service:
        """The usual domain service, as intake, casework, shelter and legal are: its own
        event store and read models (READ_MODELS), published contracts, HTTP routes, an
        outbox relay, and personal data to unseal."""
        return cls(name, service, summary, application=application, read_models="READ_MODELS",
                   contracts=True, routes=True, relay=True, unseals=True)

    def _part(self, module: str, attribute: str = "") -> Any:
        return _load(f"services.{self.name}.{module}:{attribute}")

    @cached_property
    def service_class(self) -> Any:
        return self._part("service", self.service)

    @cached_property
    def application_class(self) -> Any:
        if self.application is None:
            raise LookupError(f"{self.name} keeps no event store")
        return self._part("application", self.application)

    @cached_property
    def read_model_set(self) -> Any:
        return self._part("projections", self.read_models) if self.read_models else None

    @cached_property
    def route_table(self) -> list[Any]:
        return list(self._part("routes", "ROUTES")) if self.routes else []

    @cached_property
    def published(self) -> list[Any]:
        """The Contract objects of its contracts module, in declaration order."""
        from shared.contracts import Contract

        if not self.contracts:
            return []
        module = self._part("contracts")
        return [v for v in vars(module).values() if isinstance(v, Contract)]


class Manifest:
    def __init__(self, *services: Service):
        names = [s.name for s in services]
        if len(set(names)) != len(names):
            raise ValueError(f"a service is named twice in the manifest: {names}")
        self._services = {s.name: s for s in services}

    def __iter__(self) -> Iterator[Service]:
        return iter(self._services.values())

    def __getitem__(self, name: str) -> Service:
        try:
            return self._services[name]
        except KeyError:
            known = ", ".join(self._services)
            raise LookupError(f"no service {name!r} in the manifest (known: {known})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._services

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._services)

    @property
    def stores(self) -> tuple[str, ...]:
        """Services with an event store and a relay: what is verified, audited, relayed."""
        return tuple(s.name for s in self if s.relay)


def manifest() -> Manifest:
    """The platform's manifest (services/manifest.py)."""
    from services.manifest import MANIFEST

    return MANIFEST
