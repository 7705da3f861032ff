"""Intake's application: the helpline's commands and queries, its policies for
casework's facts, and what it publishes.

Commands take the caller's CommandContext (who, why) and plain values the schemas have
validated; they load, ask the aggregate, save. Queries take the context too, and ask the
aggregates or the read models (`self.views`, projections.py). Time is read here, never in
the domain, so a test can fix it with `clock`.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.intake import contracts as c
from services.intake.access import ReadLog
from services.intake.cases import KnownCase
from services.intake.domain import Contact, MissedCall, Shift
from services.intake.outreach import Outreach
from services.intake.projections import IntakeViews
from services.intake.reading import Reading
from shared.audit import CommandContext
from shared.consumers import policy_context
from shared.contracts import Publications
from shared.errors import Forbidden, domain_refusals
from shared.messaging import Envelope
from shared.person import birth_year_of, blind_index_of

Fields = dict[str, Any]


def _has_callback(state: Fields) -> Fields:
    return {**state, "has_callback_contact": state.get("callback_contact") is not None}


def _first_link(state: Fields) -> Fields:
    return {**state, "previous_case_id": None}


class Intake(Reading, Outreach):
    name = "intake"  # type: ignore[misc]  # eventsourcing declares it per instance
    views: IntakeViews
    publishes = Publications(
        c, Contact, MissedCall, Shift, ReadLog,
        publish_as={"ContactLinkCorrected": c.CONTACT_LINKED_TO_CASE},
        adapt={"CallMissed": _has_callback, "ContactLinkedToCase": _first_link})

    # -- contacts ------------------------------------------------------------
    def log_contact(self, ctx: CommandContext, **values: Any) -> Fields:
        values["started_at"] = values.get("started_at") or self.clock()
        with domain_refusals():
            contact = Contact.log(operator_id=ctx.actor_id, **values)
            self.save(contact, ctx=ctx)
        return {"contact_id": contact.id}

    def screen_contact(self, ctx: CommandContext, contact_id: UUID, indicators: list[str],
                       assessment: str, screened_at: datetime | None = None) -> Fields:
        def attempt() -> Fields:
            contact = self.load(Contact, contact_id)
            _check_handles(ctx, contact)
            contact.screen(indicators, assessment, screened_at or self.clock())
            self.save(contact, ctx=ctx)
            return {"contact_id": contact.id}

        with domain_refusals():
            return self.retrying(attempt)

    def close_contact(self, ctx: CommandContext, contact_id: UUID, outcome: str,
                      ended_at: datetime | None = None) -> Fields:
        def attempt() -> Fields:
            contact = self.load(Contact, contact_id)
            _check_handles(ctx, contact)
            contact.close(outcome, ended_at or contact.ended_at or self.clock())
            self.save(contact, ctx=ctx)
            return {"contact_id": contact.id}

        with domain_refusals():
            return self.retrying(attempt)

    def refer_to_casework(self, ctx: CommandContext, contact_id: UUID, person: Fields,
                          birth_year: int | None = None, **referral: Any) -> Fields:
        """Refer the person to casework; answers with the person's new data-subject id.

        The person gets a subject of their own (not the contact's), so casework can
        hold, and one day shred, the person's data independently of the call record.
        """
        # Sealed: the referral's rules read the contact's codes, never its personal data,
        # so neither its key nor its unsealing is needed.
        person = _plain(person)
        subject_id = str(uuid.uuid4())
        referred_at = referral.pop("referred_at", None) or self.clock()

        def attempt() -> Fields:
            contact = self.load(Contact, contact_id, sealed=True)
            _check_handles(ctx, contact)
            year = birth_year_of(person.get("birth_date"), birth_year, referred_at.date())
            index = blind_index_of(self.settings.blind_index_key, person, year)
            contact.refer_to_casework(
                person_subject_id=subject_id, person=person, blind_index=index, birth_year=year,
                referred_at=referred_at, **referral)
            self.save(contact, ctx=ctx)
            return {"contact_id": contact.id, "person_subject_id": subject_id}

        with domain_refusals():
            return self.retrying(attempt)

    # -- policies: facts from casework ------------------------------------------------
    def erase_contacts_of_erased_subject(self, erased: Fields, envelope: Envelope,
                                         tracking: Tracking) -> None:
        """casework's SubjectErased: what the person said on the helpline goes with them --
        the contacts that referred them, and every contact linked to one of their cases --
        and nothing is linked to those cases from now on. Saved together, so a link made
        meanwhile makes this run again and go with the rest. The contacts' keys are
        shredded first: a crash before the save is retried, and shredding twice is
        harmless."""
        referred = [str(contact_id) for contact_id in erased["contact_ids"]]
        ctx = policy_context(envelope, self.name, "erase_contact")

        def attempt() -> None:
            cases = {str(case_id): self.known_case(case_id) or KnownCase.learn(case_id)
                     for case_id in erased["case_ids"]}
            linked = [contact_id for case in cases.values() for contact_id in case.contact_ids]
            changed: list[Any] = [case for case in cases.values() if case.learn_erasure()]
            for contact_id in dict.fromkeys([*referred, *linked]):
                contact = self.load(Contact, contact_id, sealed=True)
                if contact_id not in referred and contact.case_id not in cases:
                    continue  # moved to another person's case since: theirs, not this person's
                # The contact's own key, and the keys of the numbers left in the missed
                # calls it answered: the person's callback number goes with them.
                for subject in (contact_id, *contact.missed_calls_answered):
                    self.vault.shred(subject)
                if contact.erase(self.clock()):
                    changed.append(contact)
            if changed:
                self.save(*changed, ctx=ctx, tracking=tracking)

        self.retrying(attempt, tracking)

    # -- missed calls ----------------------------------------------------------
    def record_missed_call(self, ctx: CommandContext, channel: str,
                           missed_at: datetime | None = None,
                           callback_contact: str | None = None) -> Fields:
        with domain_refusals():
            missed = MissedCall.record(channel=channel, missed_at=missed_at or self.clock(),
                                       callback_contact=callback_contact)
            self.save(missed, ctx=ctx)
        return {"missed_call_id": missed.id}

    def complete_callback(self, ctx: CommandContext, missed_call_id: UUID, contact_id: UUID,
                          done_at: datetime | None = None) -> Fields:
        def attempt() -> Fields:
            missed = self.load(MissedCall, missed_call_id, sealed=True)
            # The callback must have been logged as a contact; it remembers the missed call.
            contact = self.load(Contact, contact_id, sealed=True)
            missed.complete(str(contact_id), done_at or self.clock())
            contact.answer_missed_call(str(missed.id))
            self.save(missed, contact, ctx=ctx)
            return {"missed_call_id": missed.id}

        with domain_refusals():
            return self.retrying(attempt)

    # -- shifts ------------------------------------------------------------------
    def start_shift(self, ctx: CommandContext, operator_id: str | None = None,
                    started_at: datetime | None = None) -> Fields:
        operator = operator_id or ctx.actor_id
        if operator != ctx.actor_id and ctx.actor_role != "supervisor":
            raise Forbidden("only a supervisor may start a shift for someone else")
        with domain_refusals():
            shift = Shift.start(operator_id=operator, started_at=started_at or self.clock())
            self.save(shift, ctx=ctx)
        return {"shift_id": shift.id}

    def end_shift(self, ctx: CommandContext, shift_id: UUID,
                  ended_at: datetime | None = None) -> Fields:
        shift = self.load(Shift, shift_id)
        if shift.operator_id != ctx.actor_id and ctx.actor_role != "supervisor":
            raise Forbidden("only a supervisor may end someone else's shift")
        with domain_refusals():
            shift.end(ended_at or self.clock())
            self.save(shift, ctx=ctx)
        return {"shift_id": shift.id}

    # -- the helpline's read models -----------------------------------------------------
    def contact_log(self, ctx: CommandContext, **filters: Any) -> Fields:
        return self.views.contact_log(**filters)

    def on_duty(self, ctx: CommandContext, at: datetime | None = None) -> Fields:
        return self.views.on_duty(at or self.clock())

    def coverage(self, ctx: CommandContext, date_from: datetime, date_to: datetime) -> Fields:
        return self.views.coverage(date_from, date_to)

    def helpline_stats(self, ctx: CommandContext, month: str) -> Fields:
        return self.views.helpline_stats(month)


def _check_handles(ctx: CommandContext, contact: Contact) -> None:
    """A call is screened, referred and closed by its operator or a supervisor. A colleague
    cannot read it, and their referral would link it to the case casework opens from it,
    whose caseworker then reads it: what link_to_case refuses them (links.py)."""
    if ctx.actor_role != "supervisor" and contact.operator_id != ctx.actor_id:
        raise Forbidden("only the contact's operator or a supervisor screens, refers or"
                        " closes it")


def _plain(person: Fields) -> Fields:
    """Person details as JSON values (dates as ISO strings), empty fields left out."""
    return {k: v.isoformat() if isinstance(v, date) else v
            for k, v in person.items() if v not in (None, "")}

