"""Stored bytes -> what an auditor reads: event names, audit metadata, data with personal
data masked (or, on a recorded reveal, unsealed)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

from eventsourcing.persistence import JSONTranscoder, StoredEvent
from eventsourcing.utils import resolve_topic

from shared.audit_trail.sources import Record
from shared.crypto import KeyVault, is_sealed, seal_context
from shared.eventstore import AUDIT_KEY, HavenApplication, HavenMapper, personal_data_of

MASK = "[personal data]"
_EVENTSOURCING_ATTRIBUTES = ("originator_id", "originator_version", "timestamp",
                             "originator_topic", "class_version")


@cache
def transcoder_for(app_cls: Any) -> JSONTranscoder:
    """The transcodings the service registered. Its application is not constructed (that
    would create tables): `register_transcodings` only registers on the transcoder."""
    transcoder = JSONTranscoder()
    owner = app_cls if app_cls is not None else HavenApplication
    owner.register_transcodings(object.__new__(owner), transcoder)
    return transcoder


def mapper_for(app_cls: Any, service: str, vault: KeyVault | None = None) -> HavenMapper:
    """A mapper that unseals only with a vault, i.e. only on a recorded reveal."""
    mapper = HavenMapper(transcoder=transcoder_for(app_cls))
    mapper.service, mapper.vault, mapper.unseal_on_read = service, vault, vault is not None
    return mapper


def stored_event(record: Record) -> StoredEvent:
    return StoredEvent(originator_id=UUID(record.originator_id),
                       originator_version=record.originator_version,
                       topic=record.topic, state=record.state)


def event_name(topic: str) -> str:
    """'services.intake.domain:Contact.ContactLogged' -> 'ContactLogged'."""
    return topic.rpartition(":")[2].rpartition(".")[2]


def aggregate_name(topic: str) -> str:
    """'services.intake.domain:Contact.ContactLogged' -> 'Contact'."""
    qualname = topic.rpartition(":")[2]
    return qualname.rpartition(".")[0] or qualname


@dataclasses.dataclass(frozen=True)
class Decoded:
    record: Record
    state: dict[str, Any]  # personal data still sealed

    @property
    def audit(self) -> dict[str, Any]:
        return dict(self.state.get(AUDIT_KEY) or {})

    @property
    def timestamp(self) -> datetime | None:
        value = self.state.get("timestamp")
        if isinstance(value, datetime):
            return value
        recorded = self.audit.get("recorded_at")
        return datetime.fromisoformat(recorded) if recorded else None

    @property
    def name(self) -> str:
        return event_name(self.record.topic)

    def data(self) -> dict[str, Any]:
        """The event's own fields (not eventsourcing's, not the audit), JSON-ready, sealed."""
        return {k: plain(v) for k, v in self.state.items()
                if k != AUDIT_KEY and k not in _EVENTSOURCING_ATTRIBUTES}


def decode(record: Record, app_cls: Any) -> Decoded:
    return Decoded(record, transcoder_for(app_cls).decode(record.state))


def plain(value: Any) -> Any:
    """JSON-ready: times as ISO strings, ids as strings, value objects as dicts."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def masked(value: Any) -> Any:
    """Sealed values (and only those) replaced by a mask, in lists and dicts too."""
    if is_sealed(value):
        return MASK
    if isinstance(value, dict):
        return {k: masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    return value


@cache  # asked once per event of a history: the topic's class is resolved once
def declared_personal(topic: str) -> frozenset[str]:
    """The fields the event's aggregate declares personal data (none for a store without
    code here: its sealed values are still masked by `masked`)."""
    try:
        event_cls = resolve_topic(topic)
    except Exception:  # noqa: BLE001 - a retired service or test store: bytes only
        return frozenset()
    return frozenset(personal_data_of(event_cls))


def masked_fields(data: dict[str, Any], personal: frozenset[str] | set[str]
                  ) -> dict[str, Any]:
    """`masked`, and every declared personal field masked whatever its stored form: a value
    written before its field was declared (legal's docket numbers) is in the store in
    clear for good, and is no less personal data for that."""
    return {k: _mask_all(v) if k.removeprefix("_") in personal else masked(v)
            for k, v in data.items()}


def _mask_all(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, list):  # as sealed: element by element, the length stays
        return [_mask_all(v) for v in value]
    return MASK


def unsealed(data: dict[str, Any], vault: KeyVault, service: str, aggregate: str
             ) -> dict[str, Any]:
    """An event's fields with sealed values opened where they were sealed ("[erased]" once
    their subject is shredded, "[tampered]" if they do not open there)."""
    return {k: _opened(v, vault, seal_context(service, aggregate, k)) for k, v in data.items()}


def _opened(value: Any, vault: KeyVault, where: str) -> Any:
    if is_sealed(value):
        return plain(vault.unseal(value, where))
    if isinstance(value, dict):
        return {k: _opened(v, vault, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_opened(v, vault, where) for v in value]
    return value


def holds_personal_data(value: Any) -> bool:
    if is_sealed(value):
        return True
    if isinstance(value, dict):
        return any(holds_personal_data(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_personal_data(v) for v in value)
    return False
