"""Which sealed values no longer open where they are stored: tampering, listed by verify.

Hash chains show that stored bytes changed; this shows which personal fields were altered,
forged or moved from another record (a ciphertext is bound to its service, aggregate,
field and subject). Values of erased subjects read as erased, never as tampered.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from shared.audit_trail.decode import mapper_for, stored_event
from shared.audit_trail.sources import Catalogue, StoreReader
from shared.config import Settings
from shared.crypto import TAMPERED, KeyVault, SealedText
from shared.verify import log_length

BATCH = 2000


@dataclass(frozen=True)
class TamperedValue:
    service: str
    stream: str
    version: int
    notification_id: int
    field: str  # where the value sits (a list's position included)

    def line(self) -> str:
        return (f"TAMPERED {self.service} stream={self.stream} version={self.version}"
                f" notification={self.notification_id} field={self.field}")


def tampered_values(service: str, cfg: Settings, catalogue: Catalogue,
                    vault: KeyVault) -> list[TamperedValue]:
    mapper = mapper_for(catalogue.application(service), service)  # leaves values sealed
    found = []
    with StoreReader(service, cfg) as reader:
        if not reader.exists():
            return []
        last = log_length(service, cfg)
        for start in range(0, last, BATCH):
            for record in reader.at(range(start + 1, min(start + BATCH, last) + 1)):
                event = mapper.to_domain_event(stored_event(record))
                for where, value in _sealed(vars(event)):
                    if vault.unseal(value) == TAMPERED:
                        found.append(TamperedValue(service, record.originator_id,
                                                   record.originator_version,
                                                   record.notification_id, where))
    return found


def _sealed(value: Any, path: str = "") -> Iterator[tuple[str, SealedText]]:
    if isinstance(value, SealedText):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _sealed(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _sealed(item, f"{path}[{i}]")
