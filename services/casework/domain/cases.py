"""The case: one person's path through the centre, from opening to closure.

Public methods check the rules and then trigger a private `@event` method that
only mutates, so replaying old events never re-runs today's rules against
yesterday's facts. Times and ids come in as arguments: the domain reads no clock.

The case's free texts (notes, consent evidence, plan descriptions) are sealed
under the case's own key (subject "id"), not the client's: a case may move to
another client after a duplicate review, and its texts must be shredded with
whoever it ends up belonging to -- erasing a client shreds each of its cases' keys.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.casework.domain import consent
from services.casework.domain.rules import (
    AccessDenied,
    AlreadyDone,
    CaseClosed,
    ClientErased,
    InvalidValue,
    NotADuplicate,
    NotAssigned,
    code,
    codes,
    day,
    languages,
    moment,
    not_before,
    optional_code,
    optional_country,
    optional_day,
    optional_text,
    pattern,
    text,
)
from services.casework.vocabulary import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    PHASES,
    RECIPIENT_CODE,
    STAFF_ID,
    CaseStatus,
    ClosureReason,
    ConsentDecision,
    ConsentPurpose,
    Decider,
    DuplicateOutcome,
    Exploitation,
    IsolationReason,
    LegalMatter,
    MethodOfControl,
    Recruitment,
    Relationship,
    ServiceType,
    SupportPlan,
    TraffickingStatus,
    Urgency,
)

FACTS = ("origin_country", "exploitation_country", "exploitation_types", "methods_of_control",
         "recruitment", "relationship_to_trafficker", "urgency")
MAX_NOTE, MAX_EVIDENCE, MAX_DESCRIPTION = 20_000, 2_000, 2_000
MAX_REFLECTION_DAYS = 366
MAX_SERVICE_MINUTES = 24 * 60


def checked_facts(facts: dict[str, Any]) -> dict[str, Any]:
    """The trafficking profile of a case, every code checked against its vocabulary."""
    return {
        "origin_country": optional_country(facts.get("origin_country"), "origin_country"),
        "exploitation_country": optional_country(facts.get("exploitation_country"),
                                                 "exploitation_country"),
        "exploitation_types": codes(Exploitation, facts.get("exploitation_types") or [],
                                    "exploitation_types"),
        "methods_of_control": codes(MethodOfControl, facts.get("methods_of_control") or [],
                                    "methods_of_control"),
        "recruitment": optional_code(Recruitment, facts.get("recruitment"), "recruitment"),
        "relationship_to_trafficker": optional_code(
            Relationship, facts.get("relationship_to_trafficker"), "relationship_to_trafficker"),
        "urgency": code(Urgency, facts.get("urgency") or Urgency.ROUTINE, "urgency"),
    }


class Case(Aggregate):
    """One person's case: profile, assignment, identification, consent, services,
    plan, follow-ups, notes, requests to shelter and legal, closure."""

    PERSONAL_DATA = {"note": "id", "evidence": "id", "description": "id", "texts": "id",
                     "candidate_person": "candidate_subject_id"}

    @classmethod
    def open(cls, *, case_id: UUID, reference: str, client_id: str, source: str,
             opened_at: datetime, facts: dict[str, Any], caseworker_id: str | None = None,
             contact_id: str | None = None, possible_duplicate: bool = False,
             candidate: dict[str, Any] | None = None,
             screening: dict[str, Any] | None = None) -> Case:
        """`candidate`: the person as described at opening -- their subject, and for a
        possible duplicate their details and profile, kept for whoever reviews it.
        `screening`: the helpline's assessment and indicators, for a referral."""
        candidate, screening = candidate or {}, screening or {}
        return cls(id=case_id, reference=reference, client_id=client_id, source=source,
                   contact_id=contact_id, opened_at=moment(opened_at, "opened_at"),
                   caseworker_id=caseworker_id, possible_duplicate=possible_duplicate,
                   candidate_subject_id=candidate.get("subject_id"),
                   candidate_person=candidate.get("person") if possible_duplicate else None,
                   candidate_profile=candidate.get("profile") if possible_duplicate else None,
                   assessment=screening.get("assessment"),
                   indicators=list(screening.get("indicators") or []),
                   **checked_facts(facts))

    @event("CaseOpened")
    def __init__(self, id: UUID, reference: str, client_id: str, source: str,  # noqa: A002
                 contact_id: str | None, opened_at: datetime, caseworker_id: str | None,
                 possible_duplicate: bool, candidate_subject_id: str | None,
                 candidate_person: Any, candidate_profile: dict[str, Any] | None,
                 assessment: str | None, indicators: list[str], origin_country: str | None,
                 exploitation_country: str | None, exploitation_types: list[str],
                 methods_of_control: list[str], recruitment: str | None,
                 relationship_to_trafficker: str | None, urgency: str):
        self.reference, self.client_id, self.source = reference, client_id, source
        self.contact_id, self.opened_at, self.caseworker_id = contact_id, opened_at, caseworker_id
        self.possible_duplicate = possible_duplicate
        self.duplicate_review: dict[str, Any] | None = None
        self.candidate_subject_id, self.candidate_person = candidate_subject_id, candidate_person
        self.candidate_profile, self.assessment = candidate_profile, assessment
        self.indicators = indicators
        self._set_facts(locals())
        self.status = CaseStatus.ACTIVE.value if caseworker_id else CaseStatus.OPEN.value
        # Who a supervisor confirmed on the case: the caseworker who gets personal data.
        self.confirmed_caseworker_id: str | None = None
        self.identification: dict[str, Any] | None = None
        self.reflection_period: dict[str, Any] | None = None
        self.consents: dict[str, list[dict[str, Any]]] = {}
        self.services: list[dict[str, Any]] = []
        self.plan: dict[str, dict[str, Any]] = {}
        self.follow_ups: dict[str, dict[str, Any]] = {}
        self.notes: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self.texts: dict[str, Any] = {}  # the case's free texts (personal data), by item
        self.closure: dict[str, Any] | None = None
        self.last_opened_at = opened_at
        self.erased_at: datetime | None = None

    def _set_facts(self, values: dict[str, Any]) -> None:
        for name in FACTS:
            setattr(self, name, values[name])

    @property
    def facts(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in FACTS}

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def _check_open(self) -> None:
        if not self.is_open:
            raise CaseClosed("the case is closed; reopen it first")

    def _check_not_erased(self) -> None:
        if self.erased_at is not None:
            raise ClientErased("the client's personal data has been erased")

    # -- profile and assignment ----------------------------------------------------
    def update_facts(self, changes: dict[str, Any], updated_at: datetime) -> bool:
        """Correct or complete the trafficking profile; False when nothing changed."""
        self._check_open()
        new = checked_facts({**self.facts, **changes})
        if new == self.facts:
            return False
        self._update_facts(updated_at=moment(updated_at, "updated_at"), **new)
        return True

    @event("CaseFactsUpdated")
    def _update_facts(self, updated_at: datetime, origin_country: str | None,
                      exploitation_country: str | None, exploitation_types: list[str],
                      methods_of_control: list[str], recruitment: str | None,
                      relationship_to_trafficker: str | None, urgency: str) -> None:
        self._set_facts(locals())

    def assign(self, caseworker_id: str, assigned_at: datetime) -> bool:
        """Assign, or transfer to another caseworker; False if already theirs."""
        self._check_open()
        caseworker_id = pattern(STAFF_ID, caseworker_id, "caseworker_id")
        if caseworker_id == self.caseworker_id:
            return False
        status = CaseStatus.ACTIVE.value if self.status == CaseStatus.OPEN else self.status
        self._assign(caseworker_id=caseworker_id, previous_caseworker_id=self.caseworker_id,
                     assigned_at=moment(assigned_at, "assigned_at"), status=status)
        return True

    @event("CaseworkerAssigned")
    def _assign(self, caseworker_id: str, previous_caseworker_id: str | None,
                assigned_at: datetime, status: str) -> None:
        self.caseworker_id, self.status = caseworker_id, status
        # Whoever is now on the case waits for a supervisor, even one confirmed on it before
        # and moved off since: taking a case back must not give back its person's data.
        self.confirmed_caseworker_id = None

    @property
    def assignment_pending(self) -> bool:
        """A caseworker is on the case, but no supervisor has confirmed them yet."""
        return self.caseworker_id is not None and \
            self.confirmed_caseworker_id != self.caseworker_id

    def confirm_assignment(self, confirmed_by: str, confirmed_at: datetime,
                           basis: str = "supervisor", meant: str | None = None) -> bool:
        """The assigned caseworker now gets the person's data: a supervisor confirmed
        them (or they registered the client themselves, `basis`). False if already so.
        `meant`: the caseworker the supervisor confirms; refused if the case has changed
        hands since (confirming whoever holds it now would be a decision nobody made)."""
        if self.caseworker_id is None:
            raise NotAssigned("the case has no caseworker to confirm")
        if meant is not None and meant != self.caseworker_id:
            raise NotAssigned(f"{meant} is no longer the case's caseworker; nothing was"
                              " confirmed (reload the review queue)")
        if basis == "supervisor" and confirmed_by == self.caseworker_id:
            # A supervisor who also works as a caseworker would widen their own access
            # alone: what the caseworker of a case gets elsewhere (a shelter's address)
            # is not given to a supervisor.
            raise AccessDenied("a caseworker is confirmed by a supervisor other than"
                               " themselves")
        if not self.assignment_pending:
            return False
        self._confirm(caseworker_id=self.caseworker_id, confirmed_by=confirmed_by,
                      confirmed_at=moment(confirmed_at, "confirmed_at"), basis=basis)
        return True

    @event("AssignmentConfirmed")
    def _confirm(self, caseworker_id: str, confirmed_by: str, confirmed_at: datetime,
                 basis: str) -> None:
        self.confirmed_caseworker_id = caseworker_id

    def change_phase(self, phase: str, changed_at: datetime) -> bool:
        self._check_open()
        phase = code(CaseStatus, phase, "phase")
        if phase not in PHASES:
            raise InvalidValue("phase", f"must be one of {[p.value for p in PHASES]}")
        if phase == self.status:
            return False
        self._change_phase(phase=phase, changed_at=moment(changed_at, "changed_at"))
        return True

    @event("CasePhaseChanged")
    def _change_phase(self, phase: str, changed_at: datetime) -> None:
        self.status = phase

    # -- identification -------------------------------------------------------------
    def change_identification(self, status: str, decided_by: str, decided_on: date) -> None:
        self._check_open()
        self._identify(status=code(TraffickingStatus, status, "status"),
                       decided_by=code(Decider, decided_by, "decided_by"),
                       decided_on=day(decided_on, "decided_on"),
                       previous_status=(self.identification or {}).get("status"))

    @event("IdentificationStatusChanged")
    def _identify(self, status: str, decided_by: str, decided_on: date,
                  previous_status: str | None) -> None:
        self.identification = {"status": status, "decided_by": decided_by,
                               "decided_on": decided_on}

    def start_reflection_period(self, starts_on: date, ends_on: date) -> None:
        """The reflection and recovery period a foreign victim is granted; recording it
        again (an extension, a correction) replaces the earlier one."""
        self._check_open()
        start, end = day(starts_on, "starts_on"), day(ends_on, "ends_on")
        if end <= start:
            raise InvalidValue("ends_on", "must be after starts_on")
        if (end - start).days > MAX_REFLECTION_DAYS:
            raise InvalidValue("ends_on", f"at most {MAX_REFLECTION_DAYS} days after starts_on")
        self._reflect(starts_on=start, ends_on=end)

    @event("ReflectionPeriodStarted")
    def _reflect(self, starts_on: date, ends_on: date) -> None:
        self.reflection_period = {"starts_on": starts_on, "ends_on": ends_on}

    # -- consent ----------------------------------------------------------------------
    def record_consent(self, *, purpose: str, recipient: str, decision: str, decided_on: date,
                       expires_on: date | None, evidence: str | None) -> None:
        self._check_not_erased()
        decided = day(decided_on, "decided_on")
        expires = optional_day(expires_on, "expires_on")
        if expires is not None:
            not_before(expires, decided, "expires_on", "decided_on")
        self._consent(purpose=code(ConsentPurpose, purpose, "purpose"),
                      recipient=pattern(RECIPIENT_CODE, recipient, "recipient"),
                      decision=code(ConsentDecision, decision, "decision"),
                      decided_on=decided, expires_on=expires,
                      evidence=optional_text(evidence, "evidence", MAX_EVIDENCE))

    @event("ConsentRecorded")
    def _consent(self, purpose: str, recipient: str, decision: str, decided_on: date,
                 expires_on: date | None, evidence: str | None) -> None:
        history = self.consents.setdefault(consent.key(purpose, recipient), [])
        item = f"evidence:{consent.key(purpose, recipient)}:{len(history)}"
        history.append({"decision": decision, "decided_on": decided_on,
                        "expires_on": expires_on, "revoked_on": None, "evidence": item})
        if evidence is not None:
            self.texts[item] = evidence

    def revoke_consent(self, *, purpose: str, recipient: str, revoked_on: date) -> None:
        """Allowed on a closed case too: a client may always withdraw a consent."""
        purpose = code(ConsentPurpose, purpose, "purpose")
        recipient = pattern(RECIPIENT_CODE, recipient, "recipient")
        revoked = day(revoked_on, "revoked_on")
        current = consent.in_force(self.consents.get(consent.key(purpose, recipient), []),
                                   revoked)
        if current is None or current["decision"] != ConsentDecision.GRANTED \
                or current["revoked_on"] is not None:
            raise AlreadyDone("no consent in force to revoke for this purpose and recipient")
        self._revoke(purpose=purpose, recipient=recipient, revoked_on=revoked)

    @event("ConsentRevoked")
    def _revoke(self, purpose: str, recipient: str, revoked_on: date) -> None:
        history = self.consents[consent.key(purpose, recipient)]
        current = consent.in_force(history, revoked_on)
        assert current is not None
        history[history.index(current)] = {**current, "revoked_on": revoked_on}

    def may_share(self, purpose: str, recipient: str, on: date) -> consent.Verdict:
        return consent.may_share(self.consents, code(ConsentPurpose, purpose, "purpose"),
                                 pattern(RECIPIENT_CODE, recipient, "recipient"),
                                 day(on, "on"))

    # -- services delivered ---------------------------------------------------------------
    def provide_service(self, *, service_id: str, service_type: str, provided_at: datetime,
                        duration_minutes: int | None, provided_by: str,
                        language: str | None) -> None:
        """A crisis intervention also records how long the client waited for it."""
        self._check_open()
        kind = code(ServiceType, service_type, "service_type")
        at = not_before(moment(provided_at, "provided_at"), self.opened_at, "provided_at",
                        "the case's opening")
        if duration_minutes is not None and not 0 < duration_minutes <= MAX_SERVICE_MINUTES:
            raise InvalidValue("duration_minutes", f"must be 1 to {MAX_SERVICE_MINUTES}")
        values = {"service_id": service_id, "provided_at": at,
                  "duration_minutes": duration_minutes,
                  "provided_by": pattern(STAFF_ID, provided_by, "provided_by"),
                  "language": None if language is None else _language(language)}
        if kind == ServiceType.CRISIS_INTERVENTION:
            response = int((at - self.opened_at).total_seconds())
            self._crisis_intervention(response_seconds=response, **values)
        else:
            self._service(service_type=kind, **values)

    @event("ServiceProvided")
    def _service(self, service_id: str, service_type: str, provided_at: datetime,
                 duration_minutes: int | None, provided_by: str, language: str | None) -> None:
        self.services.append({**_without_self(locals()), "response_seconds": None})

    @event("CrisisInterventionProvided")
    def _crisis_intervention(self, service_id: str, provided_at: datetime,
                             duration_minutes: int | None, provided_by: str,
                             language: str | None, response_seconds: int) -> None:
        self.services.append({**_without_self(locals()),
                              "service_type": ServiceType.CRISIS_INTERVENTION.value})

    # -- case plan -----------------------------------------------------------------------
    def add_objective(self, *, objective_id: str, objective_type: str,
                      description: str | None, due_on: date | None) -> None:
        self._check_open()
        self._add_objective(objective_id=objective_id,
                            objective_type=code(SupportPlan, objective_type, "objective_type"),
                            description=optional_text(description, "description",
                                                      MAX_DESCRIPTION),
                            due_on=optional_day(due_on, "due_on"))

    @event("PlanObjectiveAdded")
    def _add_objective(self, objective_id: str, objective_type: str, description: str | None,
                       due_on: date | None) -> None:
        self.plan[objective_id] = {"objective_type": objective_type, "due_on": due_on,
                                   "completed_on": None, "actions": {}}
        if description is not None:
            self.texts[f"objective:{objective_id}"] = description

    def _objective(self, objective_id: str) -> dict[str, Any]:
        found = self.plan.get(objective_id)
        if found is None:
            raise InvalidValue("objective_id", "no such objective in this case's plan")
        return found

    def add_action(self, *, action_id: str, objective_id: str, description: str,
                   due_on: date | None) -> None:
        self._check_open()
        if self._objective(objective_id)["completed_on"] is not None:
            raise AlreadyDone("the objective is completed")
        self._add_action(action_id=action_id, objective_id=objective_id,
                         description=text(description, "description", MAX_DESCRIPTION),
                         due_on=optional_day(due_on, "due_on"))

    @event("PlanActionAdded")
    def _add_action(self, action_id: str, objective_id: str, description: str,
                    due_on: date | None) -> None:
        self.plan[objective_id]["actions"][action_id] = {"due_on": due_on, "done_on": None}
        self.texts[f"action:{action_id}"] = description

    def complete_action(self, action_id: str, done_on: date) -> None:
        self._check_open()
        objective_id = next((oid for oid, o in self.plan.items() if action_id in o["actions"]),
                            None)
        if objective_id is None:
            raise InvalidValue("action_id", "no such action in this case's plan")
        if self.plan[objective_id]["actions"][action_id]["done_on"] is not None:
            raise AlreadyDone("the action is done already")
        self._complete_action(action_id=action_id, objective_id=objective_id,
                              done_on=day(done_on, "done_on"))

    @event("PlanActionCompleted")
    def _complete_action(self, action_id: str, objective_id: str, done_on: date) -> None:
        self.plan[objective_id]["actions"][action_id]["done_on"] = done_on

    def complete_objective(self, objective_id: str, completed_on: date) -> None:
        self._check_open()
        if self._objective(objective_id)["completed_on"] is not None:
            raise AlreadyDone("the objective is completed already")
        self._complete_objective(objective_id=objective_id,
                                 completed_on=day(completed_on, "completed_on"))

    @event("PlanObjectiveCompleted")
    def _complete_objective(self, objective_id: str, completed_on: date) -> None:
        self.plan[objective_id]["completed_on"] = completed_on

    # -- follow-ups and notes -----------------------------------------------------------
    def schedule_follow_up(self, follow_up_id: str, due_at: datetime) -> None:
        self._check_open()
        due = not_before(moment(due_at, "due_at"), self.opened_at, "due_at",
                         "the case's opening")
        self._schedule(follow_up_id=follow_up_id, due_at=due)

    @event("FollowUpScheduled")
    def _schedule(self, follow_up_id: str, due_at: datetime) -> None:
        self.follow_ups[follow_up_id] = {"due_at": due_at, "done_at": None}

    def complete_follow_up(self, follow_up_id: str, done_at: datetime) -> None:
        self._check_open()
        found = self.follow_ups.get(follow_up_id)
        if found is None:
            raise InvalidValue("follow_up_id", "no such follow-up in this case")
        if found["done_at"] is not None:
            raise AlreadyDone("the follow-up is done already")
        self._follow_up_done(follow_up_id=follow_up_id, due_at=found["due_at"],
                             done_at=moment(done_at, "done_at"))

    @event("FollowUpDone")
    def _follow_up_done(self, follow_up_id: str, due_at: datetime, done_at: datetime) -> None:
        self.follow_ups[follow_up_id] = {"due_at": due_at, "done_at": done_at}

    def overdue_follow_ups(self, now: datetime) -> list[str]:
        return [fid for fid, f in self.follow_ups.items()
                if f["done_at"] is None and f["due_at"] < now]

    def add_note(self, *, note_id: str, note: str, written_by: str,
                 written_at: datetime) -> None:
        """Allowed on a closed case too: what happens after closure is worth writing down."""
        self._check_not_erased()
        self._note(note_id=note_id, note=text(note, "text", MAX_NOTE), written_by=written_by,
                   written_at=moment(written_at, "written_at"))

    @event("NoteAdded")
    def _note(self, note_id: str, note: str, written_by: str, written_at: datetime) -> None:
        self.notes.append({"note_id": note_id, "written_by": written_by,
                           "written_at": written_at})
        self.texts[f"note:{note_id}"] = note

    # -- requests to other services ---------------------------------------------------------
    def request_shelter_placement(self, *, request_id: str, needs_isolation: bool,
                                  isolation_reason: str | None, accompanying_children: int,
                                  needed_from: date | None, requested_at: datetime,
                                  gender: str, languages_spoken: list[str]) -> None:
        """The client's gender and languages travel with the request (codes, not personal
        data): the shelter chooses a room and staff by them."""
        self._check_open()
        if needs_isolation != (isolation_reason is not None):
            raise InvalidValue("isolation_reason", "is required exactly when isolation is")
        if not 0 <= accompanying_children <= 20:
            raise InvalidValue("accompanying_children", "must be 0 to 20")
        self._request_shelter(
            request_id=request_id, needs_isolation=bool(needs_isolation),
            isolation_reason=optional_code(IsolationReason, isolation_reason,
                                           "isolation_reason"),
            accompanying_children=accompanying_children,
            needed_from=optional_day(needed_from, "needed_from"),
            requested_at=moment(requested_at, "requested_at"), gender=gender,
            languages=list(languages_spoken))

    @event("ShelterPlacementRequested")
    def _request_shelter(self, request_id: str, needs_isolation: bool,
                         isolation_reason: str | None, accompanying_children: int,
                         needed_from: date | None, requested_at: datetime, gender: str,
                         languages: list[str]) -> None:
        self.requests.append({"kind": "shelter_placement", **_without_self(locals())})

    def request_legal_assistance(self, *, request_id: str, matter: str,
                                 requested_at: datetime) -> None:
        self._check_open()
        self._request_legal(request_id=request_id, matter=code(LegalMatter, matter, "matter"),
                            requested_at=moment(requested_at, "requested_at"))

    @event("LegalAssistanceRequested")
    def _request_legal(self, request_id: str, matter: str, requested_at: datetime) -> None:
        self.requests.append({"kind": "legal_assistance", **_without_self(locals())})

    # -- closing ------------------------------------------------------------------------------
    def close(self, *, status: str, closure_reason: str, closed_at: datetime) -> None:
        self._check_open()
        status = code(CaseStatus, status, "status")
        if status not in CLOSED_STATUSES:
            raise InvalidValue("status", f"must be one of {[s.value for s in CLOSED_STATUSES]}")
        self._close(status=status,
                    closure_reason=code(ClosureReason, closure_reason, "closure_reason"),
                    closed_at=not_before(moment(closed_at, "closed_at"), self.last_opened_at,
                                         "closed_at", "the case's (re)opening"))

    @event("CaseClosed")
    def _close(self, status: str, closure_reason: str, closed_at: datetime) -> None:
        self.status = status
        self.closure = {"status": status, "closure_reason": closure_reason,
                        "closed_at": closed_at}

    def reopen(self, reopened_at: datetime) -> None:
        if self.is_open or self.closure is None:
            raise AlreadyDone("the case is open")
        self._check_not_erased()
        at = not_before(moment(reopened_at, "reopened_at"), self.closure["closed_at"],
                        "reopened_at", "the closure")
        status = CaseStatus.ACTIVE.value if self.caseworker_id else CaseStatus.OPEN.value
        self._reopen(reopened_at=at, status=status)

    @event("CaseReopened")
    def _reopen(self, reopened_at: datetime, status: str) -> None:
        self.status, self.closure, self.last_opened_at = status, None, reopened_at

    # -- duplicates and erasure ---------------------------------------------------------------
    def review_duplicate(self, *, outcome: str, reviewed_by: str, reviewed_at: datetime) -> str:
        if not self.possible_duplicate or self.duplicate_review is not None:
            raise NotADuplicate("the case is not waiting for a duplicate review")
        self._check_not_erased()
        if reviewed_by in (self.caseworker_id, self.confirmed_caseworker_id):
            # A caseworker who is a supervisor as well would otherwise settle their own
            # case's match as "the same person", and read the client it matched.
            raise AccessDenied("a possible duplicate is settled by a supervisor who is not"
                               " its caseworker")
        outcome = code(DuplicateOutcome, outcome, "outcome")
        self._review(outcome=outcome, reviewed_by=reviewed_by,
                     reviewed_at=moment(reviewed_at, "reviewed_at"))
        return outcome

    @event("DuplicateReviewed")
    def _review(self, outcome: str, reviewed_by: str, reviewed_at: datetime) -> None:
        self.duplicate_review = {"outcome": outcome, "reviewed_by": reviewed_by,
                                 "reviewed_at": reviewed_at}

    @property
    def awaiting_duplicate_review(self) -> bool:
        """Linked to the client its opening's details matched, until a supervisor decides
        whether it is about the same person: meanwhile it may be someone else's."""
        return self.possible_duplicate and self.duplicate_review is None

    def move_to_client(self, client_id: str) -> None:
        """After a review found two people: the case goes to the person it is about."""
        self._move(client_id=client_id, previous_client_id=self.client_id)

    @event("ClientChanged")
    def _move(self, client_id: str, previous_client_id: str) -> None:
        self.client_id = client_id

    def record_erased(self, erased_at: datetime) -> None:
        if self.erased_at is None:
            self._erased(erased_at=moment(erased_at, "erased_at"))

    @event("CasePersonalDataErased")
    def _erased(self, erased_at: datetime) -> None:
        self.erased_at = erased_at


def _language(value: str) -> str:
    return languages([value], "language")[0]


def _without_self(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k != "self"}
