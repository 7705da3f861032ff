"""The shelters' application: requests and the waiting list, beds, safety, the houses,
what falls due, reading, and casework's facts -- each a part of its own (store.py lists
them) -- and what it publishes.

Commands take the caller's CommandContext and plain values the schemas have validated;
they load, ask the aggregates, save. Time is read here (`clock`), never in the domain.
"""

from __future__ import annotations

from typing import Any

from services.shelter import contracts as c
from services.shelter.beds import Beds
from services.shelter.cases import Cases
from services.shelter.domain import Shelter, Stay
from services.shelter.houses import Houses
from services.shelter.reading import Reading
from services.shelter.requests import Requests
from services.shelter.safety import Safety
from services.shelter.views import ShelterViews
from shared.contracts import Publications

Fields = dict[str, Any]


def _residents_to_move(state: Fields) -> Fields:
    return {**state, "residents_to_move": len(state["to_relocate"])}


def _not_relocated(state: Fields) -> Fields:
    return {**state, "not_relocated": len(state["not_relocated"])}


class Shelters(Requests, Beds, Safety, Houses, Reading, Cases):
    name = "shelter"  # type: ignore[misc]  # eventsourcing declares it per instance
    views: ShelterViews
    publishes = Publications(c, Stay, Shelter, adapt={"LocationCompromised": _residents_to_move,
                                                      "ShelterCleared": _not_relocated})
