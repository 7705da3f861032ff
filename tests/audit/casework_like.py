"""Test-only stand-ins for casework and shelter, written to the convention the audit tools
read (shared.audit_trail.links): a Case with a `reference`, an AccessLog per case with
`PersonalDataRead` events and a `record_personal_data_read` hook, and a Shelter that
serves many cases (`AUDIT_CASE_SCOPE = "events"`)."""

from __future__ import annotations

import uuid
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate, event

from shared.audit import CommandContext
from shared.config import Settings
from shared.eventstore import HavenApplication

ACCESS_LOG_NAMESPACE = uuid.UUID("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0")


class Case(Aggregate):
    PERSONAL_DATA = {"client_name": "id", "notes": "id"}

    @event("CaseOpened")
    def __init__(self, reference: str, client_name: str, urgency: str,
                 exploitation_types: list[str]) -> None:
        self.reference, self.client_name, self.urgency = reference, client_name, urgency
        self.exploitation_types = exploitation_types
        self.caseworker_id: str | None = None
        self.status = "open"
        self.notes: list[str] = []

    @event("CaseworkerAssigned")
    def assign(self, caseworker_id: str) -> None:
        self.caseworker_id = caseworker_id

    @event("NoteAdded")
    def add_note(self, notes: str) -> None:
        self.notes.append(notes)

    @event("CaseClosed")
    def close(self, closure_reason: str) -> None:
        self.status = "closed"


class AccessLog(Aggregate):
    """One per case: every read of the case's personal data."""

    @staticmethod
    def create_id(case_id: str) -> uuid.UUID:
        return uuid.uuid5(ACCESS_LOG_NAMESPACE, case_id)

    @event("AccessLogOpened")
    def __init__(self, case_id: str) -> None:
        self.case_id = case_id
        self.reads = 0

    @event("PersonalDataRead")
    def record_read(self, purpose: str, fields: list[str]) -> None:
        self.reads += 1


class Shelter(Aggregate):
    AUDIT_CASE_SCOPE = "events"  # one shelter, many cases: only its events naming a case

    @event("ShelterOpened")
    def __init__(self, code: str, beds: int) -> None:
        self.code, self.beds, self.residents = code, beds, {}

    @event("ResidentAdmitted")
    def admit(self, case_id: str, bed: int) -> None:
        self.residents[str(bed)] = case_id


class CaseworkLike(HavenApplication):
    name = "cwlike"  # type: ignore[misc]
    is_snapshotting_enabled = True  # replay must ignore snapshots: tests take some

    def open_case(self, ctx: CommandContext, reference: str, client_name: str) -> uuid.UUID:
        case = Case(reference=reference, client_name=client_name, urgency="urgent",
                    exploitation_types=["ForcedLabour"])
        self.save(case, ctx=ctx)
        return case.id

    def change(self, ctx: CommandContext, case_id: uuid.UUID, verb: str, *args: Any) -> None:
        case = self.repository.get(case_id)
        getattr(case, verb)(*args)
        self.save(case, ctx=ctx)

    def record_personal_data_read(self, ctx: CommandContext, case_id: str, purpose: str,
                                  fields: list[str]) -> None:
        """The access-log hook the audit tools call before they reveal anything."""
        log_id = AccessLog.create_id(str(case_id))
        try:
            log: AccessLog = self.repository.get(log_id)
        except AggregateNotFoundError:
            log = AccessLog(case_id=str(case_id))
        log.record_read(purpose=purpose, fields=list(fields))
        self.save(log, ctx=ctx)


class ShelterLike(HavenApplication):
    name = "shlike"  # type: ignore[misc]

    def open_shelter(self, ctx: CommandContext) -> uuid.UUID:
        shelter = Shelter(code="S-NORTH", beds=12)
        self.save(shelter, ctx=ctx)
        return shelter.id

    def admit(self, ctx: CommandContext, shelter_id: uuid.UUID, case_id: str, bed: int) -> None:
        shelter = self.repository.get(shelter_id)
        shelter.admit(case_id=case_id, bed=bed)
        self.save(shelter, ctx=ctx)


def fresh(cls: type[HavenApplication], cfg: Settings, prefix: str) -> HavenApplication:
    """An application with a store of its own, so one test's tampering stays its own."""
    own = type(cls.__name__, (cls,), {"name": f"{prefix}_{uuid.uuid4().hex[:8]}"})
    return own(cfg)
