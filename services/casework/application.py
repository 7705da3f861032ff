"""Casework's application: the commands on clients and cases, the reads with their
access checks, the policy for intake's referrals, and what it tells other services.

Commands take the caller's CommandContext (who, in which role, why) and plain values
the schemas have validated; they load, ask the aggregates, save. Time is read here
(`clock`), never in the domain. Writes load aggregates still sealed: no command
decrypts personal data it does not need. Read-model queries live in projections.py.
"""

from __future__ import annotations

import copy
import logging
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    JSONTranscoder,
    Tracking,
    Transcoding,
)

from services.casework import client_commands, erasure, integration
from services.casework.domain import AccessLog, Case, CaseNumbering, Client, ClientIndex
from services.casework.domain.access import (
    check_may_assign,
    check_may_change,
    may_read_personal_data,
)
from services.casework.domain.clients import PERSON_FIELDS
from services.casework.domain.ids import access_log_id, referral_case_id
from services.casework.opening import NewPerson, Opened, Opening, open_case
from services.casework.refusals import domain_rules
from services.casework.schemas import ReferralV1
from services.casework.views import case_detail, client_profile, person_of, personal_fields_of
from services.casework.vocabulary import Source
from shared import crypto
from shared.audit import CommandContext
from shared.consumers import policy_context
from shared.errors import Conflict, NotFound
from shared.eventstore import HavenApplication, HavenMapper
from shared.messaging import Envelope, IntegrationEvent

log = logging.getLogger(__name__)

A = TypeVar("A", Case, Client, ClientIndex, CaseNumbering, AccessLog)
Fields = dict[str, Any]
MAX_ATTEMPTS = 25  # concurrent openings each lose at most once per winner: 25 is ample


class DateAsISO(Transcoding):
    """Calendar dates (consent days, due dates) in stored events."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class Casework(HavenApplication):
    name = "casework"  # type: ignore[misc]  # eventsourcing declares it per instance
    clock: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # A second way in that leaves personal data sealed: for writes and for readers
        # without access, so that they never decrypt what they must not see.
        sealed = copy.copy(self.mapper)
        assert isinstance(sealed, HavenMapper)
        sealed.unseal_on_read = False
        self._sealed: Repository[UUID] = Repository(EventStore(sealed, self.recorder))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # -- loading and saving ---------------------------------------------------------------
    def load(self, kind: type[A], aggregate_id: UUID | str, *, sealed: bool = False) -> A:
        found = self.find(kind, aggregate_id, sealed=sealed)
        if found is None:
            raise NotFound(f"no {kind.__name__} {aggregate_id}")
        return found

    def find(self, kind: type[A], aggregate_id: UUID | str, *, sealed: bool = False) -> A | None:
        repository = self._sealed if sealed else self.repository
        try:
            found: Any = repository.get(UUID(str(aggregate_id)))
        except (AggregateNotFoundError, ValueError):
            return None
        return found if isinstance(found, kind) else None

    def retrying(self, attempt: Callable[[], Any], tracking: Tracking | None = None) -> Any:
        """Run `attempt` (load, decide, save) again on a concurrent change, a bounded
        number of times, from fresh state: the losing transaction stored nothing."""
        for n in range(1, MAX_ATTEMPTS + 1):
            try:
                return attempt()
            except IntegrityError:
                if n == MAX_ATTEMPTS or (tracking is not None and self.has_handled(
                        tracking.application_name, tracking.notification_id)):
                    raise
                time.sleep(random.uniform(0, 0.004 * n))  # noqa: S311 - jitter, not secrets
        raise AssertionError("unreachable")

    # -- opening cases -------------------------------------------------------------------------
    def open_case(self, ctx: CommandContext, *, client_id: UUID | None = None,
                  client: Fields | None = None, caseworker_id: str | None = None,
                  opened_at: datetime | None = None, **facts: Any) -> Opened:
        """Open a case directly, for a known client or a person described here."""
        if caseworker_id is None and ctx.actor_role == "caseworker":
            caseworker_id = ctx.actor_id  # who opens it works on it, unless told otherwise
        with domain_rules():
            if caseworker_id is not None:
                check_may_assign(ctx.actor_role, ctx.actor_id, None, caseworker_id)
            person = None if client is None else self._new_person(client)
            opening = Opening(case_id=uuid.uuid4(), source=Source.DIRECT,
                              opened_at=opened_at or self.clock(), facts=facts,
                              caseworker_id=caseworker_id,
                              client_id=None if client_id is None else str(client_id),
                              person=person)
            opened: Opened = self.retrying(lambda: open_case(self, opening, ctx))
        return opened

    def _new_person(self, client: Fields) -> NewPerson:
        details = {k: v.isoformat() if isinstance(v, date) else v
                   for k, v in client.items() if k in PERSON_FIELDS and v not in (None, "", [])}
        birth_year = client.get("birth_year")
        if birth_year is None and details.get("birth_date"):
            birth_year = int(str(details["birth_date"])[:4])
        name = f"{details.get('given_name', '')} {details.get('family_name', '')}"
        return NewPerson(subject_id=str(uuid.uuid4()), details=details,
                         profile={"gender": client.get("gender") or "Unknown",
                                  "birth_year": birth_year,
                                  "citizenship": client.get("citizenship"),
                                  "languages": list(client.get("languages") or [])},
                         blind_index=crypto.blind_index(self.settings.blind_index_key, name,
                                                        birth_year))

    def open_case_from_referral(self, envelope: Envelope, tracking: Tracking) -> None:
        """Policy for intake's ReferredToCasework: one case per referred contact."""
        if envelope.version != 1:
            raise ValueError(f"ReferredToCasework version {envelope.version} is not understood")
        data = ReferralV1().load(envelope.data)
        data["contact_id"], data["person_subject_id"] = (str(data["contact_id"]),
                                                         str(data["person_subject_id"]))
        case_id = referral_case_id(data["contact_id"])
        if self.find(Case, case_id, sealed=True) is not None:
            return  # opened by an earlier delivery of the same referral
        person = self.vault.unseal(data["person"])
        if not isinstance(person, dict):
            # Erased before we got to it: the person asked to be forgotten, so we do.
            log.warning("referral %s:%s names an erased person; no case opened",
                        envelope.source, envelope.notification_id)
            return
        opening = Opening(
            case_id=case_id, source=Source.REFERRAL, opened_at=data["referred_at"],
            contact_id=data["contact_id"],
            facts={"origin_country": data["citizenship"], "urgency": data["urgency"],
                   "exploitation_types": data["exploitation_types"]},
            person=NewPerson(subject_id=data["person_subject_id"],
                             details={k: v for k, v in person.items() if k in PERSON_FIELDS},
                             profile={k: data[k] for k in ("gender", "birth_year",
                                                           "citizenship", "languages")},
                             blind_index=data["blind_index"]),
            sealed_person=data["person"],
            screening={"assessment": data["assessment"], "indicators": data["indicators"]})
        ctx = policy_context(envelope, self.name, "open_case_from_referral")
        self.retrying(lambda: open_case(self, opening, ctx, tracking), tracking)

    # -- changing a case ----------------------------------------------------------------------
    def change_case(self, ctx: CommandContext, case_id: UUID, expected_version: int | None,
                    change: Callable[[Case], Any],
                    check: Callable[[CommandContext, Case], None] | None = None) -> Fields:
        """Load (sealed), check the version and the caller, change, save."""
        with domain_rules():
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

        return self.change_case(ctx, case_id, expected_version,
                                lambda case: case.assign(caseworker_id, now),
                                check=may_assign)

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

    def review_duplicate(self, ctx: CommandContext, case_id: UUID, outcome: str,
                         expected_version: int | None = None) -> Fields:
        return client_commands.review_duplicate(self, ctx, case_id, outcome, expected_version)

    # -- reading a case or a client ------------------------------------------------------------
    def case_detail(self, ctx: CommandContext, case_id: UUID,
                    purpose: str | None = None) -> Fields:
        """The case; with personal data when the caller may see it and says why."""
        case = self.load(Case, case_id, sealed=True)
        allowed = may_read_personal_data(ctx.actor_role, ctx.actor_id, [case.caseworker_id])
        if purpose is None or not allowed:
            detail = case_detail(case, self.load(Client, case.client_id, sealed=True),
                                 self.clock(), personal=False)
            return {**detail, "personal_data": "withheld" if not allowed else "not_requested"}
        case = self.load(Case, case_id)
        client = self.load(Client, case.client_id)
        detail = case_detail(case, client, self.clock(), personal=True)
        self._record_read(ctx, client.id, str(case.id), purpose, personal_fields_of(detail))
        return {**detail, "personal_data": "included"}

    def client_detail(self, ctx: CommandContext, client_id: UUID,
                      purpose: str | None = None) -> Fields:
        client = self.load(Client, client_id, sealed=True)
        allowed = may_read_personal_data(ctx.actor_role, ctx.actor_id,
                                         self.caseworkers_of(client))
        if purpose is None or not allowed:
            return {**client_profile(client),
                    "personal_data": "withheld" if not allowed else "not_requested"}
        client = self.load(Client, client_id)
        self._record_read(ctx, client.id, None, purpose, ["person"])
        return {**client_profile(client), "person": person_of(client),
                "personal_data": "included"}

    def caseworkers_of(self, client: Client) -> list[str | None]:
        return [self.load(Case, case_id, sealed=True).caseworker_id
                for case_id in client.case_ids]

    def _record_read(self, ctx: CommandContext, client_id: UUID, case_id: str | None,
                     purpose: str, fields: list[str]) -> None:
        """Logged before the data leaves: a read that cannot be logged does not happen."""
        def record() -> None:
            log_ = self.find(AccessLog, access_log_id(client_id)) or AccessLog.start(client_id)
            log_.record_read(actor_id=ctx.actor_id, role=ctx.actor_role, purpose=purpose,
                             case_id=case_id, fields=fields, read_at=self.clock())
            self.save(log_, ctx=ctx)

        with domain_rules():
            self.retrying(record)

    def record_personal_data_read(self, ctx: CommandContext, case_id: UUID, purpose: str,
                                  fields: list[str]) -> None:
        """A read made outside the case views (an auditor's reveal) goes in the same log."""
        case = self.load(Case, case_id, sealed=True)
        self._record_read(ctx, UUID(case.client_id), str(case.id), purpose, fields)

    def access_log(self, case_id: UUID | None = None,
                   client_id: UUID | None = None) -> list[Fields]:
        if case_id is not None:
            client_id = UUID(self.load(Case, case_id, sealed=True).client_id)
        assert client_id is not None
        self.load(Client, client_id, sealed=True)
        found = self.find(AccessLog, access_log_id(client_id))
        entries = found.entries if found is not None else []
        return [dict(e) for e in entries if case_id is None or e["case_id"] == str(case_id)]

    def may_share(self, case_id: UUID, purpose: str, recipient: str,
                  on: date | None = None) -> Fields:
        case = self.load(Case, case_id, sealed=True)
        day = on or self.clock().date()
        with domain_rules():
            verdict = case.may_share(purpose, recipient, day)
        record = verdict.record
        return {"case_id": str(case.id), "purpose": purpose, "recipient": recipient, "on": day,
                "allowed": verdict.allowed, "reason": verdict.reason,
                "consent": None if record is None else {
                    "recipient": verdict.recipient,
                    **{k: record[k] for k in ("decision", "decided_on", "expires_on",
                                              "revoked_on")}}}

    # -- clients and erasure ---------------------------------------------------------------------
    def correct_client_details(self, ctx: CommandContext, client_id: UUID,
                               expected_version: int | None = None, **changes: Any) -> Fields:
        return client_commands.correct_client_details(self, ctx, client_id, expected_version,
                                                      changes)

    def request_erasure(self, ctx: CommandContext, client_id: UUID,
                        erasure_reason: str) -> Fields:
        return erasure.request_erasure(self, ctx, client_id, erasure_reason)

    def approve_erasure(self, ctx: CommandContext, client_id: UUID) -> Fields:
        return erasure.approve_erasure(self, ctx, client_id)

    def reject_erasure(self, ctx: CommandContext, client_id: UUID) -> Fields:
        return erasure.reject_erasure(self, ctx, client_id)

    # -- what leaves the service -------------------------------------------------------------
    def to_integration_event(self, domain_event: Any) -> IntegrationEvent | None:
        return integration.to_integration_event(domain_event)


APPLICATION = Casework
