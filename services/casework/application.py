"""Casework's application: the changes to a case, the read-model queries, and what it
publishes; opening cases, reading personal data, correcting a client and erasure are its
parts (store.py lists them), each a class of its own.

Commands take the caller's CommandContext (who, in which role, why) and plain values
the schemas have validated; they load, ask the aggregates, save. Time is read here
(`clock`), never in the domain. Writes load aggregates still sealed: no command
decrypts personal data it does not need. Read-model queries live in queries.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID

from services.casework import contracts as c
from services.casework.corrections import ClientCorrections
from services.casework.domain import AccessLog, Case, CaseNumbering, Client
from services.casework.domain.access import check_may_assign, check_may_change
from services.casework.emergency import EmergencyAccess
from services.casework.erasure import Erasure
from services.casework.opening import CaseOpenings
from services.casework.placements import Placements
from services.casework.queries import CaseworkViews
from services.casework.reading import SEE_LINKS, Reading
from services.casework.vocabulary import ServiceType
from shared.audit import CommandContext
from shared.contracts import Publications
from shared.errors import Conflict, domain_refusals

Fields = dict[str, Any]


def _crisis_as_service(state: Fields) -> Fields:
    """One stream of services for consumers; a crisis intervention carries its response time."""
    return {**state, "service_type": ServiceType.CRISIS_INTERVENTION.value,
            "crisis_response_seconds": state["response_seconds"]}


def _service(state: Fields) -> Fields:
    return {**state, "crisis_response_seconds": None}


SNAPSHOT_EVERY = 50


class Casework(CaseOpenings, Reading, ClientCorrections, Erasure, EmergencyAccess,
               Placements):
    name = "casework"  # type: ignore[misc]  # eventsourcing declares it per instance
    # The year's numbering gains an event with every case, and every opening loads it: a
    # snapshot keeps an opening in December as cheap as in January (at about 1,000 cases
    # it read the year's thousand events each time).
    snapshotting_intervals = {CaseNumbering: SNAPSHOT_EVERY}  # noqa: RUF012
    views: CaseworkViews
    publishes = Publications(
        c, Case, Client, AccessLog, publish_as={"CrisisInterventionProvided": c.SERVICE_PROVIDED},
        adapt={"CrisisInterventionProvided": _crisis_as_service, "ServiceProvided": _service})

    # -- changing a case ----------------------------------------------------------------------
    def change_case(self, ctx: CommandContext, case_id: UUID, expected_version: int | None,
                    change: Callable[[Case], Any],
                    check: Callable[[CommandContext, Case], None] | None = None) -> Fields:
        """Load (sealed), check the version and the caller, change, save."""
        with domain_refusals():
            case = self.load(Case, case_id, sealed=True)
            if expected_version is not None and case.version != expected_version:
                raise Conflict(f"the case is at version {case.version}, not {expected_version}")
            if check is None:
                check_may_change(ctx.actor_role, ctx.actor_id, case.caseworker_id)
            else:
                check(ctx, case)
            extra = change(case)
            if case.pending_events:
                self.save(case, ctx=ctx)
        return {"case_id": str(case.id), "version": case.version,
                **(extra if isinstance(extra, dict) else {})}

    def update_case_facts(self, ctx: CommandContext, case_id: UUID,
                          expected_version: int | None = None, **changes: Any) -> Fields:
        now = self.clock()
        return self.change_case(ctx, case_id, expected_version,
                                lambda case: case.update_facts(changes, now))

    def assign_caseworker(self, ctx: CommandContext, case_id: UUID, caseworker_id: str,
                          expected_version: int | None = None) -> Fields:
        now = self.clock()

        def may_assign(ctx: CommandContext, case: Case) -> None:
            check_may_assign(ctx.actor_role, ctx.actor_id, case.caseworker_id, caseworker_id)

        def assign(case: Case) -> Fields:
            case.assign(caseworker_id, now)
            # A supervisor assigning someone confirms them; themselves, another one does.
            if ctx.actor_role == "supervisor" and caseworker_id != ctx.actor_id:
                case.confirm_assignment(ctx.actor_id, now)
            return {"assignment": "pending" if case.assignment_pending else "confirmed"}

        return self.change_case(ctx, case_id, expected_version, assign, check=may_assign)

    def confirm_assignment(self, ctx: CommandContext, case_id: UUID,
                           caseworker_id: str | None = None,
                           expected_version: int | None = None) -> Fields:
        """A supervisor confirms the caseworker on the case (`caseworker_id`, the one they
        mean, when given): now they see the person."""
        now = self.clock()

        def confirm(case: Case) -> Fields:
            case.confirm_assignment(ctx.actor_id, now, meant=caseworker_id)
            return {"assignment": "confirmed"}

        return self.change_case(ctx, case_id, expected_version, confirm)

    def change_phase(self, ctx: CommandContext, case_id: UUID, phase: str,
                     expected_version: int | None = None) -> Fields:
        now = self.clock()
        return self.change_case(ctx, case_id, expected_version,
                                lambda case: case.change_phase(phase, now))

    def change_identification(self, ctx: CommandContext, case_id: UUID, status: str,
                              decided_by: str, decided_on: date | None = None,
                              expected_version: int | None = None) -> Fields:
        on = decided_on or self.clock().date()
        return self.change_case(ctx, case_id, expected_version,
                                lambda case: case.change_identification(status, decided_by, on))

    def start_reflection_period(self, ctx: CommandContext, case_id: UUID, starts_on: date,
                                ends_on: date, expected_version: int | None = None) -> Fields:
        return self.change_case(ctx, case_id, expected_version,
                                lambda case: case.start_reflection_period(starts_on, ends_on))

    def record_consent(self, ctx: CommandContext, case_id: UUID, purpose: str, recipient: str,
                       decision: str, decided_on: date | None = None,
                       expires_on: date | None = None, evidence: str | None = None,
                       expected_version: int | None = None) -> Fields:
        on = decided_on or self.clock().date()
        return self.change_case(ctx, case_id, expected_version, lambda case: case.record_consent(
            purpose=purpose, recipient=recipient, decision=decision, decided_on=on,
            expires_on=expires_on, evidence=evidence))

    def revoke_consent(self, ctx: CommandContext, case_id: UUID, purpose: str, recipient: str,
                       revoked_on: date | None = None,
                       expected_version: int | None = None) -> Fields:
        on = revoked_on or self.clock().date()
        return self.change_case(ctx, case_id, expected_version, lambda case: case.revoke_consent(
            purpose=purpose, recipient=recipient, revoked_on=on))

    def record_service(self, ctx: CommandContext, case_id: UUID, service_type: str,
                       provided_at: datetime | None = None, duration_minutes: int | None = None,
                       provided_by: str | None = None, language: str | None = None,
                       expected_version: int | None = None) -> Fields:
        service_id, at = str(uuid.uuid4()), provided_at or self.clock()

        def provide(case: Case) -> Fields:
            case.provide_service(service_id=service_id, service_type=service_type,
                                 provided_at=at, duration_minutes=duration_minutes,
                                 provided_by=provided_by or ctx.actor_id, language=language)
            return {"service_id": service_id}

        return self.change_case(ctx, case_id, expected_version, provide)

    def add_plan_objective(self, ctx: CommandContext, case_id: UUID, objective_type: str,
                           description: str | None = None, due_on: date | None = None,
                           expected_version: int | None = None) -> Fields:
        objective_id = str(uuid.uuid4())

        def add(case: Case) -> Fields:
            case.add_objective(objective_id=objective_id, objective_type=objective_type,
                               description=description, due_on=due_on)
            return {"objective_id": objective_id}

        return self.change_case(ctx, case_id, expected_version, add)

    def add_plan_action(self, ctx: CommandContext, case_id: UUID, objective_id: UUID,
                        description: str, due_on: date | None = None,
                        expected_version: int | None = None) -> Fields:
        action_id = str(uuid.uuid4())

        def add(case: Case) -> Fields:
            case.add_action(action_id=action_id, objective_id=str(objective_id),
                            description=description, due_on=due_on)
            return {"action_id": action_id}

        return self.change_case(ctx, case_id, expected_version, add)

    def complete_plan_action(self, ctx: CommandContext, case_id: UUID, action_id: UUID,
                             done_on: date | None = None,
                             expected_version: int | None = None) -> Fields:
        on = done_on or self.clock().date()
        return self.change_case(ctx, case_id, expected_version,
                                lambda case: case.complete_action(str(action_id), on))

    def complete_plan_objective(self, ctx: CommandContext, case_id: UUID, objective_id: UUID,
                                completed_on: date | None = None,
                                expected_version: int | None = None) -> Fields:
        on = completed_on or self.clock().date()
        return self.change_case(ctx, case_id, expected_version,
                                lambda case: case.complete_objective(str(objective_id), on))

    def schedule_follow_up(self, ctx: CommandContext, case_id: UUID, due_at: datetime,
                           expected_version: int | None = None) -> Fields:
        follow_up_id = str(uuid.uuid4())

        def schedule(case: Case) -> Fields:
            case.schedule_follow_up(follow_up_id, due_at)
            return {"follow_up_id": follow_up_id}

        return self.change_case(ctx, case_id, expected_version, schedule)

    def complete_follow_up(self, ctx: CommandContext, case_id: UUID, follow_up_id: UUID,
                           done_at: datetime | None = None,
                           expected_version: int | None = None) -> Fields:
        at = done_at or self.clock()
        return self.change_case(ctx, case_id, expected_version,
                                lambda case: case.complete_follow_up(str(follow_up_id), at))

    def add_note(self, ctx: CommandContext, case_id: UUID, text: str,
                 expected_version: int | None = None) -> Fields:
        note_id, now = str(uuid.uuid4()), self.clock()

        def write(case: Case) -> Fields:
            case.add_note(note_id=note_id, note=text, written_by=ctx.actor_id, written_at=now)
            return {"note_id": note_id}

        return self.change_case(ctx, case_id, expected_version, write)

    def request_shelter_placement(self, ctx: CommandContext, case_id: UUID,
                                  needs_isolation: bool = False,
                                  isolation_reason: str | None = None,
                                  accompanying_children: int = 0,
                                  needed_from: date | None = None,
                                  expected_version: int | None = None) -> Fields:
        request_id, now = str(uuid.uuid4()), self.clock()

        def request(case: Case) -> Fields:
            client = self.load(Client, case.client_id, sealed=True)
            case.request_shelter_placement(
                request_id=request_id, needs_isolation=needs_isolation,
                isolation_reason=isolation_reason, accompanying_children=accompanying_children,
                needed_from=needed_from, requested_at=now, gender=client.gender,
                languages_spoken=client.languages)
            return {"request_id": request_id}

        return self.change_case(ctx, case_id, expected_version, request)

    def request_legal_assistance(self, ctx: CommandContext, case_id: UUID, matter: str,
                                 expected_version: int | None = None) -> Fields:
        request_id, now = str(uuid.uuid4()), self.clock()

        def request(case: Case) -> Fields:
            case.request_legal_assistance(request_id=request_id, matter=matter, requested_at=now)
            return {"request_id": request_id}

        return self.change_case(ctx, case_id, expected_version, request)

    def close_case(self, ctx: CommandContext, case_id: UUID, closure_reason: str,
                   status: str = "Closed", closed_at: datetime | None = None,
                   expected_version: int | None = None) -> Fields:
        at = closed_at or self.clock()
        return self.change_case(ctx, case_id, expected_version, lambda case: case.close(
            status=status, closure_reason=closure_reason, closed_at=at))

    def reopen_case(self, ctx: CommandContext, case_id: UUID, reopened_at: datetime | None = None,
                    expected_version: int | None = None) -> Fields:
        at = reopened_at or self.clock()
        return self.change_case(ctx, case_id, expected_version, lambda case: case.reopen(at))

    # -- read models -----------------------------------------------------------------------------
    def case_list(self, ctx: CommandContext, **filters: Any) -> Fields:
        found = self.views.case_list(**filters)
        if ctx.actor_role in SEE_LINKS:
            return found
        # Which client a case is leads to the person: only where the caller may see them.
        # A case awaiting its duplicate review gives its caseworker no relation to the
        # client it matched (domain/access.py), so it does not name that client either.
        return {**found, "items": [
            {**row, "client_id": row["client_id"] if ctx.actor_role == "caseworker"
             and row["caseworker_id"] == ctx.actor_id and not row["assignment_pending"]
             and not row["possible_duplicate"] else None} for row in found["items"]]}

    def review_queue(self, ctx: CommandContext) -> Fields:
        return self.views.review_queue(self.clock())

    def client_list(self, ctx: CommandContext, **filters: Any) -> Fields:
        return self.views.client_list(**filters)

    def follow_ups(self, ctx: CommandContext, **filters: Any) -> Fields:
        return self.views.follow_ups(self.clock(), **filters)

    def workload(self, ctx: CommandContext, caseworker_id: str | None = None) -> Fields:
        return self.views.workload(self.clock(), caseworker_id)

    def monthly_figures(self, ctx: CommandContext, month: str) -> Fields:
        return self.views.monthly_figures(month, self.clock())
