"""Contacts linked to cases: only to a case casework opened (learned from its events), a
wrong link corrected by a supervisor with a reason, and the case casework opened from a
contact's own referral always taking the contact -- never a dead letter.

Casework's facts about its cases (opened, assigned, confirmed, emergency access) are kept
per case (cases.py), for the links and for deciding who may read a contact."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.intake.access import CONTACT_DATA, contact_relations
from services.intake.cases import KnownCase, known_case_id
from services.intake.domain import Contact
from shared.audit import CommandContext
from shared.consumers import policy_context
from shared.errors import Forbidden, InvalidInput, RuleViolated, domain_refusals
from shared.eventstore import HavenApplication
from shared.messaging import Envelope

Fields = dict[str, Any]


class CaseLinks(HavenApplication):
    def known_case(self, case_id: UUID | str) -> KnownCase | None:
        return self.find(KnownCase, known_case_id(case_id))

    def _opened_case(self, case_id: UUID | str) -> KnownCase:
        case = self.known_case(case_id)
        if case is None or not case.opened:
            raise InvalidInput("no such case", {"case_id": [
                "no case with this id has been opened (or the helpline has not heard of it"
                " yet)"]})
        if case.person_erased:
            raise RuleViolated("the case's person was erased: no contact is linked to it")
        return case

    def link_to_case(self, ctx: CommandContext, contact_id: UUID, case_id: UUID) -> Fields:
        return self._link(ctx, contact_id, case_id, Contact.link_to_case)

    def correct_case_link(self, ctx: CommandContext, contact_id: UUID,
                          case_id: UUID) -> Fields:
        """A supervisor moves a wrongly linked contact to the right case, saying why."""
        if not ctx.reason:
            raise InvalidInput("say why the link is corrected", {"reason": ["required"]})
        return self._link(ctx, contact_id, case_id, Contact.correct_link)

    def _link(self, ctx: CommandContext, contact_id: UUID, case_id: UUID,
              link: Callable[[Contact, str, str | None], bool]) -> Fields:
        def attempt() -> Fields:
            contact = self.load(Contact, contact_id)
            case = self._opened_case(case_id)
            self._check_may_link(ctx, contact)
            if link(contact, str(case_id), case.reference):
                case.took_contact(str(contact.id))
                self.save(contact, case, ctx=ctx)
            return {"contact_id": contact.id, "case_id": case_id,
                    "case_reference": case.reference}

        # Again from fresh state on a concurrent change: casework's facts about the case
        # arrive at any moment, and the operator gave no version to be told to reload.
        with domain_refusals():
            return self.retrying(attempt)

    def _check_may_link(self, ctx: CommandContext, contact: Contact) -> None:
        """Linked to a case, a contact's narrative and callback number go to the case's
        caseworker: so only who may read them now links it (its operator while it is open,
        a supervisor). A caseworker linking someone's contact to their own case, or an
        operator to a colleague's, would read it without anyone who knows the call
        deciding it belongs there."""
        linked = self.known_case(contact.case_id) if contact.case_id else None
        if not CONTACT_DATA.allows(ctx.actor_role, contact_relations(
                ctx.actor_id, contact, linked, self.clock())):
            raise Forbidden("only who may read the contact links it to a case (its operator"
                            " while it is open, a supervisor); ask a supervisor")

    # -- policies: facts from casework ----------------------------------------------------
    def learn_opened_case(self, case: Fields, envelope: Envelope, tracking: Tracking) -> None:
        """casework's CaseOpened: the case exists; the contact a referral came from points
        to it (the case made from its own referral wins over an earlier manual link)."""
        def learn() -> None:
            known = self.known_case(case["case_id"]) or KnownCase.learn(case["case_id"])
            known.opened_as(case["reference"], case["caseworker_id"], case["version"])
            changed: list[Any] = [known]
            contact = self.find(Contact, case["contact_id"]) if case["contact_id"] else None
            if contact is not None and contact.correct_link(str(case["case_id"]),
                                                             case["reference"]):
                known.took_contact(str(contact.id))
                changed.append(contact)
            self.save(*changed, ctx=self._policy(envelope), tracking=tracking)

        self.retrying(learn, tracking)

    def learn_assignment(self, assigned: Fields, envelope: Envelope,
                         tracking: Tracking) -> None:
        self._learn([assigned["case_id"]], envelope, tracking,
                    lambda known: known.assigned(assigned["caseworker_id"], assigned["version"]))

    def learn_confirmation(self, confirmed: Fields, envelope: Envelope,
                           tracking: Tracking) -> None:
        self._learn([confirmed["case_id"]], envelope, tracking,
                    lambda known: known.assignment_confirmed(confirmed["caseworker_id"],
                                                             confirmed["version"]))

    def learn_emergency_access(self, granted: Fields, envelope: Envelope,
                               tracking: Tracking) -> None:
        """Emergency access to a person reaches the contacts of every case of theirs."""
        self._learn(granted["case_ids"], envelope, tracking,
                    lambda known: known.grant_learned(str(granted["grant_id"]),
                                                      granted["actor_id"],
                                                      granted["granted_at"],
                                                      granted["expires_at"]))

    def _learn(self, case_ids: list[Any], envelope: Envelope, tracking: Tracking,
               change: Callable[[KnownCase], None]) -> None:
        """Apply a fact to the cases it concerns, from fresh state on a concurrent change
        (casework's facts about one case arrive on several queues at once)."""
        def learn() -> None:
            known = [self.known_case(case_id) or KnownCase.learn(case_id)
                     for case_id in case_ids]
            for case in known:
                change(case)
            self.save(*known, ctx=self._policy(envelope), tracking=tracking)

        self.retrying(learn, tracking)

    def _policy(self, envelope: Envelope) -> CommandContext:
        return policy_context(envelope, self.name, "learn_case")
