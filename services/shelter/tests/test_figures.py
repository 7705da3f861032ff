"""The shelters' read models: the census a funder asks for (bed nights), length of stay,
occupancy, and a rebuild that gives the same answers as the live tables."""

from __future__ import annotations

from datetime import date, timedelta

from services.shelter.projections import projections
from services.shelter.tests.conftest import STAFF_NORTH, SUPERVISOR, T0, intake, register
from shared.projections import ProjectionRunner


def test_a_bed_night_is_counted_for_each_midnight_a_person_is_in(app, clock):
    register(app)
    clock.now = T0.replace(hour=21)  # 3 March, 21:00 UTC
    night = intake(app)
    app.admit_resident(STAFF_NORTH, night)
    clock.advance(hours=11)  # 4 March, 08:00
    app.discharge_resident(STAFF_NORTH, night, "referred_elsewhere")
    day_stay = intake(app)
    app.admit_resident(STAFF_NORTH, day_stay)
    clock.advance(hours=6)
    app.discharge_resident(STAFF_NORTH, day_stay, "left_voluntarily")
    staying = intake(app)
    app.admit_resident(STAFF_NORTH, staying)
    clock.advance(days=1, hours=2)  # 5 March, 16:00: a move counts once
    app.move_resident(STAFF_NORTH, staying, "resident_request")
    clock.advance(days=3)

    census = app.census(SUPERVISOR, date(2026, 3, 3), date(2026, 3, 6))
    assert [d["bed_nights"] for d in census["days"]] == [1, 1, 1, 1]
    assert census["bed_nights"] == 4
    assert census["days"][0]["by_shelter"] == {"N": 1}


def test_length_of_stay_of_the_months_discharges_and_of_those_still_in(app, clock):
    register(app, rooms=[{"name": "A", "beds": ["1", "2", "3"]}])
    stays = [intake(app) for _ in range(3)]
    for stay_id in stays:
        app.admit_resident(STAFF_NORTH, stay_id)
    clock.advance(days=4)
    app.discharge_resident(STAFF_NORTH, stays[0], "independent_living")
    clock.advance(days=6)
    app.discharge_resident(STAFF_NORTH, stays[1], "repatriated")
    figures = app.length_of_stay(SUPERVISOR, "2026-03")
    assert (figures["discharged"], figures["mean_days"], figures["max_days"]) == (2, 7.0, 10.0)
    assert figures["by_reason"] == {"independent_living": 1, "repatriated": 1}
    assert (figures["residents"], figures["mean_days_so_far"]) == (1, 10.0)
    assert app.length_of_stay(SUPERVISOR, "2026-04")["discharged"] == 0


def test_occupancy_counts_rooms_out_of_service_held_and_isolation(app, clock):
    north = register(app)
    first = intake(app)
    app.admit_resident(STAFF_NORTH, first)
    second = intake(app)
    app.hold_bed(STAFF_NORTH, second)
    room_b = next(r for r in app.views.occupancy()["shelters"][0]["rooms"] if r["name"] == "B")
    app.take_room_out_of_service(STAFF_NORTH, north["shelter_id"], room_b["room_id"],
                                 "deep_clean", until=clock.now + timedelta(hours=6))
    (shelter,) = app.occupancy(SUPERVISOR)["shelters"]
    assert {k: shelter[k] for k in ("beds", "beds_in_service", "occupied", "held", "beds_free",
                                    "isolation_rooms", "isolation_rooms_free",
                                    "rooms_out_of_service")} == {
        "beds": 5, "beds_in_service": 3, "occupied": 1, "held": 1, "beds_free": 1,
        "isolation_rooms": 1, "isolation_rooms_free": 1, "rooms_out_of_service": 1}


def test_a_rebuild_from_the_log_gives_the_same_read_models(app, clock):
    north = register(app, rooms=[{"name": "A", "beds": ["1", "2"]}, {"name": "B",
                                                                      "beds": ["1"]}])
    residents = [intake(app) for _ in range(3)]
    app.admit_resident(STAFF_NORTH, residents[0])
    app.admit_resident(STAFF_NORTH, residents[1])
    clock.advance(days=2)
    app.move_resident(SUPERVISOR, residents[1], "other")
    app.report_incident(STAFF_NORTH, north["shelter_id"], "intrusion_attempt", "medium")
    before = (app.occupancy(SUPERVISOR), app.waiting_list(SUPERVISOR),
              app.census(SUPERVISOR, T0.date(), clock.now.date()))
    runner = ProjectionRunner(app, projections())
    try:
        runner.rebuild()
    finally:
        runner.close()
    assert (app.occupancy(SUPERVISOR), app.waiting_list(SUPERVISOR),
            app.census(SUPERVISOR, T0.date(), clock.now.date())) == before
    assert app.reconcile_occupancy(SUPERVISOR) == {"beds_checked": 3, "differences": []}
