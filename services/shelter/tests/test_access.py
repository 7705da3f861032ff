"""Who may act on a stay and see what it holds, on a real PostgreSQL store: the holes a
security review found, each tried the way it was found."""

from __future__ import annotations

import uuid

import pytest

from services.shelter.domain import Shelter, Stay
from services.shelter.tests.conftest import (
    ADDRESS,
    CASEWORKER,
    STAFF_NORTH,
    STAFF_RIVER,
    SUPERVISOR,
    intake,
    open_case,
    register,
    request_bed,
)
from shared.audit import CommandContext
from shared.errors import Forbidden

# cw-1, the confirmed caseworker of the case, calling with another of their roles.
CASEWORKER_AS_STAFF = CommandContext(actor_id="cw-1", actor_role="shelter_staff",
                                     command="test")
# sup-7, a supervisor who has also taken a case as its caseworker.
SUPERVISOR_CASEWORKER = CommandContext(actor_id="sup-7", actor_role="supervisor",
                                       command="test")


def test_the_cases_caseworker_is_so_only_when_calling_as_a_caseworker():
    from services.shelter.domain.access import is_case_caseworker

    assert is_case_caseworker("caseworker", "cw-1", "cw-1")
    assert not is_case_caseworker("shelter_staff", "cw-1", "cw-1")
    assert not is_case_caseworker("supervisor", "cw-1", "cw-1")
    assert not is_case_caseworker("caseworker", "cw-2", "cw-1")
    assert not is_case_caseworker("caseworker", "cw-1", None)  # none confirmed


def test_a_caseworker_calling_in_another_role_cannot_choose_a_shelter_nor_see_its_address(app):
    north = register(app, "N")
    river = register(app, "R", staff="staff-r1")
    stay_id = request_bed(app, open_case(app))  # cw-1's case, held a bed at North
    app.cancel_hold(CASEWORKER, stay_id, "person_not_coming")
    with pytest.raises(Forbidden):  # cw-1 is on no roster
        app.hold_bed(CASEWORKER_AS_STAFF, stay_id, shelter_id=river["shelter_id"])
    with pytest.raises(Forbidden):
        app.prioritise_placement(CASEWORKER_AS_STAFF, stay_id, "emergency")
    app.assign_staff(SUPERVISOR, north["shelter_id"], "cw-1")  # staff at North too
    with pytest.raises(Forbidden):  # North's staff choose among North's beds, not River's
        app.hold_bed(CASEWORKER_AS_STAFF, stay_id, shelter_id=river["shelter_id"])
    app.withdraw_staff(SUPERVISOR, north["shelter_id"], "cw-1")
    assert app.stay(stay_id).status == "waiting"

    app.hold_bed(SUPERVISOR, stay_id, shelter_id=river["shelter_id"])
    shown = app.stay_detail(CASEWORKER_AS_STAFF, stay_id, "case_work")
    assert shown["shelter_address"] is None and shown["personal_data"] == "withheld"
    assert app.shelter_detail(CASEWORKER_AS_STAFF, river["shelter_id"],
                              "case_work")["address"] is None
    # control: as their case's caseworker they see where their client is held
    assert app.stay_detail(CASEWORKER, stay_id, "case_work")["shelter_address"] == ADDRESS


def test_after_discharge_neither_the_caseworker_nor_the_former_shelter_sees_where_or_who(app):
    north = register(app, "N")
    stay_id = request_bed(app, open_case(app))
    app.admit_resident(STAFF_NORTH, stay_id, known_as="Oksana Z.")
    assert app.stay_detail(CASEWORKER, stay_id, "case_work")["shelter_address"] == ADDRESS
    assert app.stay_detail(STAFF_NORTH, stay_id, "safety")["known_as"] == "Oksana Z."
    app.discharge_resident(STAFF_NORTH, stay_id, "independent_living")

    caseworker = app.stay_detail(CASEWORKER, stay_id, "case_work")
    assert caseworker["shelter_address"] is None
    assert caseworker["known_as"] == "Oksana Z."  # their client: the person's data stays theirs
    former = app.stay_detail(STAFF_NORTH, stay_id, "safety")
    assert former["personal_data"] == "withheld"
    assert (former["known_as"], former["shelter_address"]) == (None, None)
    assert former["shelter_id"] == north["shelter_id"]  # the record itself stays
    supervisor = app.stay_detail(SUPERVISOR, stay_id, "safety")
    assert supervisor["known_as"] == "Oksana Z." and supervisor["shelter_address"] is None
    assert app.shelter_detail(CASEWORKER, north["shelter_id"], "case_work")["address"] is None


def test_a_waiting_night_intake_belongs_to_the_shelter_that_received_it(app):
    north = register(app, "N")
    register(app, "R", staff="staff-r1")
    stay_id = intake(app, STAFF_NORTH, police_reference="KMP-2026-0042")
    isolated = intake(app, STAFF_NORTH, isolation_reason="health")
    case_id = open_case(app, caseworker="cw-2")
    with pytest.raises(Forbidden):
        app.hold_bed(STAFF_RIVER, stay_id)
    with pytest.raises(Forbidden):
        app.link_to_case(STAFF_RIVER, stay_id, case_id)
    with pytest.raises(Forbidden):
        app.admit_resident(STAFF_RIVER, stay_id)
    with pytest.raises(Forbidden):
        app.decline_placement(STAFF_RIVER, stay_id, "client_declined")
    with pytest.raises(Forbidden):
        app.prioritise_placement(STAFF_RIVER, stay_id, "routine")
    with pytest.raises(Forbidden):
        app.review_isolation(STAFF_RIVER, isolated, "end")
    stay = app.stay(stay_id)
    assert (stay.status, stay.case_id, stay.priority) == ("waiting", None, "emergency")
    shown = app.stay_detail(STAFF_RIVER, stay_id, "safety")
    assert shown["known_as"] is None and shown["police_reference"] is None

    # control: North's staff, who received her, find her a bed and link her to her case
    held = app.hold_bed(STAFF_NORTH, stay_id)
    assert held["shelter_id"] == north["shelter_id"]
    app.link_to_case(STAFF_NORTH, stay_id, case_id)
    assert app.stay(stay_id).case_id == case_id
    app.review_isolation(STAFF_NORTH, isolated, "end")


def test_a_night_intake_stored_before_its_shelter_was_recorded_belongs_to_its_receivers(app):
    """An intake from before the shelter was recorded with it: its receiver is the one who
    stored it (the audit trail), and their shelter is the one whose roster they are on."""
    north = register(app, "N")
    register(app, "R", staff="staff-r1")
    old = Stay.request(stay_id=uuid.uuid4(), source="night_intake",
                       requested_at=app.clock(), gender="Female", languages=[],
                       priority="emergency", referred_by="police", known_as="Marta")
    app.save(old, ctx=STAFF_NORTH)
    assert [type(e).__name__ for e in app.repository.event_store.get(old.id)] == [
        "PlacementRequested"]  # as every intake stored before
    with pytest.raises(Forbidden):
        app.hold_bed(STAFF_RIVER, old.id)
    assert app.hold_bed(STAFF_NORTH, old.id)["shelter_id"] == north["shelter_id"]


def test_a_night_intake_a_supervisor_took_in_waits_for_a_supervisor(app):
    register(app, "N")
    stay_id = intake(app, SUPERVISOR)
    with pytest.raises(Forbidden):
        app.admit_resident(STAFF_NORTH, stay_id)
    app.hold_bed(SUPERVISOR, stay_id)  # a supervisor finds the bed; its shelter takes over
    assert app.admit_resident(STAFF_NORTH, stay_id)["status"] == "resident"


def test_a_supervisor_does_not_put_themselves_on_a_roster(app):
    """A supervisor never sees a house's address; its staff do. One who also works as
    staff is put on a roster by another supervisor, not by themselves."""
    north = register(app, "N")
    with pytest.raises(Forbidden):
        app.assign_staff(SUPERVISOR, north["shelter_id"], SUPERVISOR.actor_id)
    assert SUPERVISOR.actor_id not in app.load(Shelter, north["shelter_id"]).staff


def test_a_supervisor_does_not_place_their_own_client_nor_link_a_stay_to_their_case(app):
    """A supervisor who is also a case's caseworker, choosing its shelter (or linking a
    night intake they admitted to their case), would then read that shelter's address as
    its caseworker: neither role gives that alone. Another supervisor decides."""
    north = register(app, "N")
    case_id = open_case(app, caseworker="sup-7", confirmed=False)  # taken, unconfirmed
    stay_id = request_bed(app, case_id)
    before = app.stay(stay_id).status
    for place in (lambda: app.hold_bed(SUPERVISOR_CASEWORKER, stay_id,
                                       shelter_id=north["shelter_id"]),
                  lambda: app.admit_resident(SUPERVISOR_CASEWORKER, stay_id,
                                             shelter_id=north["shelter_id"])):
        with pytest.raises(Forbidden):
            place()
    assert app.stay(stay_id).status == before
    night = intake(app)
    with pytest.raises(Forbidden):
        app.link_to_case(SUPERVISOR_CASEWORKER, night, case_id)
    # control: another supervisor places the client
    app.admit_resident(SUPERVISOR, stay_id, shelter_id=north["shelter_id"])
    assert app.stay(stay_id).status == "resident"
