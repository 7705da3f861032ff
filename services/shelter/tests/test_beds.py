"""Requests, holds, admissions, moves and discharges on a real PostgreSQL store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.shelter.domain import Shelter, Stay
from services.shelter.tests.conftest import (
    ADDRESS,
    CASEWORKER,
    OTHER_CASEWORKER,
    STAFF_NORTH,
    STAFF_RIVER,
    SUPERVISOR,
    intake,
    open_case,
    register,
    request_bed,
)
from shared.errors import Forbidden, InvalidInput, NotFound, RuleViolated


def events_of(app, stay_id) -> list[str]:
    return [type(e).__name__ for e in app.repository.event_store.get(stay_id)]


def test_a_request_at_3am_is_held_a_bed_and_the_caseworker_sees_where(app, clock):
    north = register(app)
    case_id = open_case(app)
    stay_id = request_bed(app, case_id)
    stay = app.stay_detail(CASEWORKER, stay_id, purpose="case_work")
    assert stay["status"] == "held" and stay["shelter_id"] == north["shelter_id"]
    assert stay["hold_expires_at"] == clock.now + timedelta(hours=4)
    assert stay["shelter_address"] == ADDRESS and stay["personal_data"] == "included"
    other = app.stay_detail(OTHER_CASEWORKER, stay_id, purpose="case_work")
    assert other["shelter_address"] is None and other["personal_data"] == "withheld"
    assert app.shelter_detail(CASEWORKER, north["shelter_id"], "case_work")["address"] == ADDRESS


def test_the_same_request_delivered_twice_is_one_stay(app):
    from services.casework.contracts import SHELTER_PLACEMENT_REQUESTED
    from services.shelter.tests.conftest import deliver

    register(app)
    case_id = open_case(app)
    stay_id = request_bed(app, case_id)
    before = app.recorder.max_notification_id()
    deliver(app, SHELTER_PLACEMENT_REQUESTED, type(app).receive_request, {
        "case_id": case_id, "request_id": stay_id, "needs_isolation": False,
        "isolation_reason": None, "accompanying_children": 0, "needed_from": None,
        "gender": "Female", "languages": [], "requested_at": app.clock()})
    assert app.recorder.max_notification_id() == before
    assert app.views.occupancy()["shelters"][0]["held"] == 1


def test_with_no_bed_free_a_request_waits_and_takes_the_first_bed_freed(app, clock):
    register(app, rooms=[{"name": "A", "beds": ["1"]}])
    first = request_bed(app, open_case(app))
    clock.advance(minutes=5)
    waiting = request_bed(app, open_case(app))
    assert app.stay(waiting).status == "waiting"
    app.admit_resident(STAFF_NORTH, first)
    app.discharge_resident(STAFF_NORTH, first, "independent_living")
    assert app.stay(waiting).status == "held"  # offered at once, not at the next poll


def test_admission_takes_the_held_bed_and_a_hold_elsewhere_is_released(app):
    north, river = register(app, "N"), register(app, "R", staff="staff-r1")
    held_north = request_bed(app, open_case(app))
    assert app.stay(held_north).place["shelter_id"] == north["shelter_id"]
    placed = app.admit_resident(STAFF_RIVER, held_north)  # they turned up at River House
    assert placed["shelter_id"] == river["shelter_id"]
    assert events_of(app, held_north)[-2:] == ["HoldCancelled", "ResidentAdmitted"]
    occupancy = {s["code"]: s for s in app.views.occupancy()["shelters"]}
    assert (occupancy["N"]["held"], occupancy["R"]["occupied"]) == (0, 1)


def test_staff_admit_only_into_their_own_shelter(app):
    register(app, "N")
    register(app, "R", staff="staff-r1")
    stay_id = intake(app, STAFF_NORTH)
    north_beds = app.shelters()[0].beds if app.shelters()[0].code == "N" else app.shelters()[1].beds
    with pytest.raises(NotFound):  # River's own intake: into River's beds only
        app.admit_resident(STAFF_RIVER, intake(app, STAFF_RIVER), bed_id=next(iter(north_beds)))
    with pytest.raises(Forbidden):  # North took her in: while she waits, she is North's
        app.admit_resident(STAFF_RIVER, stay_id, bed_id=next(iter(north_beds)))
    with pytest.raises(Forbidden):
        app.admit_resident(CASEWORKER, stay_id)
    assert app.stay(stay_id).status == "waiting"


def test_a_night_intake_is_admitted_and_moved_within_and_between_shelters(app, clock):
    register(app, "N")
    river = register(app, "R", staff="staff-r1")
    stay_id = intake(app, police_reference="KMP-2026-5512")
    first = app.admit_resident(STAFF_NORTH, stay_id, known_as="Marta K.")
    clock.advance(hours=2)
    second = app.move_resident(STAFF_NORTH, stay_id, "resident_request")
    assert second["shelter_id"] == first["shelter_id"] and second["bed_id"] != first["bed_id"]
    with pytest.raises(Forbidden):  # River's roster is not theirs
        app.move_resident(STAFF_NORTH, stay_id, "other", shelter_id=river["shelter_id"])
    moved = app.move_resident(SUPERVISOR, stay_id, "other", shelter_id=river["shelter_id"])
    assert moved["shelter_code"] == "R"
    stay = app.load(Stay, stay_id)
    assert stay.known_as == "Marta K." and stay.police_reference == "KMP-2026-5512"
    assert events_of(app, stay_id).count("ResidentMoved") == 2


def test_a_hold_due_is_expired_once_by_the_poll(app, clock):
    register(app, rooms=[{"name": "A", "beds": ["1"]}])
    stay_id = request_bed(app, open_case(app))
    clock.advance(hours=3, minutes=59)
    assert app.run_due_work()["holds_expired"] == 0
    clock.advance(minutes=1)
    assert app.run_due_work()["holds_expired"] == 1
    assert app.run_due_work()["holds_expired"] == 0
    assert events_of(app, stay_id).count("HoldExpired") == 1
    stay = app.stay(stay_id)
    assert stay.status == "waiting" and not stay.auto_hold  # a person decides what next
    assert app.views.occupancy()["shelters"][0]["beds_free"] == 1


def test_a_request_for_a_later_day_is_held_a_bed_on_that_day(app, clock):
    register(app)
    stay_id = request_bed(app, open_case(app), needed_from=(clock.now + timedelta(days=2)).date())
    assert app.stay(stay_id).status == "waiting"
    clock.advance(days=2)
    app.run_due_work()
    assert app.stay(stay_id).status == "held"


def test_a_wait_over_two_hours_is_noticed_once(app, clock):
    register(app, rooms=[])
    stay_id = request_bed(app, open_case(app))
    clock.advance(hours=2, minutes=1)
    assert app.run_due_work()["long_waits"] == 1
    assert app.run_due_work()["long_waits"] == 0
    assert events_of(app, stay_id).count("PlacementWaitingLong") == 1


def test_the_waiting_list_puts_emergencies_first_then_the_longest_wait(app, clock):
    register(app, rooms=[])
    routine = request_bed(app, open_case(app, urgency="routine"))
    clock.advance(minutes=10)
    urgent = request_bed(app, open_case(app, urgency="urgent"))
    clock.advance(minutes=10)
    emergency = intake(app, urgency="emergency")
    clock.advance(minutes=10)
    later_urgent = request_bed(app, open_case(app, urgency="urgent"))
    listed = app.waiting_list(STAFF_NORTH)["items"]
    assert [i["stay_id"] for i in listed] == [emergency, urgent, later_urgent, routine]
    assert [i["waiting_minutes"] for i in listed] == [10, 20, 0, 30]
    app.prioritise_placement(STAFF_NORTH, routine, "emergency")
    assert app.waiting_list(STAFF_NORTH)["items"][0]["stay_id"] == routine


def test_a_declined_request_leaves_the_list_and_frees_its_hold(app):
    register(app, rooms=[{"name": "A", "beds": ["1"]}])
    stay_id = request_bed(app, open_case(app))
    app.decline_placement(STAFF_NORTH, stay_id, "client_declined")
    assert app.waiting_list(STAFF_NORTH)["items"] == []
    assert app.views.occupancy()["shelters"][0]["beds_free"] == 1
    with pytest.raises(RuleViolated):
        app.admit_resident(STAFF_NORTH, stay_id)


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(app):
    north = register(app)
    waiting, resident = intake(app), intake(app)
    app.admit_resident(STAFF_NORTH, resident)
    before = app.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        app.discharge_resident(STAFF_NORTH, resident, "vanished")
    assert list(refused.value.errors) == ["discharge_reason"]
    with pytest.raises(RuleViolated):
        app.discharge_resident(STAFF_NORTH, waiting, "independent_living")
    with pytest.raises(InvalidInput):
        app.add_room(SUPERVISOR, north["shelter_id"], "A", [], ["1"])  # a second room "A"
    assert app.recorder.max_notification_id() == before


def test_a_room_out_of_service_returns_when_its_period_ends(app, clock):
    north = register(app, rooms=[{"name": "A", "beds": ["1", "2"]}])
    shelter = app.load(Shelter, north["shelter_id"])
    room_id = next(iter(shelter.rooms))
    app.take_room_out_of_service(STAFF_NORTH, north["shelter_id"], room_id, "cooling_off",
                                 until=clock.now + timedelta(hours=24))
    assert app.views.occupancy()["shelters"][0]["beds_free"] == 0
    waiting = request_bed(app, open_case(app))
    clock.advance(hours=24)
    assert app.run_due_work()["rooms_returned"] == 1
    assert app.stay(waiting).status == "held"
    with pytest.raises(Forbidden):
        app.take_room_out_of_service(STAFF_RIVER, north["shelter_id"], room_id, "repair")
