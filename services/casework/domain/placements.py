"""Where a case's person is lodged: what the shelters told casework about each placement
casework asked for (or a night intake later linked to the case) -- held, admitted, moved,
discharged, declined -- with its history.

The shelters' messages arrive on a queue per event type, so out of order: each carries its
stay's version, and only a later one changes a placement's standing. Every message is kept
in the history, in the stay's own order. Shelter ids and codes only: the address stays with
the shelters.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.casework.domain.ids import NAMESPACE


def placements_id(case_id: UUID | str) -> UUID:
    return uuid5(NAMESPACE, f"shelter-placements/{case_id}")


class CasePlacements(Aggregate):
    create_id = staticmethod(placements_id)  # CasePlacements(case_id=...): one per case

    @event("PlacementsStarted")
    def __init__(self, case_id: str):
        self.case_id = case_id
        self.placements: dict[str, dict[str, Any]] = {}  # stay id -> standing and history

    def record(self, *, stay_id: str, news: str, status: str, version: int, at: datetime,
               shelter_id: str | None, shelter_code: str | None,
               reason: str | None) -> bool:
        """False for news already recorded (the same stay version delivered again)."""
        known = self.placements.get(stay_id)
        if known is not None and any(h["version"] == version for h in known["history"]):
            return False
        self._record(case_id=self.case_id, stay_id=stay_id, news=news, status=status,
                     version=version, at=at, shelter_id=shelter_id, shelter_code=shelter_code,
                     reason=reason)
        return True

    @event("ShelterPlacementUpdated")
    def _record(self, case_id: str, stay_id: str, news: str, status: str, version: int,
                at: datetime, shelter_id: str | None, shelter_code: str | None,
                reason: str | None) -> None:
        placement = self.placements.setdefault(
            stay_id, {"stay_id": stay_id, "version": 0, "history": []})
        entry = {"news": news, "status": status, "version": version, "at": at,
                 "shelter_id": shelter_id, "shelter_code": shelter_code, "reason": reason}
        placement["history"] = sorted([*placement["history"], entry],
                                      key=lambda h: h["version"])
        if version > placement["version"]:  # news without a shelter keeps the last one
            placement.update(version=version, status=status, since=at,
                             shelter_id=shelter_id or placement.get("shelter_id"),
                             shelter_code=shelter_code or placement.get("shelter_code"))
