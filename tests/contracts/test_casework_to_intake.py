"""casework publishes CaseOpened and SubjectErased; intake links its contacts to the cases
and erases what the helpline heard of an erased person. Everything casework's contracts
allow, intake accepts: a referral's contact always learns its case, an erasure always
reaches the helpline's records."""

from __future__ import annotations

from itertools import count

from eventsourcing.persistence import Tracking

from services.casework.contracts import CASE_OPENED, SUBJECT_ERASED
from services.intake.application import Intake
from services.intake.domain import Contact
from shared.audit import CommandContext
from shared.contracts import Contract
from tests.contracts.payloads import envelope_of, first_refused

OPERATOR = CommandContext(actor_id="op-1", actor_role="helpline_operator", command="test")
CALL = {"channel": "phone", "direction": "inbound", "language": "uk",
        "caller_type": "potential_victim", "topic": "victim_support", "urgency": "urgent",
        "summary": "she says her passport was taken"}


def consumer(intake: Intake, contract: Contract, policy, make_real):
    """Run intake's policy on one payload as a delivered message; `make_real` replaces the
    ids that must name records intake has (a contact is logged for each)."""
    delivered = count(1)

    def new_contact() -> str:
        return str(intake.log_contact(OPERATOR, **CALL)["contact_id"])

    def consume(data: dict) -> None:
        make_real(data, new_contact)
        envelope = envelope_of(contract, data, next(delivered))
        policy(intake, contract.read(envelope), envelope, Tracking("casework",
                                                                   envelope.notification_id))

    return consume


def _contact_of_referral(data: dict, new_contact) -> None:
    if data["contact_id"] is not None:
        data["contact_id"] = new_contact()


def test_intake_links_a_contact_for_every_case_casework_may_open(app_factory):
    intake = app_factory(Intake)
    consume = consumer(intake, CASE_OPENED, Intake.learn_opened_case, _contact_of_referral)

    def linked(data: dict) -> None:
        consume(data)
        if data["contact_id"] is not None:
            assert intake.repository.get(data["contact_id"]).case_id == data["case_id"]

    assert first_refused(CASE_OPENED, linked) is None


def test_intake_erases_the_contacts_of_every_subject_casework_may_erase(app_factory):
    intake = app_factory(Intake)

    def contacts_of_the_person(data: dict, new_contact) -> None:
        data["contact_ids"] = [new_contact() for _ in data["contact_ids"]]

    consume = consumer(intake, SUBJECT_ERASED, Intake.erase_contacts_of_erased_subject,
                       contacts_of_the_person)

    def erased(data: dict) -> None:
        consume(data)
        for contact_id in data["contact_ids"]:
            contact: Contact = intake.repository.get(contact_id)
            assert contact.erased_at is not None and contact.summary == "[erased]"

    assert first_refused(SUBJECT_ERASED, erased) is None
