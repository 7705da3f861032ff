"""Intake's tests: the platform's fixtures (cfg, app_factory, ...) come from
shared/testing/plugin.py; these add intake's own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.application import Intake
from services.intake.projections import IntakeViews, projections
from shared.audit import CommandContext
from shared.projections import ProjectionRunner

T0 = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # a Monday night at the helpline
OPERATOR = CommandContext(actor_id="op-1", actor_role="helpline_operator", command="test")
SUPERVISOR = CommandContext(actor_id="sup-1", actor_role="supervisor", command="test")


@pytest.fixture
def app(app_factory):
    """Intake with a store of its own: every test starts from an empty log."""
    application = app_factory(Intake)
    application.clock = lambda: T0 + timedelta(minutes=30)
    return application


@pytest.fixture
def runner(app):
    r = ProjectionRunner(app, projections())
    yield r
    r.close()


@pytest.fixture
def views(runner):
    return IntakeViews(runner.store, runner.catch_up)


def contact(**overrides):
    """A valid log_contact payload, as the schema hands it over."""
    return {"channel": "phone", "direction": "inbound", "started_at": T0, "ended_at": None,
            "language": "ro", "interpreter_used": True, "caller_type": "potential_victim",
            "topic": "victim_support", "urgency": "urgent",
            "summary": "Ana says her passport was taken by the farm boss",
            "callback_contact": "+40 712 345 678", **overrides}


PERSON = {"given_name": "Ána", "family_name": "Popescu", "birth_date": None,
          "phone": "+40 712 345 678", "address": "the old mill, Brno"}


SYSTEM = CommandContext(actor_id="service:casework", actor_role="system", command="test")


def known_case(app, reference: str = "KC-2026-0042", caseworker_id: str | None = None,
               confirmed: bool = False) -> str:
    """A case as intake learns of it from casework's events; returns its id."""
    from services.intake.cases import KnownCase

    case_id = str(uuid.uuid4())
    case = KnownCase.learn(case_id)
    case.opened_as(reference, caseworker_id, 1)
    if confirmed and caseworker_id is not None:
        case.assignment_confirmed(caseworker_id, 2)
    app.save(case, ctx=SYSTEM)
    return case_id
