"""Ways around the helpline's need to know, tried: each must fail."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from services.casework.contracts import SUBJECT_ERASED
from services.intake.application import Intake
from services.intake.domain import Contact, MissedCall
from services.intake.tests.conftest import OPERATOR, SUPERVISOR, contact, known_case
from shared.audit import CommandContext
from shared.consumers import IdempotentConsumer
from shared.crypto import ERASED
from shared.errors import Forbidden, RuleViolated
from shared.messaging import Envelope

CASEWORKER = CommandContext(actor_id="cw-1", actor_role="caseworker", command="test")
OTHER_OPERATOR = CommandContext(actor_id="op-2", actor_role="helpline_operator",
                                command="test")
_delivered = itertools.count(1)


def erased(app: Intake, case_ids: list[str], contact_ids: list[Any]) -> None:
    """casework's SubjectErased for a person with these cases, as the consumer receives it."""
    data = SUBJECT_ERASED.check({
        "client_id": str(uuid.uuid4()), "subject_ids": [str(uuid.uuid4())],
        "case_ids": case_ids, "contact_ids": [str(c) for c in contact_ids],
        "erased_at": datetime.now(UTC)})
    envelope = Envelope(source="casework", notification_id=next(_delivered),
                        type=SUBJECT_ERASED.type, version=SUBJECT_ERASED.version,
                        occurred_at=datetime.now(UTC).isoformat(), correlation_id=None,
                        causation_id=None, data=data)
    IdempotentConsumer(app).handle(envelope, lambda env, tracking: (
        Intake.erase_contacts_of_erased_subject(app, SUBJECT_ERASED.read(env), env, tracking)))


def test_a_caseworker_cannot_link_someone_elses_contact_to_their_own_case_to_read_it(app):
    """Linked to a case, a contact goes to the case's confirmed caseworker: linking it is
    for who knows the call (its operator while it is open) or a supervisor, never for
    the caseworker who would then read it, nor another operator doing it for them."""
    theirs = known_case(app, caseworker_id="cw-1", confirmed=True)
    contact_id = app.log_contact(OPERATOR, **contact())["contact_id"]
    for intruder in (CASEWORKER, OTHER_OPERATOR):
        with pytest.raises(Forbidden):
            app.link_to_case(intruder, contact_id, theirs)
    assert app.load(Contact, contact_id).case_id is None
    shown = app.get_contact(CASEWORKER, contact_id)
    assert shown["personal_data"] == "withheld" and shown["summary"] is None

    app.close_contact(OPERATOR, contact_id, "information_given")
    with pytest.raises(Forbidden):  # closed: its operator no longer reads it either
        app.link_to_case(OPERATOR, contact_id, theirs)

    # control: a supervisor links it, and the case's caseworker reads it
    app.link_to_case(SUPERVISOR, contact_id, theirs)
    assert app.get_contact(CASEWORKER, contact_id)["summary"] == contact()["summary"]


def test_the_operator_of_an_open_contact_links_it(app):
    case_id = known_case(app, caseworker_id="cw-1", confirmed=True)
    contact_id = app.log_contact(OPERATOR, **contact())["contact_id"]
    app.link_to_case(OPERATOR, contact_id, case_id)
    assert app.load(Contact, contact_id).case_id == case_id


def test_erasing_a_person_erases_the_contacts_linked_to_their_cases(app):
    """casework names only the contact a case was opened from; a follow-up call linked to
    the case later holds the person's words and number just the same."""
    case_id = known_case(app, caseworker_id="cw-1", confirmed=True)
    missed = app.record_missed_call(OPERATOR, "phone",
                                    callback_contact="+40 712 999 000")["missed_call_id"]
    follow_up = app.log_contact(OPERATOR, **contact())["contact_id"]
    app.complete_callback(OPERATOR, missed, follow_up)
    app.link_to_case(OPERATOR, follow_up, case_id)
    # A contact linked to the case by mistake and moved to another person's case stays.
    moved = app.log_contact(OPERATOR, **contact())["contact_id"]
    app.link_to_case(OPERATOR, moved, case_id)
    other_case = known_case(app, "KC-2026-0043")
    app.correct_case_link(replace(SUPERVISOR, reason="correction"), moved, other_case)

    erased(app, [case_id], contact_ids=[])

    gone = app.get_contact(SUPERVISOR, follow_up)
    assert (gone["summary"], gone["callback_contact"]) == (ERASED, ERASED)
    assert app.load(MissedCall, missed).callback_contact == ERASED
    assert app.load(Contact, follow_up).erased_at is not None
    kept = app.get_contact(SUPERVISOR, moved)
    assert kept["summary"] == contact()["summary"]


def test_no_contact_is_linked_to_a_case_whose_person_was_erased(app):
    """Linked after the erasure, a call would keep what the person said once they are gone."""
    case_id = known_case(app, caseworker_id="cw-1", confirmed=True)
    erased(app, [case_id], contact_ids=[])
    contact_id = app.log_contact(OPERATOR, **contact())["contact_id"]
    with pytest.raises(RuleViolated):
        app.link_to_case(OPERATOR, contact_id, case_id)
    assert app.load(Contact, contact_id).case_id is None
    erased(app, [case_id], contact_ids=[])  # told again: nothing changes
