"""Intake's tests share the platform's per-run isolation (tests/conftest.py):
importing it sets this run's schema prefix and vhost before anything connects."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

import tests.conftest as platform
from services.intake.application import Intake
from services.intake.projections import IntakeViews, projections
from shared.audit import CommandContext
from shared.projections import ProjectionRunner

cfg, amqp_uri, rabbit_config = platform.cfg, platform.amqp_uri, platform.rabbit_config

T0 = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # a Monday night at the helpline
OPERATOR = CommandContext(actor_id="op-1", actor_role="helpline_operator", command="test")
SUPERVISOR = CommandContext(actor_id="sup-1", actor_role="supervisor", command="test")


def pytest_sessionfinish(session, exitstatus):
    # Run alone (pytest services/intake), the platform's conftest is not a plugin:
    # clean up the run's schemas and vhost on its behalf.
    if not session.config.pluginmanager.is_registered(platform):
        platform.pytest_sessionfinish(session, exitstatus)


@pytest.fixture
def app(cfg):
    """Intake with a store of its own (schema = app name): every test starts from an empty log."""
    own = type("Intake", (Intake,), {"name": f"intake_{uuid.uuid4().hex[:8]}"})
    application = own(cfg)
    application.clock = lambda: T0 + timedelta(minutes=30)
    yield application
    application.close()


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
