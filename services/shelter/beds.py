"""Beds: holding one for a person on their way, admitting, moving, discharging, and taking
a request off the waiting list.

Each command loads the stay and the shelters it touches, decides, and saves them in one
transaction. Two commands racing for the same bed, or the same person, touch the same
aggregates: the event store keeps one, and `retrying` runs the other again from fresh
state, where it finds the bed taken (or the person placed) and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from services.shelter.domain import Shelter, Stay
from services.shelter.domain.access import CASEWORKER, check_may_run
from services.shelter.domain.stays import HELD
from services.shelter.due import Due
from services.shelter.store import place_of
from services.shelter.vocabulary import HoldCancelReason
from shared.audit import CommandContext
from shared.errors import Forbidden, domain_refusals

Fields = dict[str, Any]


def _placed(shelter: Shelter, bed_id: str, stay_id: str, status: str) -> Fields:
    return {"stay_id": stay_id, "status": status, **place_of(shelter, bed_id)}


class Beds(Due):
    def hold_bed(self, ctx: CommandContext, stay_id: UUID, shelter_id: UUID | None = None,
                 bed_id: UUID | None = None, hours: int | None = None) -> Fields:
        """A caseworker asks for a bed for their case's person; which shelter is the shelters'
        choice (each address a caseworker can see is one their client is placed in). Only
        calling as a caseworker makes someone the case's caseworker (shelters_for): in any
        other role they choose among their own shelters, as that role's callers do."""
        if ctx.actor_role == CASEWORKER and (shelter_id or bed_id):
            raise Forbidden("the shelters' staff choose the shelter and the bed")

        def attempt() -> Fields:
            now, stay = self.clock(), self.stay(stay_id)
            caseworker = self.caseworker_of(stay)
            self.check_not_own_client(ctx, stay.case_id)
            self.check_looks_after(ctx, stay, caseworker)  # a night intake: its shelter's
            shelters = self.shelters_for(ctx, shelter_id, caseworker)
            shelter, bed = self.bed_for(stay.placed(), shelters, bed_id)
            self.hold_for(stay, shelter, bed, now, hours)
            self.save(shelter, stay, ctx=ctx)
            return {**_placed(shelter, bed, str(stay.id), stay.status),
                    "expires_at": stay.hold_expires_at}

        with domain_refusals():
            return self.retrying(attempt)

    def cancel_hold(self, ctx: CommandContext, stay_id: UUID, cancel_reason: str) -> Fields:
        """By the shelter's staff, the case's caseworker or a supervisor."""
        def cancel(stay: Stay, shelter: Shelter, now: datetime) -> None:
            self.check_may_place(ctx, stay, shelter)
            shelter.release_hold(str(stay.id), now, "cancelled")
            stay.cancel_hold(now, cancel_reason)

        return self._free_bed(ctx, stay_id, cancel)

    def admit_resident(self, ctx: CommandContext, stay_id: UUID, shelter_id: UUID | None = None,
                       bed_id: UUID | None = None, known_as: str | None = None) -> Fields:
        """Into the bed held for them, or a free bed of the caller's shelter (given, or the
        best suitable). Held elsewhere: that hold is released in the same transaction."""
        def attempt() -> Fields:
            now, stay = self.clock(), self.stay(stay_id)
            if stay.waiting_night_intake:  # the shelter that received the person admits them
                self.check_looks_after(ctx, stay)
            self.check_not_own_client(ctx, stay.case_id)
            shelters = self.shelters_for(ctx, shelter_id)
            held = stay.place if stay.status == HELD else None
            released: list[Shelter] = []
            by_id = {str(s.id): s for s in shelters}
            if held is not None and held["shelter_id"] in by_id \
                    and bed_id in (None, UUID(held["bed_id"])):
                shelter, bed = by_id[held["shelter_id"]], held["bed_id"]
            else:
                shelter, bed = self.bed_for(stay.placed(), shelters, bed_id)
                if held is not None:  # a transfer is a release and an assignment
                    old = by_id.get(held["shelter_id"]) or self.shelter_of(stay)
                    old.release_hold(str(stay.id), now, "cancelled")
                    stay.cancel_hold(now, HoldCancelReason.PLACED_ELSEWHERE.value)
                    released = [] if old is shelter else [old]
            shelter.occupy(bed, stay.placed(), now)
            stay.admit(place_of(shelter, bed), now)
            if known_as is not None:
                stay.record_known_as(known_as)
            self.save(*released, shelter, stay, ctx=ctx)
            return _placed(shelter, bed, str(stay.id), stay.status)

        with domain_refusals():
            return self.retrying(attempt)

    def move_resident(self, ctx: CommandContext, stay_id: UUID, move_reason: str,
                      shelter_id: UUID | None = None, bed_id: UUID | None = None) -> Fields:
        def attempt() -> Fields:
            now, stay = self.clock(), self.stay(stay_id)
            source = self.shelter_of(stay)
            check_may_run(ctx.actor_role, ctx.actor_id, source.staff)
            self.check_not_own_client(ctx, stay.case_id)
            current = stay.place["bed_id"] if stay.place else None
            targets = [source if s.id == source.id else s
                       for s in self.shelters_for(ctx, shelter_id)]
            target, bed = self.bed_for(stay.placed(), targets, bed_id, not_bed=current)
            source.vacate(str(stay.id), now, "moved")
            target.occupy(bed, stay.placed(), now)
            stay.move(place_of(target, bed), now, move_reason)
            self.save(*{id(a): a for a in (source, target)}.values(), stay, ctx=ctx)
            return _placed(target, bed, str(stay.id), stay.status)

        with domain_refusals():
            return self.retrying(attempt)

    def discharge_resident(self, ctx: CommandContext, stay_id: UUID,
                           discharge_reason: str) -> Fields:
        def discharge(stay: Stay, shelter: Shelter, now: datetime) -> None:
            check_may_run(ctx.actor_role, ctx.actor_id, shelter.staff)
            shelter.vacate(str(stay.id), now, "discharged")
            stay.discharge(discharge_reason, now)

        return self._free_bed(ctx, stay_id, discharge)

    def _free_bed(self, ctx: CommandContext, stay_id: UUID,
                  free: Callable[[Stay, Shelter, datetime], None]) -> Fields:
        """Free the stay's bed (`free` checks the caller and decides), save both, and offer
        the bed to the waiting list at once."""
        def attempt() -> Fields:
            stay = self.stay(stay_id)
            shelter = self.shelter_of(stay)
            free(stay, shelter, self.clock())
            self.save(shelter, stay, ctx=ctx)
            return {"stay_id": str(stay.id), "status": stay.status}

        with domain_refusals():
            done = self.retrying(attempt)
        self.offer_free_beds()
        return done

    def decline_placement(self, ctx: CommandContext, stay_id: UUID,
                          decline_reason: str) -> Fields:
        """No: the request leaves the waiting list (a held bed is released with it)."""
        def attempt() -> Fields:
            now, stay = self.clock(), self.stay(stay_id)
            changed: list[Any] = [stay]
            self.check_looks_after(ctx, stay)
            if stay.status == HELD:
                shelter = self.shelter_of(stay)
                shelter.release_hold(str(stay.id), now, "declined")
                changed.append(shelter)
            stay.decline(decline_reason, now)
            self.save(*changed, ctx=ctx)
            return {"stay_id": str(stay.id), "status": stay.status}

        with domain_refusals():
            done = self.retrying(attempt)
        self.offer_free_beds()
        return done
