"""Ids derived from what they identify, so that two processes deciding at once derive the
same id and the event store's (id, version) key settles the race."""

from __future__ import annotations

from uuid import UUID, uuid5

# Fixed forever: changing it would orphan every derived id already stored.
NAMESPACE = UUID("3c0e9a52-7b1d-4f6e-8d2a-5e4f1b7c9a30")
REGISTRY_ID = uuid5(NAMESPACE, "shelter-registry")


def case_file_id(case_id: UUID | str) -> UUID:
    return uuid5(NAMESPACE, f"case-file/{case_id}")


def address_subject_id(shelter_id: UUID | str) -> str:
    """The data subject a shelter's address is sealed under: the shelter's own, so the
    address can be shredded without touching anyone's personal data."""
    return str(uuid5(NAMESPACE, f"shelter-address/{shelter_id}"))


def access_log_id(subject_id: UUID | str) -> UUID:
    return uuid5(NAMESPACE, f"access-log/{subject_id}")
