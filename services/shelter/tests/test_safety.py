"""Isolation, keep-apart, location compromised and erasure on a real PostgreSQL store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.casework.contracts import SUBJECT_ERASED
from services.shelter.application import Shelters
from services.shelter.domain import Shelter, Stay
from services.shelter.tests.conftest import (
    CASEWORKER,
    OTHER_CASEWORKER,
    STAFF_NORTH,
    SUPERVISOR,
    T0,
    deliver,
    intake,
    open_case,
    register,
    request_bed,
)
from shared.crypto import ERASED
from shared.errors import Forbidden, RuleViolated


def room_of(app, stay_id) -> tuple[str, str]:
    stay = app.stay(stay_id)
    shelter = app.load(Shelter, stay.place["shelter_id"])
    return str(shelter.id), shelter.beds[stay.place["bed_id"]].room_id


def test_an_isolation_request_is_held_only_an_isolation_room_and_never_shares_it(app):
    north = register(app)
    isolated = request_bed(app, open_case(app), needs_isolation=True, isolation_reason="health")
    shelter = app.load(Shelter, north["shelter_id"])
    iso_room = next(r for r, room in shelter.rooms.items() if "isolation" in room.tags)
    assert room_of(app, isolated)[1] == iso_room
    second = request_bed(app, open_case(app), needs_isolation=True, isolation_reason="safety")
    assert app.stay(second).status == "waiting"  # the one isolation room is taken
    someone = intake(app)
    iso_bed_free = [b for b in shelter.rooms[iso_room].bed_ids if b != app.stay(
        isolated).place["bed_id"]]
    assert not iso_bed_free  # a single room: nothing left to share
    shared_bed = next(b for b, bed in shelter.beds.items() if bed.room_id != iso_room)
    with pytest.raises(RuleViolated, match="isolation room"):
        app.admit_resident(STAFF_NORTH, second, bed_id=shared_bed)
    app.admit_resident(STAFF_NORTH, isolated)
    app.admit_resident(STAFF_NORTH, someone)
    assert room_of(app, someone)[1] != iso_room


def test_a_keep_apart_pair_never_shares_a_room(app):
    register(app, rooms=[{"name": "A", "beds": ["1", "2"]}, {"name": "B", "beds": ["1", "2"]}])
    recruiter, victim = open_case(app), open_case(app, caseworker="cw-2")
    with pytest.raises(Forbidden):  # neither case is theirs
        app.keep_apart(CommandContextFor("cw-9"), recruiter, victim, "room",
                       "suspected_recruiter")
    app.keep_apart(CASEWORKER, recruiter, victim, "room", "suspected_recruiter")
    first = request_bed(app, recruiter)
    second = request_bed(app, victim)
    assert room_of(app, first)[1] != room_of(app, second)[1]
    shelter = app.load(Shelter, room_of(app, first)[0])
    mate_bed = next(b for b in shelter.rooms[room_of(app, first)[1]].bed_ids
                    if b != app.stay(first).place["bed_id"])
    app.cancel_hold(STAFF_NORTH, second, "person_not_coming")
    with pytest.raises(RuleViolated, match="kept apart"):
        app.admit_resident(STAFF_NORTH, second, bed_id=mate_bed)


def test_people_of_one_case_group_are_held_beds_in_different_rooms(app):
    register(app, rooms=[{"name": n, "beds": ["1", "2"]} for n in "ABC"])
    cases = [open_case(app) for _ in range(3)]
    for case_id in cases:
        app.set_case_group(CASEWORKER, case_id, "op-baltic-2026")
    stays = [request_bed(app, case_id) for case_id in cases]
    assert len({room_of(app, s)[1] for s in stays}) == 3


def test_a_flag_on_people_already_together_is_shown_as_a_breach_to_move(app):
    register(app, rooms=[{"name": "A", "beds": ["1", "2"]}, {"name": "B", "beds": ["1"]}])
    one, other = open_case(app), open_case(app)
    a, b = request_bed(app, one), request_bed(app, other)
    app.admit_resident(STAFF_NORTH, a)
    app.admit_resident(STAFF_NORTH, b)
    assert room_of(app, a)[1] == room_of(app, b)[1]
    found = app.keep_apart(SUPERVISOR, one, other, "room", "former_exploiter")
    assert [set(breach["stay_ids"]) for breach in found["breaches"]] == [{a, b}]
    app.move_resident(STAFF_NORTH, b, "keep_apart")
    shelter_id = room_of(app, b)[0]
    assert app.residents(STAFF_NORTH, shelter_id)["breaches"] == []


def CommandContextFor(user: str):  # noqa: N802 - reads as a constant's constructor
    from shared.audit import CommandContext

    return CommandContext(actor_id=user, actor_role="caseworker", command="test")


def census_now(app, clock) -> dict:
    day = clock.now.date()
    return app.census(SUPERVISOR, day, day)["days"][0]


def test_location_compromised_relocates_everyone_and_the_census_holds(app, clock):
    north = register(app, "N", rooms=[{"name": "A", "beds": ["1", "2", "3"]},
                                      {"name": "Iso", "tags": ["isolation"], "beds": ["1"]}])
    register(app, "R", staff="staff-r1", rooms=[{"name": "A", "beds": ["1", "2"]},
                                                {"name": "B", "beds": ["1", "2"]}])
    register(app, "G", staff="staff-g1", rooms=[{"name": "A", "beds": ["1"]},
                                                {"name": "Iso", "tags": ["isolation"],
                                                 "beds": ["1"]}])
    residents = [intake(app) for _ in range(3)]
    for stay_id in residents:
        app.admit_resident(STAFF_NORTH, stay_id, shelter_id=north["shelter_id"])
    isolated = intake(app, isolation_reason="health")
    app.admit_resident(STAFF_NORTH, isolated, shelter_id=north["shelter_id"])
    on_the_way = request_bed(app, open_case(app))  # held at North? no: North is full
    clock.advance(hours=1)
    before = census_now(app, clock)
    assert before["bed_nights"] == 4 and before["by_shelter"] == {"N": 4}

    done = app.report_incident(STAFF_NORTH, north["shelter_id"], "location_compromised",
                               "critical", note="a car has watched the house since Monday")
    assert done["closed"] and done["to_relocate"] == 4 and done["relocated"] == 4
    after = census_now(app, clock)
    assert after["bed_nights"] == 4 and "N" not in after["by_shelter"]
    assert app.stay(isolated).place["shelter_code"] == "G"  # the other isolation room
    assert app.stay(on_the_way).status in ("held", "waiting")
    occupancy = {s["code"]: s for s in app.views.occupancy()["shelters"]}
    assert not occupancy["N"]["open"] and occupancy["N"]["occupied"] == 0
    assert not occupancy["N"]["relocating"]
    with pytest.raises(RuleViolated, match="closed"):
        app.admit_resident(SUPERVISOR, intake(app), shelter_id=north["shelter_id"])
    app.clear_shelter(SUPERVISOR, north["shelter_id"])
    assert app.views.occupancy(north["shelter_id"])["shelters"][0]["open"]


def test_residents_left_without_a_bed_are_moved_by_the_poll_when_one_frees(app, clock):
    north = register(app, "N", rooms=[{"name": "A", "beds": ["1", "2"]}])
    river = register(app, "R", staff="staff-r1", rooms=[{"name": "A", "beds": ["1"]}])
    residents = [intake(app) for _ in range(2)]
    for stay_id in residents:
        app.admit_resident(STAFF_NORTH, stay_id)
    occupant = intake(app)
    app.admit_resident(SUPERVISOR, occupant, shelter_id=river["shelter_id"])
    done = app.report_incident(STAFF_NORTH, north["shelter_id"], "location_compromised", "high")
    assert done["relocated"] == 0 and done["to_relocate"] == 2
    app.discharge_resident(SUPERVISOR, occupant, "independent_living")
    clock.advance(minutes=1)
    assert app.run_due_work()["relocated"] == 1
    assert app.views.relocating() == [north["shelter_id"]]  # tracked until every one is moved
    day = clock.now.date()
    assert app.census(SUPERVISOR, day, day)["bed_nights"] == 2


def test_erasure_removes_the_persons_data_from_the_shelters_stores(app):
    register(app)
    case_id = open_case(app)
    stay_id = request_bed(app, case_id)
    shelter_id = app.stay(stay_id).place["shelter_id"]
    app.admit_resident(STAFF_NORTH, stay_id, known_as="Oksana Z.")
    app.report_incident(STAFF_NORTH, shelter_id, "threat_received", "high",
                        stay_ids=[stay_id], note="her former boss Dragan phoned the house")
    deliver(app, SUBJECT_ERASED, Shelters.erase_subject, {
        "client_id": "5fc16854-fa07-4cf0-93ec-747c78d9e906", "subject_ids": ["s-1"],
        "case_ids": [case_id], "contact_ids": [], "erased_at": T0 + timedelta(days=3)})
    stay = app.load(Stay, stay_id)
    assert stay.known_as == ERASED and stay.erased
    incident = next(e for e in app.repository.event_store.get(
        stay.place["shelter_id"]) if type(e).__name__ == "SecurityIncidentReported")
    assert incident.note == ERASED
    app.views.settle()
    rows = app.views.store.query("SELECT case_id FROM {stays} WHERE stay_id = %s", [stay_id])
    assert rows == [{"case_id": None}]
    assert app.views.store.query("SELECT * FROM {case_files} WHERE case_id = %s",
                                 [case_id]) == []
    assert app.census(SUPERVISOR, T0.date(), T0.date())["bed_nights"] == 1  # statistics stay
    with pytest.raises(Exception):  # noqa: B017 - the case is gone for the shelters
        app.keep_apart(CASEWORKER, case_id, open_case(app), "room", "other")


def test_the_caseworker_sees_the_address_only_once_confirmed_and_while_placed(app):
    register(app)
    case_id = open_case(app, caseworker="cw-2", confirmed=False)
    stay_id = request_bed(app, case_id)
    assert app.stay_detail(OTHER_CASEWORKER, stay_id, "case_work")["shelter_address"] is None
    app.admit_resident(STAFF_NORTH, stay_id)
    app.discharge_resident(STAFF_NORTH, stay_id, "independent_living")
    confirmed = open_case(app)
    held = request_bed(app, confirmed)
    assert app.stay_detail(CASEWORKER, held, "case_work")["shelter_address"]
    shelter_id = app.stay(held).place["shelter_id"]
    app.cancel_hold(CASEWORKER, held, "person_not_coming")
    assert app.shelter_detail(CASEWORKER, shelter_id, "case_work")["address"] is None
