"""The houses themselves: registering a shelter (its address sealed under a subject of its
own), rooms and beds with their tags, the staff roster, rooms out of service, and the
provisions handed out to residents.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from services.shelter.domain import Shelter, ShelterRegistry
from services.shelter.domain.access import check_may_run
from services.shelter.domain.ids import REGISTRY_ID
from services.shelter.due import Due
from shared.audit import CommandContext
from shared.errors import Forbidden, domain_refusals

Fields = dict[str, Any]


class Houses(Due):
    def register_shelter(self, ctx: CommandContext, code: str, name: str, address: str,
                         rooms: list[Fields] | None = None) -> Fields:
        """With its rooms, if given: [{name, tags, beds: [label, ...]}]."""
        shelter_id = uuid.uuid4()

        def attempt() -> Fields:
            now = self.clock()
            registry = self.find(ShelterRegistry, REGISTRY_ID, sealed=True) or ShelterRegistry()
            shelter = Shelter.register(shelter_id=shelter_id, code=code, name=name,
                                       address=address, registered_at=now)
            registry.list_shelter(str(shelter.id), shelter.code)
            for room in rooms or []:
                _add_room(shelter, room, now)
            self.save(registry, shelter, ctx=ctx)
            return {"shelter_id": str(shelter.id), "rooms": list(shelter.rooms)}

        with domain_refusals():
            return self.retrying(attempt)

    def add_room(self, ctx: CommandContext, shelter_id: UUID, name: str, tags: list[str],
                 beds: list[str]) -> Fields:
        return self._change(ctx, shelter_id, lambda shelter, now: {
            "room_id": _add_room(shelter, {"name": name, "tags": tags, "beds": beds}, now)},
            staff=False)

    def retag_room(self, ctx: CommandContext, shelter_id: UUID, room_id: UUID,
                   tags: list[str]) -> Fields:
        return self._change(ctx, shelter_id,
                            lambda shelter, now: shelter.retag_room(str(room_id), tags, now))

    def assign_staff(self, ctx: CommandContext, shelter_id: UUID, staff_id: str) -> Fields:
        if staff_id == ctx.actor_id:
            # On a roster one sees the house's address and residents, which a supervisor
            # does not: one who also works as staff is put on it by another supervisor.
            raise Forbidden("another supervisor puts you on a shelter's roster")
        return self._change(ctx, shelter_id, lambda shelter, now: shelter.assign_staff(staff_id),
                            staff=False)

    def withdraw_staff(self, ctx: CommandContext, shelter_id: UUID, staff_id: str) -> Fields:
        return self._change(ctx, shelter_id,
                            lambda shelter, now: shelter.withdraw_staff(staff_id), staff=False)

    def correct_address(self, ctx: CommandContext, shelter_id: UUID, address: str) -> Fields:
        return self._change(ctx, shelter_id,
                            lambda shelter, now: shelter.correct_address(address))

    def take_room_out_of_service(self, ctx: CommandContext, shelter_id: UUID, room_id: UUID,
                                 out_of_service_reason: str,
                                 until: datetime | None = None) -> Fields:
        return self._change(ctx, shelter_id, lambda shelter, now: shelter.take_out_of_service(
            str(room_id), out_of_service_reason, now, until))

    def return_room_to_service(self, ctx: CommandContext, shelter_id: UUID,
                               room_id: UUID) -> Fields:
        done = self._change(ctx, shelter_id, lambda shelter, now: shelter.return_to_service(
            str(room_id), now))
        self.offer_free_beds()
        return done

    def _change(self, ctx: CommandContext, shelter_id: UUID,
                change: Callable[[Shelter, datetime], Any], staff: bool = True) -> Fields:
        """Load, check the caller (the shelter's staff or a supervisor; supervisors alone
        when `staff` is False: the policy table admits only them), change, save."""
        def attempt() -> Fields:
            shelter = self.load(Shelter, shelter_id, sealed=True)
            if staff:
                check_may_run(ctx.actor_role, ctx.actor_id, shelter.staff)
            extra = change(shelter, self.clock())
            if shelter.pending_events:
                self.save(shelter, ctx=ctx)
            return {"shelter_id": str(shelter.id), **(extra if isinstance(extra, dict) else {})}

        with domain_refusals():
            return self.retrying(attempt)

    # -- daily life -----------------------------------------------------------------------------
    def hand_out_provision(self, ctx: CommandContext, stay_id: UUID, kind: str,
                           quantity: int = 1) -> Fields:
        stay = self.stay(stay_id)
        with domain_refusals():
            check_may_run(ctx.actor_role, ctx.actor_id, self.shelter_of(stay).staff)
            stay.hand_out(kind, quantity, self.clock(), ctx.actor_id)
            self.save(stay, ctx=ctx)
        return {"stay_id": str(stay.id), "status": stay.status}


def _add_room(shelter: Shelter, room: Fields, now: datetime) -> str:
    room_id = str(uuid.uuid4())
    shelter.add_room(room_id=room_id, name=room["name"], tags=room.get("tags") or [],
                     beds=[(str(uuid.uuid4()), label) for label in room["beds"]], at=now)
    return room_id
