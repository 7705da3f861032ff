"""Case references: KC-2026-0042, unique and gap-free per year.

One `CaseNumbering` aggregate per year issues the numbers. It is saved in the
same transaction as the case that takes the number, so a number is used exactly
when its case is stored: two openings that read the same last number cannot
both commit (the store's (id, version) key refuses the second), and a failed
opening leaves no hole.
"""

from __future__ import annotations

from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.casework.domain.ids import numbering_id

PREFIX = "KC"  # Krajowe Centrum: the centre's own reference prefix


def reference(year: int, number: int) -> str:
    return f"{PREFIX}-{year}-{number:04d}"


class CaseNumbering(Aggregate):
    AUDIT_CASE_SCOPE = "events"  # a year's numbering is not part of any one case's history
    @classmethod
    def start(cls, year: int) -> CaseNumbering:
        return cls(id=numbering_id(year), year=year)

    @event("NumberingStarted")
    def __init__(self, id: UUID, year: int):  # noqa: A002 - eventsourcing's name for it
        self.year = year
        self.last = 0

    def issue(self, case_id: str) -> str:
        """The next reference, reserved for `case_id` once saved with it."""
        self._issue(number=self.last + 1, case_id=case_id)
        return reference(self.year, self.last)

    @event("ReferenceIssued")
    def _issue(self, number: int, case_id: str) -> None:
        self.last = number
