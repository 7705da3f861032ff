"""A shelter's rooms and beds, and who holds or occupies each: the questions the rules ask
of them. Kept by the Shelter aggregate (shelters.py) and changed only by its events, so it
is rebuilt exactly from the shelter's stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.shelter.domain.placing import (
    AUTOMATIC_LIMIT,
    ISOLATION,
    Placed,
    apart_scope,
    preference,
    room_refusal,
)
from services.shelter.domain.rules import InvalidValue, moment
from services.shelter.vocabulary import Scope


@dataclass
class Room:
    name: str
    tags: list[str]
    bed_ids: list[str]
    out_of_service: dict[str, Any] | None = None  # reason, since, until


@dataclass
class Bed:
    room_id: str
    label: str
    occupant: Placed | None = None
    held_until: datetime | None = None  # set while the occupant only holds the bed
    since: datetime | None = None

    def now_with(self, occupant: Placed | None, since: datetime,
                 held_until: datetime | None = None) -> None:
        """Who has the bed from `since` (None: nobody), holding it until `held_until`."""
        self.occupant, self.held_until, self.since = occupant, held_until, since


class House:
    def __init__(self) -> None:
        self.rooms: dict[str, Room] = {}
        self.beds: dict[str, Bed] = {}

    def add_room(self, room_id: str, name: str, tags: list[str],
                 beds: list[dict[str, str]]) -> None:
        self.rooms[room_id] = Room(name, tags, [b["bed_id"] for b in beds])
        for bed in beds:
            self.beds[bed["bed_id"]] = Bed(room_id, bed["label"])

    def room(self, room_id: str) -> Room:
        found = self.rooms.get(room_id)
        if found is None:
            raise InvalidValue("room_id", "is not a room of this shelter")
        return found

    def after(self, bed_id: str, at: datetime) -> datetime:
        """`at`, or the bed's last change if that is later: two processes' clocks may
        differ by a little, and a bed's history must not run backwards."""
        since = self.beds[bed_id].since
        at = moment(at, "at")
        return since if since is not None and since > at else at

    def bed_of(self, stay_id: str) -> str | None:
        return next((bed_id for bed_id, bed in self.beds.items()
                     if bed.occupant is not None and bed.occupant.stay_id == stay_id), None)

    def people(self) -> list[Placed]:
        """Everyone holding or occupying a bed here."""
        return [bed.occupant for bed in self.beds.values() if bed.occupant is not None]

    def people_in(self, room_id: str) -> list[Placed]:
        return [bed.occupant for bed_id in self.rooms[room_id].bed_ids
                if (bed := self.beds[bed_id]).occupant is not None]

    def rooms_due_back(self, now: datetime) -> list[str]:
        return [room_id for room_id, room in self.rooms.items() if room.out_of_service
                and room.out_of_service["until"] is not None
                and room.out_of_service["until"] <= now]

    def refusal(self, bed_id: str, person: Placed) -> str | None:
        """Why `person` cannot hold or take this bed now, or None."""
        bed = self.beds.get(bed_id)
        if bed is None:
            return "there is no such bed in the shelter"
        if bed.occupant is not None and bed.occupant.stay_id != person.stay_id:
            return "the bed is held for someone" if bed.held_until else "the bed is taken"
        room = self.rooms[bed.room_id]
        if room.out_of_service is not None:
            return "the room is out of service"
        mates = [p for p in self.people_in(bed.room_id) if p.stay_id != person.stay_id]
        why = room_refusal(room.tags, mates, person)
        if why is None and any(apart_scope(person, other) == Scope.SHELTER.value
                               for other in self.people() if other.stay_id != person.stay_id):
            why = "someone in this shelter is to be kept apart from them"
        return why

    def suitable_beds(self, person: Placed) -> list[tuple[int, str, str, str]]:
        """(preference, room name, bed label, bed id) of the beds a person could be given
        without anyone choosing: best first."""
        found = []
        for bed_id, bed in self.beds.items():
            rank = preference(self.rooms[bed.room_id].tags, person)
            if rank < AUTOMATIC_LIMIT and self.refusal(bed_id, person) is None:
                found.append((rank, self.rooms[bed.room_id].name, bed.label, bed_id))
        return sorted(found)

    def breaches(self) -> list[tuple[str, str, str]]:
        """(stay, stay, scope) of people here who are to be kept apart and are not: a flag
        recorded after they were placed. Staff move one of them."""
        found = []
        beds = [(b.room_id, b.occupant) for b in self.beds.values() if b.occupant is not None]
        for n, (room_a, a) in enumerate(beds):
            for room_b, b in beds[n + 1:]:
                scope = apart_scope(a, b)
                if scope == Scope.SHELTER.value or (scope and room_a == room_b):
                    found.append((a.stay_id, b.stay_id, scope))
        return found

    def counts(self) -> dict[str, int]:
        """Beds in service and free; isolation rooms in service with nobody in them."""
        in_service = [bed for bed in self.beds.values()
                      if self.rooms[bed.room_id].out_of_service is None]
        free_isolation = [room_id for room_id, room in self.rooms.items()
                          if ISOLATION in room.tags and room.out_of_service is None
                          and not self.people_in(room_id)]
        return {"beds_in_service": len(in_service),
                "beds_free": sum(bed.occupant is None for bed in in_service),
                "isolation_rooms_free": len(free_isolation)}
