"""Legal's tests: the platform's fixtures (cfg, app_factory, ...) come from
shared/testing/plugin.py; these add legal's own -- legal on a store of its own, the real
casework application it asks about consent, and casework's facts delivered as messages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from services.casework.application import Casework
from services.casework.contracts import ASSIGNMENT_CONFIRMED, CASE_OPENED
from services.casework.tests.conftest import Clock
from services.legal.application import Legal
from services.legal.projections import projections
from services.legal.queries import LegalViews
from shared.audit import CommandContext
from shared.consumers import IdempotentConsumer
from shared.contracts import Contract
from shared.messaging import Envelope
from shared.projections import ProjectionRunner
from shared.testing import delivered_ids

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning at the centre
LAWYER = CommandContext(actor_id="law-1", actor_role="lawyer", command="test")
OTHER_LAWYER = CommandContext(actor_id="law-2", actor_role="lawyer", command="test")
CASEWORKER = CommandContext(actor_id="cw-1", actor_role="caseworker", command="test")
SUPERVISOR = CommandContext(actor_id="sup-1", actor_role="supervisor", command="test")
_delivered = delivered_ids()


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def casework(app_factory, clock):
    application = app_factory(Casework)
    application.clock = clock
    return application


@pytest.fixture
def app(app_factory, clock, casework):
    """Legal with a store of its own, asking the real casework application about consent
    (in production it asks casework's service over RPC: casework_desk.py)."""
    application = app_factory(Legal)
    application.clock = clock
    application.ask_casework = lambda ctx, case_id, purpose, recipient: casework.may_share(
        ctx, UUID(case_id), purpose, recipient)
    return application


@pytest.fixture
def runner(app):
    r = ProjectionRunner(app, projections())
    app.views = LegalViews(r.store, r.catch_up)
    yield r
    r.close()


def deliver(app: Legal, contract: Contract, policy: Any, data: dict[str, Any],
            source: str = "casework") -> bool:
    """casework's fact, as the consumer receives it: through the contract, once."""
    envelope = Envelope(source=source, notification_id=next(_delivered), type=contract.type,
                        version=contract.version, occurred_at=datetime.now(UTC).isoformat(),
                        correlation_id=str(uuid.uuid4()), causation_id=None,
                        data=contract.check(data))
    return IdempotentConsumer(app).handle(
        envelope, lambda env, tracking: policy(app, contract.read(env), env, tracking))


def case_in_casework(app: Legal, casework: Casework, caseworker: str = "cw-1") -> str:
    """A case opened in casework for a new client, and told to legal as casework would."""
    opened = casework.open_case(SUPERVISOR, client={
        "given_name": "Olena", "family_name": "Kovalenko", "birth_year": 1998,
        "gender": "Female", "citizenship": "UA", "languages": ["uk"]},
        origin_country="UA", exploitation_types=["ForcedLabour"], urgency="urgent",
        caseworker_id=caseworker)
    deliver(app, CASE_OPENED, Legal.note_case_opened, {
        "case_id": opened.case_id, "reference": opened.reference, "client_id": opened.client_id,
        "contact_id": None, "source": "direct", "opened_at": T0,
        "caseworker_id": caseworker, "possible_duplicate": False, "origin_country": "UA",
        "exploitation_country": None, "exploitation_types": ["ForcedLabour"],
        "methods_of_control": [], "recruitment": None, "relationship_to_trafficker": None,
        "urgency": "urgent", "version": 1})
    deliver(app, ASSIGNMENT_CONFIRMED, Legal.note_assignment_confirmed, {
        "case_id": opened.case_id, "caseworker_id": caseworker, "confirmed_by": "sup-1",
        "confirmed_at": T0, "version": 2})
    return opened.case_id


def a_matter(app: Legal, case_id: str, ctx: CommandContext = LAWYER, **overrides: Any) -> str:
    values = {"kind": "criminal_proceedings", "standing": "injured_party", **overrides}
    return app.open_matter(ctx, UUID(case_id), **values)["matter_id"]


HEARING = {"hearing_type": "witness_examination", "court": "Sąd Okręgowy w Warszawie",
           "room": "214", "judge": "SSO A. Nowak", "time_zone": "Europe/Warsaw",
           "interpreter_needed": True, "interpreter_language": "uk",
           "accompaniment_needed": True, "measures_requested": ["video_link"]}


def a_hearing(app: Legal, matter_id: str, starts_at: datetime, ctx: CommandContext = LAWYER,
              hours: float = 2, **overrides: Any) -> str:
    return app.schedule_hearing(ctx, UUID(matter_id), starts_at=starts_at,
                                ends_at=starts_at + timedelta(hours=hours),
                                **{**HEARING, **overrides})["hearing_id"]
