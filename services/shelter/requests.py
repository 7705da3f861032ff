"""Requests for a bed: casework's (consumed once per message), and the night intake of a
person the police bring who is not yet known (under a pseudonym, linked to a case later).

A casework request is held a bed at once when one suits anywhere -- the caseworker placing
someone at 3 a.m. learns where before they set off -- and otherwise waits on the list,
emergencies first. A night intake is admitted by the staff who received the person.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.shelter.domain import CaseFile, Stay
from services.shelter.domain.access import is_roster_staff
from services.shelter.store import ShelterStore
from services.shelter.vocabulary import ISOLATION_DEFAULTS, Source, Urgency
from shared.audit import CommandContext
from shared.consumers import policy_context
from shared.errors import domain_refusals
from shared.messaging import Envelope

Fields = dict[str, Any]


def isolation_of(reason: str | None, on: date, max_days: int | None = None,
                 review_on: date | None = None) -> Fields | None:
    """An isolation need: its reason, maximum duration and first review (defaults by
    reason, until staff set their own)."""
    if reason is None:
        return None
    defaults = ISOLATION_DEFAULTS[reason]
    first_review = review_on or on + timedelta(days=defaults["review_after_days"])
    return {"reason": reason, "max_days": max_days or defaults["max_days"],
            "review_on": first_review.isoformat()}


class Requests(ShelterStore):
    def receive_request(self, request: Fields, envelope: Envelope, tracking: Tracking) -> None:
        """casework's ShelterPlacementRequested: one stay per request, however often (or by
        however many workers) the message is handled."""
        self.request_placement(policy_context(envelope, self.name, "receive_request"),
                               request, tracking)

    def request_placement(self, ctx: CommandContext, request: Fields,
                          tracking: Tracking | None = None) -> None:
        """A request as casework's contract carries it: a stay, and a bed held if one suits."""
        if self.find(Stay, request["request_id"], sealed=True) is not None:
            return
        case_id = str(request["case_id"])

        def attempt() -> None:
            case = self.case_file(case_id) or CaseFile(case_id=case_id)
            stay = Stay.request(
                stay_id=request["request_id"], source=Source.CASEWORK.value, case_id=case_id,
                requested_at=request["requested_at"],
                isolation=isolation_of(request["isolation_reason"]
                                       if request["needs_isolation"] else None,
                                       request["requested_at"].date()),
                accompanying_children=request["accompanying_children"],
                needed_from=request["needed_from"], gender=request["gender"],
                languages=request["languages"], auto_hold=True, group=case.group,
                apart=case.apart)
            case.list_stay(str(stay.id))
            held = self.hold_anywhere(stay, self.clock())
            self.save(case, stay, *held, ctx=ctx, tracking=tracking)

        self.retrying(attempt, tracking)

    def night_intake(self, ctx: CommandContext, gender: str, referred_by: str,
                     urgency: str = Urgency.EMERGENCY.value, known_as: str | None = None,
                     police_reference: str | None = None, isolation_reason: str | None = None,
                     isolation_max_days: int | None = None,
                     isolation_review_on: date | None = None, accompanying_children: int = 0,
                     languages: list[str] | None = None, group: str | None = None) -> Fields:
        """Someone at the door at night, on a referral, with no case yet: a stay under the
        name they give (sealed), for the staff to admit. It belongs to the shelter whose
        staff received the person (their roster's, now): while it waits, that shelter's staff
        and supervisors act on it, no other shelter's. Taken in by a supervisor: theirs."""
        shelters = self.shelters_for(ctx, None)  # staff of a shelter, or a supervisor
        received_by = [str(s.id) for s in shelters
                       if is_roster_staff(ctx.actor_role, ctx.actor_id, s.staff)]
        now = self.clock()
        with domain_refusals():
            stay = Stay.request(
                stay_id=uuid.uuid4(), source=Source.NIGHT_INTAKE.value, requested_at=now,
                isolation=isolation_of(isolation_reason, now.date(), isolation_max_days,
                                       isolation_review_on),
                accompanying_children=accompanying_children, gender=gender,
                languages=languages or [], priority=urgency, group=group,
                referred_by=referred_by, known_as=known_as, police_reference=police_reference,
                received_by=received_by)
            self.save(stay, ctx=ctx)
        return {"stay_id": str(stay.id), "status": stay.status}

    def link_to_case(self, ctx: CommandContext, stay_id: UUID, case_id: UUID) -> Fields:
        """A night intake's person is a client now: the stay joins the case, and takes on its
        group and keep-apart flags (in the shelter too, when they have a bed)."""
        def attempt() -> Fields:
            now, stay = self.clock(), self.stay(stay_id)
            # Not the caseworker alone: linking someone to their case would show them where
            # that person sleeps. The staff who know the person (of the shelter that has
            # them, or while they wait, that received them), or a supervisor.
            self.check_looks_after(ctx, stay)
            self.check_not_own_client(ctx, case_id)
            case = self.known_case(case_id)
            shelter = None if stay.shelter_now is None else self.shelter_of(stay)
            changed: list[Any] = [stay, case]
            if stay.link_to_case(str(case.case_id), case.reference, now):
                case.list_stay(str(stay.id))
                if stay.note_keep_apart(case.group or stay.group, case.apart) and shelter:
                    shelter.update_person(stay.placed())
                    changed.append(shelter)
                self.save(*changed, ctx=ctx)
            return {"stay_id": str(stay.id), "status": stay.status}

        with domain_refusals():
            return self.retrying(attempt)

    def prioritise_placement(self, ctx: CommandContext, stay_id: UUID, priority: str) -> Fields:
        """Emergency first: by the shelters' staff, the case's caseworker, a supervisor."""
        stay = self.stay(stay_id)
        self.check_looks_after(ctx, stay, self.caseworker_of(stay))
        with domain_refusals():
            stay.prioritise(priority)
            self.save(stay, ctx=ctx)
        return {"stay_id": str(stay.id), "status": stay.status}


