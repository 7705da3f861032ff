"""Ids derived from what they identify, so that two processes deciding at once derive
the same id and the event store's (id, version) key settles the race."""

from __future__ import annotations

from uuid import UUID, uuid5

# Fixed forever: changing it would orphan every derived id already stored.
NAMESPACE = UUID("3b0c7f55-2f0e-4a8e-9d61-0c4d5b7a9e21")


def case_record_id(case_id: UUID | str) -> UUID:
    return uuid5(NAMESPACE, f"case/{case_id}")


def requested_matter_id(request_id: UUID | str) -> UUID:
    """One matter per casework request, however often the request is delivered."""
    return uuid5(NAMESPACE, f"request/{request_id}")


def calendar_id(staff_id: str) -> UUID:
    return uuid5(NAMESPACE, f"calendar/{staff_id}")
