"""Ids derived from what they identify, so that two processes deciding at once
derive the same id and the event store's (id, version) key settles the race."""

from __future__ import annotations

from uuid import UUID, uuid5

# Fixed forever: changing it would orphan every derived id already stored.
NAMESPACE = UUID("6f1c2a0e-3a51-4c4e-9a55-4b7d1e0c2a17")


def numbering_id(year: int) -> UUID:
    return uuid5(NAMESPACE, f"case-numbering/{year}")


def referral_case_id(contact_id: str) -> UUID:
    """One case per referred contact, however often (or by however many workers) the
    referral is handled."""
    return uuid5(NAMESPACE, f"referral-case/{contact_id}")


def access_log_id(client_id: UUID | str) -> UUID:
    return uuid5(NAMESPACE, f"access-log/{client_id}")
