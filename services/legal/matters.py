"""Matters: opened from casework's request or by a lawyer, then worked on -- details,
stage, lawyer, representation, mediation contacts, deadlines, closure -- and read.

Each change loads the matter sealed (no command decrypts what it does not need), checks
the caller is its lawyer or a supervisor, asks the aggregate, saves. Who is the lawyer of
an existing matter -- and so reads its personal data -- only a supervisor decides.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.legal.domain import Hearing, Matter
from services.legal.domain.access import check_may_assign, check_may_open_for
from services.legal.domain.ids import requested_matter_id
from services.legal.hearings import Hearings
from services.legal.store import Fields
from services.legal.views import matter_detail
from shared.audit import CommandContext
from shared.consumers import policy_context
from shared.errors import Conflict, InvalidInput, NotFound, domain_refusals
from shared.messaging import Envelope


class Matters(Hearings):  # a new lawyer takes the matter's hearings along
    # -- opening ----------------------------------------------------------------------
    def open_matter(self, ctx: CommandContext, case_id: UUID, kind: str,
                    standing: str | None = None, lawyer_id: str | None = None,
                    opened_at: datetime | None = None) -> Fields:
        """Open a matter directly, for a case legal knows: who opens it works on it. A
        lawyer may be the lawyer of a matter they open (it holds nothing yet), never take
        one that exists (assign_lawyer)."""
        if lawyer_id is None and ctx.actor_role == "lawyer":
            lawyer_id = ctx.actor_id
        matter_id, at = uuid.uuid4(), opened_at or self.clock()

        def attempt() -> None:
            case = self.case_record(case_id)
            if case.reference is None:
                raise NotFound(f"no case {case_id} is known to legal")
            matter = Matter.open(matter_id=matter_id, case_id=str(case_id), kind=kind,
                                 source="direct", opened_at=at, standing=standing,
                                 lawyer_id=lawyer_id)
            case.link_matter(str(matter_id))
            self.save(matter, case, ctx=ctx)

        with domain_refusals():
            check_may_open_for(ctx.actor_role, ctx.actor_id, lawyer_id)
            self.retrying(attempt)
        return {"matter_id": str(matter_id), "version": 1}

    def open_matter_from_request(self, data: Fields, envelope: Envelope,
                                 tracking: Tracking) -> None:
        """casework's LegalAssistanceRequested: one matter per request, unassigned until a
        supervisor assigns its lawyer (a lawyer cannot take it: by then a supervisor may
        have recorded its personal data)."""
        matter_id = requested_matter_id(data["request_id"])
        ctx = policy_context(envelope, self.name, "open_matter_from_request")

        def attempt() -> None:
            if self.find(Matter, matter_id, sealed=True) is not None:
                return  # opened by an earlier delivery of the same request
            matter = Matter.open(matter_id=matter_id, case_id=str(data["case_id"]),
                                 kind=data["matter"], source="request",
                                 request_id=str(data["request_id"]),
                                 opened_at=data["requested_at"])
            case = self.case_record(data["case_id"])
            case.link_matter(str(matter_id))
            self.save(matter, case, ctx=ctx, tracking=tracking)

        self.retrying(attempt, tracking)

    # -- changing a matter ------------------------------------------------------------
    def change_matter(self, ctx: CommandContext, matter_id: UUID,
                      expected_version: int | None, change: Callable[[Matter], Any]) -> Fields:
        """Load (sealed), check the version and the caller, change, save."""
        with domain_refusals():
            matter = self.matter_to_change(ctx, matter_id)
            _check_version(matter, expected_version)
            extra = change(matter)
            if matter.pending_events:
                self.save(matter, ctx=ctx)
        return {"matter_id": str(matter.id), "version": matter.version,
                **(extra if isinstance(extra, dict) else {})}

    def update_matter(self, ctx: CommandContext, matter_id: UUID, stage: str | None = None,
                      expected_version: int | None = None, **details: Any) -> Fields:
        now = self.clock()

        def update(matter: Matter) -> None:
            matter.record_details(details, now)
            if stage is not None:
                matter.change_stage(stage, now)

        return self.change_matter(ctx, matter_id, expected_version, update)

    def assign_lawyer(self, ctx: CommandContext, matter_id: UUID, lawyer_id: str,
                      expected_version: int | None = None) -> Fields:
        """A supervisor gives the matter its lawyer (or another one): the lawyer then reads
        its personal data, so no lawyer takes a matter alone, not even an unassigned one.
        The matter's hearings still ahead go to the new lawyer with it (hearings.py)."""
        now = self.clock()

        def attempt() -> Matter:
            matter = self.load(Matter, matter_id, sealed=True)
            check_may_assign(ctx.actor_role, ctx.actor_id, lawyer_id)
            _check_version(matter, expected_version)
            previous = matter.lawyer_id
            if matter.assign_lawyer(lawyer_id, now):
                self.save(matter, *self.hearings_follow(matter, previous, now), ctx=ctx)
            return matter

        with domain_refusals():
            matter = self.retrying(attempt)
        return {"matter_id": str(matter.id), "version": matter.version}

    def organise_representation(self, ctx: CommandContext, matter_id: UUID, attorney: str,
                                representation: str, power_of_attorney_on: date | None = None,
                                organised_on: date | None = None,
                                expected_version: int | None = None) -> Fields:
        on = organised_on or self.clock().date()
        return self.change_matter(ctx, matter_id, expected_version, lambda matter:
                                  matter.organise_representation(
                                      attorney=attorney, representation=representation,
                                      power_of_attorney_on=power_of_attorney_on,
                                      organised_on=on))

    def record_mediation_contact(self, ctx: CommandContext, matter_id: UUID, authority: str,
                                 channel: str, contacted_at: datetime | None = None,
                                 summary: str | None = None,
                                 expected_version: int | None = None) -> Fields:
        contact_id, at = str(uuid.uuid4()), contacted_at or self.clock()

        def record(matter: Matter) -> Fields:
            matter.record_mediation(contact_id=contact_id, authority=authority,
                                    channel=channel, contacted_at=at, summary=summary)
            return {"contact_id": contact_id}

        return self.change_matter(ctx, matter_id, expected_version, record)

    def set_deadline(self, ctx: CommandContext, matter_id: UUID, kind: str,
                     due_on: date | None = None, hearing_id: UUID | None = None,
                     days_before: int | None = None,
                     expected_version: int | None = None) -> Fields:
        """A deadline on a date, or derived: `days_before` the hearing (it moves with it)."""
        deadline_id, now = str(uuid.uuid4()), self.clock()
        if (due_on is None) == (hearing_id is None or days_before is None):
            raise InvalidInput(errors={"due_on": ["give due_on, or hearing_id and days_before"]})
        if hearing_id is not None and days_before is not None:
            hearing = self.load(Hearing, hearing_id, sealed=True)
            if hearing.matter_id != str(matter_id):
                raise NotFound(f"no hearing {hearing_id} in this matter")
            due_on = hearing.days_before(days_before)

        def set_it(matter: Matter) -> Fields:
            assert due_on is not None
            matter.set_deadline(deadline_id=deadline_id, kind=kind, due_on=due_on, now=now,
                                hearing_id=None if hearing_id is None else str(hearing_id),
                                days_before=days_before)
            return {"deadline_id": deadline_id}

        return self.change_matter(ctx, matter_id, expected_version, set_it)

    def record_deadline_outcome(self, ctx: CommandContext, matter_id: UUID, deadline_id: UUID,
                                outcome: str, on: date | None = None,
                                expected_version: int | None = None) -> Fields:
        day = on or self.clock().date()
        return self.change_matter(ctx, matter_id, expected_version, lambda matter:
                                  matter.close_deadline(str(deadline_id), outcome, day))

    def close_matter(self, ctx: CommandContext, matter_id: UUID, outcome: str,
                     closed_at: datetime | None = None,
                     expected_version: int | None = None) -> Fields:
        at = closed_at or self.clock()
        return self.change_matter(ctx, matter_id, expected_version,
                                  lambda matter: matter.close(outcome, at))

    # -- reading ------------------------------------------------------------------------
    def get_matter(self, ctx: CommandContext, matter_id: UUID,
                   purpose: str | None = None) -> Fields:
        """The matter; its personal data (caption, attorney, contact summaries) only to its
        lawyer, the case's confirmed caseworker and supervisors, who name a purpose."""
        matter = self.load(Matter, matter_id, sealed=True)
        if not self.may_read(ctx, matter, purpose, ["caption", "attorney", "contact_summaries"]):
            return {**matter_detail(matter, personal=False),
                    "personal_data": "not_requested" if purpose is None else "withheld"}
        return {**matter_detail(self.load(Matter, matter_id), personal=True),
                "personal_data": "included"}


def _check_version(matter: Matter, expected_version: int | None) -> None:
    if expected_version is not None and matter.version != expected_version:
        raise Conflict(f"the matter is at version {matter.version}, not {expected_version}")
