"""Ids derived from what they identify: two workers (or two processes) that decide the same
thing derive the same id, and the event store's (id, version) key lets only one of them
store it. So an event delivered twice, or a timer claimed twice, has one effect."""

from __future__ import annotations

from uuid import UUID, uuid5

# Fixed forever: changing it would orphan every derived id already stored.
NAMESPACE = UUID("34b5c42f-5c3d-434b-af85-b860af7e9c98")


def alert_id(rule: str, key: str, offset: str = "") -> UUID:
    """One alert per rule, thing and reminder offset ("48h" before a hearing, "24h" ...)."""
    return uuid5(NAMESPACE, f"alert/{rule}/{key}/{offset}")


def delivery_id(alert: UUID | str, token: int, step: int, channel: str, address: str) -> UUID:
    """One message per alert, sending (its token: a reminder moved is sent anew),
    escalation step, channel and recipient."""
    return uuid5(NAMESPACE, f"delivery/{alert}/{token}/{step}/{channel}/{address}")


def case_file_id(case_id: str) -> UUID:
    return uuid5(NAMESPACE, f"case/{case_id}")


def desk_shift_id(shift_id: str) -> UUID:
    return uuid5(NAMESPACE, f"desk-shift/{shift_id}")


def watch_id(queue: str) -> UUID:
    return uuid5(NAMESPACE, f"dead-letter-watch/{queue}")


def target_id(name: str) -> UUID:
    return uuid5(NAMESPACE, f"webhook-target/{name}")
