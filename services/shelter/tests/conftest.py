"""The shelters' tests: the platform's fixtures (cfg, app_factory, ...) come from
shared/testing/plugin.py; these add the shelters' own: an application on a store of its
own with its read models, a clock the test moves, shelters, cases and casework's requests
delivered as the broker would."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import Tracking

from services.casework.contracts import (
    ASSIGNMENT_CONFIRMED,
    CASE_OPENED,
    SHELTER_PLACEMENT_REQUESTED,
)
from services.casework.tests.conftest import Clock
from services.shelter.application import Shelters
from services.shelter.projections import READ_MODELS
from shared.audit import CommandContext
from shared.bootstrap import attach_read_models
from shared.contracts import Contract
from tests.contracts.payloads import envelope_of

T0 = datetime(2026, 3, 3, 2, 40, tzinfo=UTC)  # 3 a.m.: a caseworker needs a bed tonight
SUPERVISOR = CommandContext(actor_id="sup-1", actor_role="supervisor", command="test")
STAFF_NORTH = CommandContext(actor_id="staff-n1", actor_role="shelter_staff", command="test")
STAFF_RIVER = CommandContext(actor_id="staff-r1", actor_role="shelter_staff", command="test")
CASEWORKER = CommandContext(actor_id="cw-1", actor_role="caseworker", command="test")
OTHER_CASEWORKER = CommandContext(actor_id="cw-2", actor_role="caseworker", command="test")
ADDRESS = "ul. Cicha 5, 80-001 Gdańsk, the blue door behind the bakery"
_delivered = itertools.count(1)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def app(app_factory, clock):
    """The shelters on a store of their own, with their read models: every test starts empty."""
    application = app_factory(Shelters)
    application.clock = clock
    runner = attach_read_models(application, READ_MODELS)
    assert runner is not None
    yield application
    runner.close()


def register(app, code: str = "N", staff: str | None = "staff-n1",
             rooms: list[dict[str, Any]] | None = None, address: str = ADDRESS) -> dict:
    """A shelter with its rooms (default: two twin rooms and an isolation room)."""
    rooms = rooms if rooms is not None else [
        {"name": "A", "beds": ["1", "2"]}, {"name": "B", "beds": ["1", "2"]},
        {"name": "Iso", "tags": ["isolation"], "beds": ["1"]}]
    found = app.register_shelter(SUPERVISOR, code=code, name=f"House {code}", address=address,
                                 rooms=rooms)
    if staff is not None:
        app.assign_staff(SUPERVISOR, found["shelter_id"], staff)
    return found


def deliver(app, contract: Contract, policy, data: dict[str, Any]) -> None:
    """One message as the broker delivers it to the policy: read with the contract."""
    payload = contract.check(data)
    envelope = envelope_of(contract, payload, next(_delivered))
    policy(app, contract.read(envelope), envelope, Tracking(contract.source,
                                                            envelope.notification_id))


def open_case(app, caseworker: str | None = "cw-1", urgency: str = "urgent",
              confirmed: bool = True) -> str:
    """casework's CaseOpened; and, unless told otherwise, its caseworker confirmed."""
    case_id = str(uuid.uuid4())
    deliver(app, CASE_OPENED, Shelters.note_opened_case, {
        "case_id": case_id, "reference": f"KC-2026-{next(_delivered):04d}",
        "client_id": str(uuid.uuid4()), "contact_id": None, "source": "direct",
        "opened_at": T0 - timedelta(days=1), "caseworker_id": caseworker,
        "possible_duplicate": False, "origin_country": "UA", "exploitation_country": "PL",
        "exploitation_types": ["ForcedLabour"], "methods_of_control": [], "recruitment": None,
        "relationship_to_trafficker": None, "urgency": urgency, "version": 1})
    if caseworker is not None and confirmed:
        deliver(app, ASSIGNMENT_CONFIRMED, Shelters.note_confirmation, {
            "case_id": case_id, "caseworker_id": caseworker, "confirmed_by": "sup-1",
            "confirmed_at": T0 - timedelta(days=1), "version": 2})
    return case_id


def request_bed(app, case_id: str, **needs: Any) -> str:
    """casework's ShelterPlacementRequested for the case; returns the request (stay) id."""
    request_id = str(uuid.uuid4())
    deliver(app, SHELTER_PLACEMENT_REQUESTED, Shelters.receive_request, {
        "case_id": case_id, "request_id": request_id, "needs_isolation": False,
        "isolation_reason": None, "accompanying_children": 0, "needed_from": None,
        "gender": "Female", "languages": ["uk"], "requested_at": app.clock(), **needs})
    return request_id


def intake(app, ctx: CommandContext = STAFF_NORTH, **values: Any) -> str:
    """A night intake on a police referral, as the schema hands it over."""
    return app.night_intake(ctx, **{"gender": "Female", "referred_by": "police",
                                    "known_as": "Marta", **values})["stay_id"]
