"""Reading: a shelter (its address only to its own staff and the caseworker of someone
placed there), a stay (the person's name and the address to their caseworker and the
shelter's staff), the residents of a shelter, and the read models' figures.

Personal data leaves only with a `purpose`, to those the access rules (domain/access.py)
name, and each such read is logged first. Everyone else gets the same record with the
personal data withheld.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from services.shelter.domain import Shelter, Stay
from services.shelter.domain.access import (
    SUPERVISOR,
    is_case_caseworker,
    is_roster_staff,
    may_see_address,
)
from services.shelter.store import ShelterStore
from services.shelter.views import month_bounds
from shared.audit import CommandContext
from shared.errors import domain_refusals

Fields = dict[str, Any]
INCLUDED, WITHHELD, NOT_REQUESTED = "included", "withheld", "not_requested"


def _shown(allowed: bool, purpose: str | None) -> str:
    return WITHHELD if not allowed else NOT_REQUESTED if purpose is None else INCLUDED


class Reading(ShelterStore):
    def shelter_detail(self, ctx: CommandContext, shelter_id: UUID,
                       purpose: str | None = None) -> Fields:
        shelter = self.load(Shelter, shelter_id, sealed=True)
        mine = [p.case_id for p in shelter.house.people()
                if p.case_id and self._is_caseworker(ctx, p.case_id)]
        allowed = may_see_address(ctx.actor_role, ctx.actor_id, shelter.staff,
                                  [ctx.actor_id] if mine else [])
        shown = _shown(allowed, purpose)
        detail = {"shelter_id": str(shelter.id), "code": shelter.code, "name": shelter.name,
                  "open": not shelter.closed, "relocating": shelter.relocating,
                  "to_relocate": len(shelter.to_relocate), "staff": list(shelter.staff),
                  **shelter.availability(), "address": None, "personal_data": shown}
        if shown == INCLUDED:
            assert purpose is not None
            with domain_refusals():
                reads: list[tuple[str | None, list[str]]] = [
                    (case_id, ["address"]) for case_id in mine] or [(None, ["address"])]
                self.record_reads(ctx, shelter.id, purpose, reads, self.clock())
            detail["address"] = self.vault.unseal(shelter.address)
        return detail

    def _is_caseworker(self, ctx: CommandContext, case_id: str | None) -> bool:
        found = self.case_file(case_id)
        return found is not None and is_case_caseworker(ctx.actor_role, ctx.actor_id,
                                                        found.caseworker_id)

    def stay_detail(self, ctx: CommandContext, stay_id: UUID, purpose: str | None = None) -> Fields:
        """The stay; the name the person goes by to the staff of the shelter they are in
        (or hold a bed in), their caseworker and supervisors; that shelter's address to its
        staff and their caseworker. Placed or held there, now: once discharged, the former
        shelter's staff see the record without the person, and nobody sees its address
        (the stay's status decides, so every history stored before follows the rule)."""
        stay = self.stay(stay_id)
        where = stay.shelter_now
        shelter = None if where is None else self.load(Shelter, where, sealed=True)
        staff = shelter is not None and is_roster_staff(ctx.actor_role, ctx.actor_id,
                                                        shelter.staff)
        caseworker = self._is_caseworker(ctx, stay.case_id)
        shown = _shown(staff or caseworker or ctx.actor_role == SUPERVISOR, purpose)
        detail = {**_facts(stay), "case_reference": self._reference(stay),
                  "known_as": None, "police_reference": None, "shelter_address": None,
                  "personal_data": shown}
        if shown == INCLUDED:
            assert purpose is not None
            fields = ["known_as", "police_reference"]
            house = shelter if staff or caseworker else None
            with domain_refusals():
                self.record_reads(ctx, stay.id, purpose, [(stay.case_id, fields)], self.clock())
                if house is not None:
                    self.record_reads(ctx, house.id, purpose, [(stay.case_id, ["address"])],
                                      self.clock())
            detail.update(known_as=self.vault.unseal(stay.known_as),
                          police_reference=self.vault.unseal(stay.police_reference))
            if house is not None:
                detail["shelter_address"] = self.vault.unseal(house.address)
        return detail

    def _reference(self, stay: Stay) -> str | None:
        found = self.case_file(stay.case_id)
        return None if found is None else found.reference

    def residents(self, ctx: CommandContext, shelter_id: UUID,
                  purpose: str | None = None) -> Fields:
        """Everyone with a bed or a hold in the shelter, where, since when, and the pairs to
        keep apart who are not; names to its staff and supervisors."""
        shelter = self.load(Shelter, shelter_id, sealed=True)
        allowed = ctx.actor_role == SUPERVISOR or is_roster_staff(
            ctx.actor_role, ctx.actor_id, shelter.staff)
        shown = _shown(allowed, purpose)
        stays = {p.stay_id: self.stay(p.stay_id) for p in shelter.house.people()}
        if shown == INCLUDED and stays:
            assert purpose is not None
            with domain_refusals():
                for stay in stays.values():
                    self.record_reads(ctx, stay.id, purpose, [(stay.case_id, ["known_as"])],
                                      self.clock())
        items = []
        for bed_id, bed in shelter.beds.items():
            if bed.occupant is None:
                continue
            stay = stays[bed.occupant.stay_id]
            items.append({**_facts(stay), "case_reference": self._reference(stay),
                          "room": shelter.rooms[bed.room_id].name, "bed": bed.label,
                          "bed_id": bed_id, "since": bed.since, "held_until": bed.held_until,
                          "known_as": self.vault.unseal(stay.known_as)
                          if shown == INCLUDED else None})
        return {"shelter_id": str(shelter.id), "personal_data": shown,
                "items": sorted(items, key=lambda i: (i["room"], i["bed"])),
                "breaches": [{"stay_ids": [a, b], "scope": scope}
                             for a, b, scope in shelter.house.breaches()]}

    # -- the read models --------------------------------------------------------------------
    def occupancy(self, ctx: CommandContext, shelter_id: UUID | None = None) -> Fields:
        return self.views.occupancy(None if shelter_id is None else str(shelter_id))

    def waiting_list(self, ctx: CommandContext, limit: int = 200) -> Fields:
        return self.views.waiting_list(self.clock(), limit)

    def census(self, ctx: CommandContext, date_from: date, date_to: date,
               shelter_id: UUID | None = None) -> Fields:
        return self.views.census(date_from, date_to,
                                 None if shelter_id is None else str(shelter_id))

    def length_of_stay(self, ctx: CommandContext, month: str) -> Fields:
        start, end = month_bounds(month)
        return {"month": month, **self.views.length_of_stay(start, end, self.clock())}

    def reconcile_occupancy(self, ctx: CommandContext) -> Fields:
        """Finding A Bed Tonight's reconciliation: the read model's beds against the
        shelters' own events. Any difference is a bug to look into, never silently fixed."""
        kept = {row["bed_id"]: (row["state"], row["stay_id"]) for row in self.views.beds()}
        differences = []
        checked = 0
        for shelter in self.shelters():
            for bed_id, bed in shelter.beds.items():
                checked += 1
                truth = ("free", None) if bed.occupant is None else (
                    "held" if bed.held_until else "occupied", bed.occupant.stay_id)
                if kept.get(bed_id) != truth:
                    differences.append({"shelter_id": str(shelter.id), "bed_id": bed_id,
                                        "events": truth[0], "read_model":
                                        kept[bed_id][0] if bed_id in kept else None})
        return {"beds_checked": checked, "differences": differences}


def _facts(stay: Stay) -> Fields:
    place = stay.place or {}
    return {"stay_id": str(stay.id), "case_id": stay.case_id, "source": stay.source,
            "status": stay.status, "priority": stay.priority, "requested_at": stay.requested_at,
            "needs_isolation": stay.isolation is not None, "isolation": stay.isolation,
            "isolation_ends_on": stay.isolation_ends_on, "accompanying_children": stay.children,
            "gender": stay.gender, "shelter_id": place.get("shelter_id"),
            "shelter_code": place.get("shelter_code"), "bed_id": place.get("bed_id"),
            "hold_expires_at": stay.hold_expires_at, "admitted_at": stay.admitted_at,
            "ended_at": stay.ended_at, "referred_by": stay.referred_by}
