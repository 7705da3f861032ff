"""Who may share a room or a shelter with whom, and which bed suits a person: pure rules
over the facts a shelter keeps about each person it lodges (`Placed`), never a name.

A bed suits a person when it is free and in service in an open shelter, and its room keeps
every rule: isolation (an isolation room, and nobody else in it), the room's tags (women
only, men only, family), and keep-apart (nobody of the same case group, nobody flagged
against them in the room; and where a flag says so, nobody flagged in the shelter).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from services.shelter.vocabulary import MEN, WOMEN, RoomTag, Scope

ISOLATION, FAMILY = RoomTag.ISOLATION.value, RoomTag.FAMILY.value
WOMEN_ONLY, MEN_ONLY = RoomTag.WOMEN_ONLY.value, RoomTag.MEN_ONLY.value


@dataclass(frozen=True)
class Placed:
    """A person who holds or takes a bed, as the rules see them."""

    stay_id: str
    case_id: str | None = None
    group: str | None = None  # a case group: never in one room with the same group
    isolation: bool = False  # needs an isolation room to themselves
    apart: dict[str, str] = field(default_factory=dict)  # other case id -> Scope
    gender: str = "Unknown"
    children: int = 0  # accompanying children, who need a family room

    def to_event(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_event(cls, data: dict[str, Any]) -> Placed:
        return cls(**data)


def apart_scope(a: Placed, b: Placed) -> str | None:
    """How far apart these two must be kept: ROOM, SHELTER, or None."""
    if a.case_id is not None and a.case_id == b.case_id:
        return None  # one case: the rules are about other people
    scopes = set()
    if a.group is not None and a.group == b.group:
        scopes.add(Scope.ROOM.value)
    if b.case_id is not None and b.case_id in a.apart:
        scopes.add(a.apart[b.case_id])
    if a.case_id is not None and a.case_id in b.apart:
        scopes.add(b.apart[a.case_id])
    return Scope.SHELTER.value if Scope.SHELTER.value in scopes else \
        Scope.ROOM.value if scopes else None


def room_refusal(tags: list[str], roommates: list[Placed], person: Placed) -> str | None:
    """Why a room with these tags and roommates cannot take `person`, or None."""
    if person.isolation and ISOLATION not in tags:
        return "needs an isolation room"
    if person.isolation and roommates:
        return "needs an isolation room to themselves"
    if any(mate.isolation for mate in roommates):
        return "the room is an isolation in use"
    if WOMEN_ONLY in tags and person.gender not in WOMEN:
        return "the room is for women only"
    if MEN_ONLY in tags and person.gender not in MEN:
        return "the room is for men only"
    if person.children and FAMILY not in tags:
        return "accompanying children need a family room"
    if any(apart_scope(person, mate) for mate in roommates):
        return "someone in the room is to be kept apart from them"
    return None


def preference(tags: list[str], person: Placed) -> int:
    """Lower is better, for a bed chosen automatically: keep isolation rooms for those who
    need one, family rooms for families; a single-sex room for whom it is meant."""
    if ISOLATION in tags and not person.isolation:
        return 9  # only ever chosen by staff
    penalty = 0
    if FAMILY in tags and not person.children:
        penalty += 2
    if WOMEN_ONLY not in tags and MEN_ONLY not in tags:
        penalty += 1
    return penalty


AUTOMATIC_LIMIT = 9  # preference at or above this is never chosen automatically
