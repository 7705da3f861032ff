"""Keeping people safe: keep-apart flags and case groups, isolation reviews, security
incidents, and "location compromised": the shelter closes, its holds are released, everyone
in it is moved to other shelters (tracked until the last one is), and it stays closed until
a supervisor clears it.

A flag recorded while two people already share a room or a shelter cannot undo that: it is
recorded, and the shelter lists the pair as a breach for its staff to move one of them.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.shelter.domain import CaseFile, Shelter
from services.shelter.domain.access import CASEWORKER, check_may_run, is_case_caseworker
from services.shelter.due import Due
from services.shelter.vocabulary import HoldCancelReason
from shared.audit import CommandContext
from shared.errors import Forbidden, domain_refusals

Fields = dict[str, Any]


class Safety(Due):
    # -- keep apart ---------------------------------------------------------------------------
    def keep_apart(self, ctx: CommandContext, case_id: UUID, other_case_id: UUID, scope: str,
                   keep_apart_reason: str) -> Fields:
        def attempt() -> Fields:
            now = self.clock()
            one, other = self.known_case(case_id), self.known_case(other_case_id)
            self._check_caseworker(ctx, one, other)
            one.keep_apart_from(other.case_id, scope, keep_apart_reason, ctx.actor_id, now)
            other.keep_apart_from(one.case_id, scope, keep_apart_reason, ctx.actor_id, now)
            return self._spread(ctx, one, other)

        with domain_refusals():
            return self.retrying(attempt)

    def set_case_group(self, ctx: CommandContext, case_id: UUID, group: str | None) -> Fields:
        """People of one case group (one trafficking operation) never share a room."""
        def attempt() -> Fields:
            case = self.known_case(case_id)
            self._check_caseworker(ctx, case)
            case.set_group(group, ctx.actor_id, self.clock())
            return self._spread(ctx, case)

        with domain_refusals():
            return self.retrying(attempt)

    def _check_caseworker(self, ctx: CommandContext, *cases: CaseFile) -> None:
        if ctx.actor_role == CASEWORKER and not any(
                is_case_caseworker(ctx.actor_role, ctx.actor_id, c.caseworker_id) for c in cases):
            raise Forbidden("only the caseworker of one of the cases or a supervisor may")

    def _spread(self, ctx: CommandContext, *cases: CaseFile) -> Fields:
        """The cases' open stays take on their group and flags, and so do the shelters
        where they hold or have a bed; saved with the case files in one transaction."""
        shelters: dict[str, Shelter] = {}
        changed: list[Any] = list(cases)
        for case in cases:
            for stay in (self.stay(stay_id) for stay_id in case.stay_ids):
                if not stay.note_keep_apart(case.group or stay.group, case.apart):
                    continue
                changed.append(stay)
                if stay.place is not None:
                    shelter_id = stay.place["shelter_id"]
                    shelter = shelters.get(shelter_id) or self.load(Shelter, shelter_id,
                                                                   sealed=True)
                    shelters[shelter_id] = shelter
                    shelter.update_person(stay.placed())
        self.save(*changed, *shelters.values(), ctx=ctx)
        return {"case_ids": [c.case_id for c in cases],
                "breaches": [{"shelter_id": shelter_id, "stay_ids": [a, b], "scope": scope}
                             for shelter_id, shelter in shelters.items()
                             for a, b, scope in shelter.house.breaches()]}

    # -- isolation ----------------------------------------------------------------------------
    def review_isolation(self, ctx: CommandContext, stay_id: UUID, decision: str,
                         next_review_on: date | None = None) -> Fields:
        def attempt() -> Fields:
            stay = self.stay(stay_id)
            self.check_looks_after(ctx, stay)
            shelter = None if stay.place is None else self.shelter_of(stay)
            stay.review_isolation(decision, next_review_on, self.clock())
            if shelter is not None:
                shelter.update_person(stay.placed())
            self.save(*[a for a in (stay, shelter) if a is not None], ctx=ctx)
            return {"stay_id": str(stay.id), "status": stay.status,
                    "isolation": stay.isolation}

        with domain_refusals():
            return self.retrying(attempt)

    # -- incidents ---------------------------------------------------------------------------
    def report_incident(self, ctx: CommandContext, shelter_id: UUID, kind: str,
                        severity: str, occurred_at: datetime | None = None,
                        stay_ids: list[UUID] | None = None, note: str | None = None) -> Fields:
        incident_id = str(uuid.uuid4())

        def attempt() -> Fields:
            now = self.clock()
            shelter = self.load(Shelter, shelter_id, sealed=True)
            check_may_run(ctx.actor_role, ctx.actor_id, shelter.staff)
            released = shelter.report_incident(
                incident_id=incident_id, kind=kind, severity=severity,
                occurred_at=occurred_at or now, reported_at=now,
                stay_ids=[str(s) for s in stay_ids or []], note=note)
            named = [str(s) for s in stay_ids or []]
            stays = {stay_id: self.stay(stay_id) for stay_id in {*released, *named}}
            for stay_id in released:
                stays[stay_id].cancel_hold(now, HoldCancelReason.LOCATION_COMPROMISED.value)
            for stay_id in named:  # erasing one of them shreds the note too
                stays[stay_id].note_incident(incident_id, kind, severity)
            self.save(shelter, *stays.values(), ctx=ctx)
            return {"incident_id": incident_id, "closed": shelter.closed,
                    "to_relocate": len(shelter.to_relocate)}

        with domain_refusals():
            done = self.retrying(attempt)
        if done["closed"]:
            done["relocated"] = self.relocate_residents(str(shelter_id))
            self.offer_free_beds()
        return done

    def clear_shelter(self, ctx: CommandContext, shelter_id: UUID) -> Fields:
        def attempt() -> Fields:
            shelter = self.load(Shelter, shelter_id, sealed=True)
            shelter.clear(self.clock())
            self.save(shelter, ctx=ctx)
            return {"shelter_id": str(shelter.id), "closed": shelter.closed}

        with domain_refusals():
            done = self.retrying(attempt)
        self.offer_free_beds()
        return done
