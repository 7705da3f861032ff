"""The shelters' answers shown on the case: casework's policy for the shelter service's
placement events, delivered as the broker would (out of order, twice), and the query."""

from __future__ import annotations

import itertools
import uuid
from datetime import timedelta

import pytest
from eventsourcing.persistence import Tracking

from services.casework.application import Casework
from services.casework.tests.conftest import (
    AUDITOR,
    CASEWORKER,
    COLLEAGUE,
    SUPERVISOR,
    T0,
    opened,
)
from services.shelter import contracts as shelter
from shared.contracts import Contract
from shared.errors import Forbidden, NotFound
from tests.contracts.payloads import envelope_of

NORTH, RIVER = str(uuid.uuid4()), str(uuid.uuid4())
_delivered = itertools.count(1)


def deliver(app, contract: Contract, **data) -> None:
    payload = contract.check(data)
    envelope = envelope_of(contract, payload, next(_delivered))
    Casework.record_placement_news(app, contract.read(envelope), envelope,
                                   Tracking("shelter", envelope.notification_id))


def held(case_id, stay_id, version=2):
    return dict(stay_id=stay_id, case_id=case_id, shelter_id=NORTH, shelter_code="N",
                held_at=T0, expires_at=T0 + timedelta(hours=4), version=version)


def admitted(case_id, stay_id, version=3):
    return dict(stay_id=stay_id, case_id=case_id, shelter_id=NORTH, shelter_code="N",
                admitted_at=T0 + timedelta(hours=1), isolated=False, version=version)


def test_the_case_shows_where_its_person_is_lodged_whatever_order_the_news_comes_in(app):
    case_id = opened(app, SUPERVISOR, caseworker_id="cw-1")[0].case_id
    stay_id = str(uuid.uuid4())
    deliver(app, shelter.RESIDENT_MOVED, stay_id=stay_id, case_id=case_id,
            from_shelter_id=NORTH, shelter_id=RIVER, shelter_code="R",
            moved_at=T0 + timedelta(days=2), reason="location_compromised", version=4)
    deliver(app, shelter.RESIDENT_ADMITTED, **admitted(case_id, stay_id))
    deliver(app, shelter.PLACEMENT_HELD, **held(case_id, stay_id))
    deliver(app, shelter.PLACEMENT_HELD, **held(case_id, stay_id))  # delivered twice

    (placement,) = app.case_placements(SUPERVISOR, case_id)["items"]
    assert (placement["status"], placement["shelter_code"]) == ("resident", "R")
    assert [h["news"] for h in placement["history"]] == ["PlacementHeld", "ResidentAdmitted",
                                                         "ResidentMoved"]
    assert "address" not in str(placement)


def test_a_discharge_and_a_decline_close_the_placements(app):
    case_id = opened(app, SUPERVISOR, caseworker_id="cw-1")[0].case_id
    lodged, declined = str(uuid.uuid4()), str(uuid.uuid4())
    deliver(app, shelter.RESIDENT_ADMITTED, **admitted(case_id, lodged, version=2))
    deliver(app, shelter.RESIDENT_DISCHARGED, stay_id=lodged, case_id=case_id,
            shelter_id=NORTH, shelter_code="N", discharged_at=T0 + timedelta(days=30),
            reason="independent_living", version=3)
    deliver(app, shelter.PLACEMENT_DECLINED, stay_id=declined, case_id=case_id,
            declined_at=T0, reason="no_suitable_bed", version=2)
    standing = {p["stay_id"]: p["status"] for p in app.case_placements(
        SUPERVISOR, case_id)["items"]}
    assert standing == {lodged: "discharged", declined: "declined"}


def test_a_night_intake_linked_to_the_case_joins_it(app):
    case_id = opened(app, SUPERVISOR, caseworker_id="cw-1")[0].case_id
    stay_id = str(uuid.uuid4())
    deliver(app, shelter.RESIDENT_ADMITTED, **{**admitted(None, stay_id, version=2)})
    assert app.case_placements(SUPERVISOR, case_id)["items"] == []  # not ours yet
    deliver(app, shelter.PLACEMENT_LINKED_TO_CASE, stay_id=stay_id, case_id=case_id,
            status="resident", shelter_id=NORTH, linked_at=T0 + timedelta(days=1), version=3)
    (placement,) = app.case_placements(SUPERVISOR, case_id)["items"]
    assert placement["status"] == "resident"


def test_only_the_cases_caseworker_supervisors_and_auditors_see_its_placements(app):
    case_id = opened(app, CASEWORKER)[0].case_id
    deliver(app, shelter.PLACEMENT_HELD, **held(case_id, str(uuid.uuid4())))
    assert app.case_placements(CASEWORKER, case_id)["items"]
    assert app.case_placements(AUDITOR, case_id)["items"]
    with pytest.raises(Forbidden):
        app.case_placements(COLLEAGUE, case_id)
    with pytest.raises(NotFound):
        app.case_placements(SUPERVISOR, uuid.uuid4())


def test_a_caseworker_who_takes_or_is_handed_a_case_sees_its_placements_once_confirmed(app):
    """Taking an unassigned case, or being handed one, must not tell a caseworker where its
    person is lodged before a supervisor confirms them: it is what a trafficker looks for."""
    case_id = opened(app, SUPERVISOR)[0].case_id  # unassigned
    deliver(app, shelter.PLACEMENT_HELD, **held(case_id, str(uuid.uuid4())))
    app.assign_caseworker(COLLEAGUE, uuid.UUID(case_id), "cw-2")  # takes it: pending
    with pytest.raises(Forbidden):
        app.case_placements(COLLEAGUE, case_id)
    app.confirm_assignment(SUPERVISOR, uuid.UUID(case_id))
    assert app.case_placements(COLLEAGUE, case_id)["items"]
    app.assign_caseworker(COLLEAGUE, uuid.UUID(case_id), "cw-1")  # hands it over: pending
    for caseworker in (CASEWORKER, COLLEAGUE):
        with pytest.raises(Forbidden):
            app.case_placements(caseworker, case_id)


def test_news_about_a_case_unknown_here_changes_nothing(app):
    before = app.recorder.max_notification_id()
    deliver(app, shelter.PLACEMENT_HELD, **held(str(uuid.uuid4()), str(uuid.uuid4())))
    assert app.recorder.max_notification_id() == before
