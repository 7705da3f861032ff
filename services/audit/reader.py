"""The audit service's one dependency: the audit tools over every store, read-only,
answering in plain JSON and in the platform's error contract."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from nameko.extensions import DependencyProvider

from shared.audit import CommandContext
from shared.audit_trail.access import access_of
from shared.audit_trail.history import history_of
from shared.audit_trail.links import CaseFile, collect_case
from shared.audit_trail.replay import replay_of
from shared.audit_trail.sources import Catalogue, ReadPool, audit_settings
from shared.audit_trail.verification import verify_services
from shared.config import Settings
from shared.errors import InvalidInput, NotFound

T = TypeVar("T")


@contextmanager
def _case_lookup() -> Iterator[None]:
    try:
        yield
    except LookupError as exc:  # no such case, or a reference naming two
        raise NotFound(str(exc)) from None


class AuditReader:
    def __init__(self, cfg: Settings, catalogue: Catalogue):
        self.cfg, self.catalogue = cfg, catalogue
        self.pool = ReadPool()  # the stores' connections, kept from one answer to the next

    def close(self) -> None:
        self.pool.close()

    def _case(self, reference: str) -> CaseFile:
        with _case_lookup():
            return collect_case(reference, self.cfg, self.catalogue, self.pool)

    def case_history(self, ctx: CommandContext, reference: str) -> dict[str, Any]:
        return history_of(self._case(reference)).to_dict()

    def replay_case(self, ctx: CommandContext, reference: str,
                    as_of: datetime) -> dict[str, Any]:
        return replay_of(self._case(reference), as_of, self.catalogue).to_dict()

    def case_access(self, ctx: CommandContext, reference: str) -> dict[str, Any]:
        return access_of(self._case(reference)).to_dict()

    def verify_stores(self, ctx: CommandContext, service: str | None = None) -> dict[str, Any]:
        catalogue = self.catalogue
        if service is not None:
            if service not in catalogue.services:
                raise InvalidInput(f"no store {service}",
                                   {"service": [f"one of {', '.join(catalogue.services)}"]})
            catalogue = Catalogue((service,), catalogue.applications)
        verdicts = [v.to_dict() for v in verify_services(self.cfg, catalogue)]
        return {"ok": all(v["ok"] for v in verdicts),
                "events": sum(v["events"] for v in verdicts),
                "break_count": sum(v["break_count"] for v in verdicts), "services": verdicts}


class AuditTrail(DependencyProvider):
    """Reads with HAVEN_AUDIT_POSTGRES_URL (or HAVEN_POSTGRES_URL); every registered store
    and the audit store unless given a catalogue (tests)."""

    def __init__(self, catalogue: Catalogue | Callable[[], Catalogue] | None = None):
        self.catalogue = catalogue
        self.reader: AuditReader | None = None

    def setup(self) -> None:
        chosen = self.catalogue() if callable(self.catalogue) else self.catalogue
        self.reader = AuditReader(audit_settings(), chosen or Catalogue.default())

    def get_dependency(self, worker_ctx: Any) -> AuditReader | None:
        return self.reader

    def stop(self) -> None:
        if self.reader is not None:
            self.reader.close()
