"""Intake's application: the helpline's commands, its aggregate queries, and what
it tells other services.

Commands take the caller's CommandContext (who, why) and plain values the
schemas have validated; they load, ask the aggregate, save. Time is read here,
never in the domain, so a test can fix it with `clock`. Read-model queries
live in projections.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import Tracking

from services.intake.domain import Contact, MissedCall, Shift
from services.intake.rules import IntakeError, InvalidValue, birth_year_of
from services.intake.schemas import PAYLOADS
from shared.audit import CommandContext
from shared.consumers import policy_context
from shared.crypto import blind_index, is_sealed
from shared.errors import Forbidden, NotFound, domain_refusals
from shared.eventstore import HavenApplication
from shared.messaging import Envelope, IntegrationEvent

A = TypeVar("A", Contact, MissedCall, Shift)
Fields = dict[str, Any]


def domain_rules() -> AbstractContextManager[None]:
    """Domain refusals in the platform's one error contract."""
    return domain_refusals(IntakeError, InvalidValue)


class Intake(HavenApplication):
    name = "intake"  # type: ignore[misc]  # eventsourcing declares it per instance
    clock: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))

    # -- contacts ------------------------------------------------------------
    def log_contact(self, ctx: CommandContext, **values: Any) -> UUID:
        values["started_at"] = values.get("started_at") or self.clock()
        with domain_rules():
            contact = Contact.log(operator_id=ctx.actor_id, **values)
            self.save(contact, ctx=ctx)
        return contact.id

    def screen_contact(self, ctx: CommandContext, contact_id: UUID, indicators: list[str],
                       assessment: str, screened_at: datetime | None = None) -> None:
        contact = self._load(Contact, contact_id)
        with domain_rules():
            contact.screen(indicators, assessment, screened_at or self.clock())
            self.save(contact, ctx=ctx)

    def close_contact(self, ctx: CommandContext, contact_id: UUID, outcome: str,
                      ended_at: datetime | None = None) -> None:
        contact = self._load(Contact, contact_id)
        with domain_rules():
            contact.close(outcome, ended_at or contact.ended_at or self.clock())
            self.save(contact, ctx=ctx)

    def refer_to_casework(self, ctx: CommandContext, contact_id: UUID, person: Fields,
                          birth_year: int | None = None, **referral: Any) -> str:
        """Refer the person to casework; returns the person's new data-subject id.

        The person gets a subject of their own (not the contact's), so casework can
        hold, and one day shred, the person's data independently of the call record.
        """
        contact = self._load(Contact, contact_id)
        person = _plain(person)
        subject_id = str(uuid.uuid4())
        with domain_rules():
            year = birth_year_of(person, birth_year)
            index = blind_index(self.settings.blind_index_key,
                                f"{person.get('given_name', '')} {person.get('family_name', '')}",
                                year)
            contact.refer_to_casework(
                person_subject_id=subject_id, person=person, blind_index=index, birth_year=year,
                referred_at=referral.pop("referred_at", None) or self.clock(), **referral)
            self.save(contact, ctx=ctx)
        return subject_id

    def link_to_case(self, ctx: CommandContext, contact_id: UUID, case_id: str,
                     case_reference: str | None = None) -> bool:
        contact = self._load(Contact, contact_id)
        with domain_rules():
            changed = contact.link_to_case(case_id, case_reference)
            if changed:
                self.save(contact, ctx=ctx)
        return changed

    # -- policies: facts from casework ------------------------------------------------
    def link_contact_to_opened_case(self, envelope: Envelope, tracking: Tracking) -> None:
        """casework's CaseOpened: the contact a referral came from points to its case."""
        contact_id, case_id = envelope.data.get("contact_id"), envelope.data.get("case_id")
        if not contact_id or not case_id:
            return  # a case opened directly, not from the helpline
        contact = self._load(Contact, UUID(contact_id))
        with domain_rules():
            if contact.link_to_case(case_id, envelope.data.get("reference")):
                self.save(contact, ctx=policy_context(envelope, self.name, "link_to_case"),
                          tracking=tracking)

    def erase_contacts_of_erased_subject(self, envelope: Envelope, tracking: Tracking) -> None:
        """casework's SubjectErased: what the person said on the helpline goes with them.
        The contacts' keys are shredded first: a crash before the save is retried, and
        shredding twice is harmless."""
        contacts = []
        for contact_id in envelope.data.get("contact_ids") or []:
            self.vault.shred(contact_id)
            contact = self._load(Contact, UUID(contact_id))
            if contact.erase(self.clock()):
                contacts.append(contact)
        if contacts:
            self.save(*contacts, ctx=policy_context(envelope, self.name, "erase_contact"),
                      tracking=tracking)

    def get_contact(self, contact_id: UUID) -> Fields:
        """The whole contact, personal data unsealed (or "[erased]")."""
        contact = self._load(Contact, contact_id)
        screening, referral = contact.screening, contact.referral
        return {
            "contact_id": str(contact.id), "status": "closed" if contact.closed else "open",
            **{k: getattr(contact, k) for k in (
                "channel", "direction", "started_at", "ended_at", "duration_seconds",
                "language", "interpreter_used", "caller_type", "topic", "urgency",
                "operator_id", "outcome", "case_id", "case_reference", "summary",
                "callback_contact")},
            "assessment": screening.assessment if screening else None,
            "referred": referral is not None,
            "screening": vars(screening) if screening else None,
            "referral": {**vars(referral), "person": contact.person} if referral else None,
        }

    # -- missed calls ----------------------------------------------------------
    def record_missed_call(self, ctx: CommandContext, channel: str,
                           missed_at: datetime | None = None,
                           callback_contact: str | None = None) -> UUID:
        with domain_rules():
            missed = MissedCall.record(channel=channel, missed_at=missed_at or self.clock(),
                                       callback_contact=callback_contact)
            self.save(missed, ctx=ctx)
        return missed.id

    def complete_callback(self, ctx: CommandContext, missed_call_id: UUID, contact_id: UUID,
                          done_at: datetime | None = None) -> None:
        missed = self._load(MissedCall, missed_call_id)
        self._load(Contact, contact_id)  # the callback must have been logged as a contact
        with domain_rules():
            missed.complete(str(contact_id), done_at or self.clock())
            self.save(missed, ctx=ctx)

    def callback_contacts(self, missed_call_ids: list[str]) -> dict[str, str | None]:
        """The numbers to call back, unsealed; the read model holds none of them."""
        return {mid: self._load(MissedCall, UUID(mid)).callback_contact
                for mid in missed_call_ids}

    # -- shifts ------------------------------------------------------------------
    def start_shift(self, ctx: CommandContext, operator_id: str | None = None,
                    started_at: datetime | None = None) -> UUID:
        operator = operator_id or ctx.actor_id
        if operator != ctx.actor_id and ctx.actor_role != "supervisor":
            raise Forbidden("only a supervisor may start a shift for someone else")
        with domain_rules():
            shift = Shift.start(operator_id=operator, started_at=started_at or self.clock())
            self.save(shift, ctx=ctx)
        return shift.id

    def end_shift(self, ctx: CommandContext, shift_id: UUID,
                  ended_at: datetime | None = None) -> None:
        shift = self._load(Shift, shift_id)
        if shift.operator_id != ctx.actor_id and ctx.actor_role != "supervisor":
            raise Forbidden("only a supervisor may end someone else's shift")
        with domain_rules():
            shift.end(ended_at or self.clock())
            self.save(shift, ctx=ctx)

    # -- what leaves the service ---------------------------------------------------
    def to_integration_event(self, domain_event: Any) -> IntegrationEvent | None:
        event_type = type(domain_event).__name__
        if event_type not in PAYLOADS:
            return None
        version, schema, id_field = PAYLOADS[event_type]
        state = {**vars(domain_event), id_field: str(domain_event.originator_id)}
        if event_type == "CallMissed":
            state["has_callback_contact"] = state.get("callback_contact") is not None
        if event_type == "ReferredToCasework" and not is_sealed(state.get("person")):
            # The relay must hand over events as stored; plaintext here is a bug upstream.
            raise ValueError("refusing to publish an unsealed person")
        return IntegrationEvent(type=event_type, version=version, data=schema().dump(state))

    # -- loading ---------------------------------------------------------------------
    def _load(self, kind: type[A], aggregate_id: UUID | str) -> A:
        label = kind.__name__
        try:
            found: Any = self.repository.get(UUID(str(aggregate_id)))
        except (AggregateNotFoundError, ValueError):
            raise NotFound(f"no {label} {aggregate_id}") from None
        if not isinstance(found, kind):
            raise NotFound(f"no {label} {aggregate_id}")
        return found


def _plain(person: Fields) -> Fields:
    """Person details as JSON values (dates as ISO strings), empty fields left out."""
    return {k: v.isoformat() if isinstance(v, date) else v
            for k, v in person.items() if v not in (None, "")}


APPLICATION = Intake
