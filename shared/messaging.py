"""Integration events: what leaves a service, and how it looks on the broker.

Payloads carry ids, codes, categories and sealed personal data only. The
envelope says where the event came from (source service, notification id),
which is what consumers record to ignore a redelivery.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class IntegrationEvent:
    """Built by a service's application from one of its domain events."""

    type: str  # routing key and nameko event type, e.g. "ReferredToCasework"
    version: int  # version of the payload schema
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Envelope:
    """The message body on the broker (nameko JSON): the event plus where it came from."""

    source: str
    notification_id: int
    type: str
    version: int
    occurred_at: str
    correlation_id: str | None
    causation_id: str | None
    data: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Envelope:
        return cls(**{k: body.get(k) for k in cls.__dataclass_fields__})  # type: ignore[arg-type]
