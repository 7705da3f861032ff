"""Casework's tests: the platform's fixtures (cfg, app_factory, ...) come from
shared/testing/plugin.py; these add casework's own."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.casework.application import Casework
from services.casework.projections import projections
from services.casework.queries import CaseworkViews
from shared.audit import CommandContext
from shared.projections import ProjectionRunner

T0 = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)  # a Monday night: a referral comes in
CASEWORKER = CommandContext(actor_id="cw-1", actor_role="caseworker", command="test")
COLLEAGUE = CommandContext(actor_id="cw-2", actor_role="caseworker", command="test")
SUPERVISOR = CommandContext(actor_id="sup-1", actor_role="supervisor", command="test")
SECOND_SUPERVISOR = CommandContext(actor_id="sup-2", actor_role="supervisor", command="test")
AUDITOR = CommandContext(actor_id="aud-1", actor_role="auditor", command="test")


class Clock:
    """The application's clock, moved by the test."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(T0 + timedelta(minutes=30))


@pytest.fixture
def app(app_factory, clock):
    """Casework with a store of its own: every test starts empty."""
    application = app_factory(Casework)
    application.clock = clock
    return application


@pytest.fixture
def runner(app):
    r = ProjectionRunner(app, projections())
    yield r
    r.close()


@pytest.fixture
def views(runner):
    return CaseworkViews(runner.store, runner.catch_up)


def integration_events(app):
    """What the app's relay would publish, read as the relay reads (personal data sealed)."""
    mapper = copy.copy(app.mapper)
    mapper.unseal_on_read = False
    found = (app.to_integration_event(mapper.to_domain_event(n))
             for n in app.recorder.select_notifications(0, 10_000))
    return [e for e in found if e is not None]


def letters(n: int = 8) -> str:
    """A random name part: normalise_name keeps letters only, so no digits here."""
    return "".join(chr(ord("a") + b % 26) for b in uuid.uuid4().bytes[:n]).capitalize()


def new_client(**overrides):
    """A valid `client` of open_case, as the schema hands it over."""
    return {"given_name": "Olena", "family_name": "Kovalenko-" + letters(),
            "birth_year": 1998, "gender": "Female", "citizenship": "UA", "languages": ["uk"],
            "phone": "+48 511 222 333", "address": "ul. Ogrodowa 17, Wrocław", **overrides}


def opened(app, ctx=CASEWORKER, **overrides):
    """Open a case directly for a new client; returns (Opened, the client details)."""
    client = overrides.pop("client", None) or new_client()
    values = {"origin_country": "UA", "exploitation_country": "PL",
              "exploitation_types": ["ForcedLabour"], "urgency": "urgent", **overrides}
    return app.open_case(ctx, client=client, **values), client
