"""The list of shelters: every shelter once, by a code of its own."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

from services.shelter.domain.ids import REGISTRY_ID
from services.shelter.domain.rules import CodeTaken


class ShelterRegistry(Aggregate):
    """Every shelter, once, by its code: where placements look for a bed. Saved with each
    registration, so two shelters registered at once cannot take one code."""

    AUDIT_CASE_SCOPE = "events"
    create_id = staticmethod(lambda: REGISTRY_ID)  # one list: ShelterRegistry()

    @event("RegistryStarted")
    def __init__(self) -> None:
        self.shelters: dict[str, str] = {}  # shelter id -> code

    def list_shelter(self, shelter_id: str, shelter_code: str) -> None:
        if shelter_code in self.shelters.values():
            raise CodeTaken(f"another shelter has the code {shelter_code}")
        self._list(shelter_id=shelter_id, code=shelter_code)

    @event("ShelterListed")
    def _list(self, shelter_id: str, code: str) -> None:
        self.shelters[shelter_id] = code
