"""Holes found in intake's and casework's need to know, each tried at the level of the
application method an RPC calls: each test must pass only while the hole stays closed."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta
from typing import Any

import pytest

from services.casework.application import Casework
from services.casework.contracts import EMERGENCY_ACCESS_GRANTED
from services.casework.projections import projections as casework_projections
from services.casework.queries import CaseworkViews
from services.casework.tests.conftest import (
    COLLEAGUE,
    SUPERVISOR,
    Clock,
    integration_events,
    letters,
    new_client,
    opened,
)
from services.casework.tests.conftest import T0 as CASEWORK_T0
from services.intake.application import Intake
from services.intake.cases import KnownCase
from services.intake.domain import Contact
from services.intake.tests.conftest import OPERATOR, PERSON, SYSTEM, contact
from shared.audit import CommandContext
from shared.consumers import IdempotentConsumer
from shared.errors import Forbidden
from shared.messaging import Envelope
from shared.projections import ProjectionRunner

OTHER_OPERATOR = CommandContext(actor_id="op-2", actor_role="helpline_operator",
                                command="test")
THIRD_CASEWORKER = CommandContext(actor_id="cw-3", actor_role="caseworker", command="test")
_delivered = itertools.count(1)


@pytest.fixture
def casework(app_factory):
    app = app_factory(Casework)
    app.clock = Clock(CASEWORK_T0)
    runner = ProjectionRunner(app, casework_projections())
    app.views = CaseworkViews(runner.store, runner.catch_up)
    yield app
    runner.close()


@pytest.fixture
def intake(app_factory):
    app = app_factory(Intake)
    app.clock = lambda: CASEWORK_T0 + timedelta(minutes=10)  # while an emergency grant runs
    return app


def test_the_case_list_does_not_name_the_client_a_possible_duplicate_matched(casework):
    """A duplicate match never tells the caller who matched: confirmed on a case that still
    awaits its duplicate review, a caseworker has no relation to the client it matched
    (get_case withholds its id), and list_cases must not name that client either."""
    family = "Nowak-" + letters()
    first, _ = opened(casework, client=new_client(family_name=family))  # cw-1's own client
    second, _ = opened(casework, ctx=COLLEAGUE, client=new_client(family_name=family))
    assert second.possible_duplicate is True and second.client_id is None
    case_id = uuid.UUID(second.case_id)
    casework.confirm_assignment(SUPERVISOR, case_id)  # before the match is settled
    assert "client_id" not in casework.case_detail(COLLEAGUE, case_id, purpose="case_work")

    rows = {row["case_id"]: row for row in casework.case_list(COLLEAGUE)["items"]}
    assert rows[second.case_id]["client_id"] is None
    assert first.client_id not in {row["client_id"] for row in rows.values()}

    # Settled as the same person, the case is the caseworker's way to that client.
    casework.review_duplicate(SUPERVISOR, case_id, "same_person")
    rows = {row["case_id"]: row for row in casework.case_list(COLLEAGUE)["items"]}
    assert rows[second.case_id]["client_id"] == first.client_id


def test_an_operator_does_not_screen_refer_or_close_a_colleagues_contact(intake):
    """A colleague's contact is not the operator's to decide on: they cannot read it, and a
    referral they made would link it to the case casework opens from it, whose caseworker
    then reads it -- what link_to_case refuses them. Its operator and supervisors can."""
    contact_id = intake.log_contact(OPERATOR, **contact())["contact_id"]
    with pytest.raises(Forbidden):
        intake.screen_contact(OTHER_OPERATOR, contact_id, ["retained_documents"],
                              "presumed_victim")
    intake.screen_contact(OPERATOR, contact_id, ["retained_documents"], "presumed_victim")
    with pytest.raises(Forbidden):
        intake.refer_to_casework(OTHER_OPERATOR, contact_id, person=PERSON, gender="Female",
                                 citizenship="RO", languages=["ro"],
                                 exploitation_types=["ForcedLabour"], urgency=None)
    with pytest.raises(Forbidden):
        intake.close_contact(OTHER_OPERATOR, contact_id, "no_action")
    found = intake.load(Contact, contact_id)
    assert found.referral is None and not found.closed
    # control: its operator refers and closes it
    intake.refer_to_casework(OPERATOR, contact_id, person=PERSON, gender="Female",
                             citizenship="RO", languages=["ro"],
                             exploitation_types=["ForcedLabour"], urgency=None)
    intake.close_contact(OPERATOR, contact_id, "referred_to_casework")


def _deliver(intake: Intake, announced: Any) -> None:
    """casework's EmergencyAccessGranted, as intake's consumer receives it."""
    envelope = Envelope(source="casework", notification_id=next(_delivered),
                        type=announced.type, version=announced.version,
                        occurred_at=CASEWORK_T0.isoformat(), correlation_id=None,
                        causation_id=None, data=announced.data)
    IdempotentConsumer(intake).handle(envelope, lambda env, tracking: (
        Intake.learn_emergency_access(intake, EMERGENCY_ACCESS_GRANTED.read(env), env,
                                      tracking)))


def test_emergency_access_to_a_client_does_not_open_a_possible_duplicates_contacts(
        casework, intake):
    """Emergency access to a person opens their data, not that of a case that only may be
    about them: casework withholds a case awaiting its duplicate review from it, and the
    grant it announces must not open that case's helpline contacts in intake either (they
    hold what a possibly different person told the helpline)."""
    family = "Nowak-" + letters()
    first, _ = opened(casework, client=new_client(family_name=family))  # cw-1's own client
    second, _ = opened(casework, ctx=COLLEAGUE, client=new_client(family_name=family))
    assert second.possible_duplicate is True
    # The helpline learns of the second case, and its operator links a call to it.
    learned = KnownCase.learn(second.case_id)
    learned.opened_as("KC-2026-0002", "cw-2", 1)
    intake.save(learned, ctx=SYSTEM)
    call = intake.log_contact(OPERATOR, **contact(summary="Marta sleeps above the bakery"))
    intake.link_to_case(OPERATOR, call["contact_id"], uuid.UUID(second.case_id))

    casework.break_the_glass(THIRD_CASEWORKER, uuid.UUID(first.case_id), "medical_emergency",
                             "collapsed at the shelter door")
    withheld = casework.case_detail(THIRD_CASEWORKER, uuid.UUID(second.case_id),
                                    purpose="safety")
    assert withheld["personal_data"] == "withheld"  # casework: not opened by the grant
    [announced] = [e for e in integration_events(casework)
                   if e.type == "EmergencyAccessGranted"]
    assert announced.data["case_ids"] == [first.case_id]

    _deliver(intake, announced)
    seen = intake.get_contact(THIRD_CASEWORKER, call["contact_id"])
    assert seen["personal_data"] == "withheld" and seen["summary"] is None
