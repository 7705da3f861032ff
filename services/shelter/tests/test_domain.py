"""The shelters' rules, without any server."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.shelter.domain import CaseFile, Placed, Shelter, Stay
from services.shelter.domain.access import may_see_address
from services.shelter.domain.placing import apart_scope, room_refusal
from services.shelter.domain.rules import (
    AccessDenied,
    BedUnavailable,
    InvalidValue,
    RoomInUse,
    ShelterClosed,
    WrongState,
)

pytestmark = pytest.mark.no_servers

T0 = datetime(2026, 3, 3, 2, 40, tzinfo=UTC)  # 3 a.m., a police referral at the door
LATER = T0 + timedelta(hours=4)


def house(*rooms: tuple[str, list[str], int]) -> Shelter:
    shelter = Shelter.register(shelter_id=uuid.uuid4(), code="N", name="North House",
                               address="ul. Cicha 5, Gdańsk", registered_at=T0)
    for name, tags, beds in rooms:
        shelter.add_room(room_id=name, name=name, tags=tags,
                         beds=[(f"{name}-{n}", str(n)) for n in range(1, beds + 1)], at=T0)
    return shelter


def person(**facts) -> Placed:
    return Placed(**{"stay_id": str(uuid.uuid4()), "gender": "Female", **facts})


def stay(**overrides) -> Stay:
    values = {"stay_id": uuid.uuid4(), "source": "casework", "requested_at": T0,
              "case_id": str(uuid.uuid4()), "gender": "Female", "languages": ["uk"],
              **overrides}
    return Stay.request(**values)


PLACE = {"shelter_id": "s-1", "shelter_code": "N", "room_id": "A", "bed_id": "A-1"}


# -- beds ----------------------------------------------------------------------------------------
def test_a_bed_holds_one_person_and_a_hold_counts_as_taken():
    shelter = house(("A", [], 2))
    first, second = person(), person()
    shelter.hold("A-1", first, T0, LATER)
    with pytest.raises(BedUnavailable, match="held"):
        shelter.occupy("A-1", second, T0)
    shelter.occupy("A-1", first, T0 + timedelta(hours=1))  # the person the bed was held for
    with pytest.raises(BedUnavailable, match="taken"):
        shelter.hold("A-1", second, T0, LATER)
    assert shelter.availability()["beds_free"] == 1


def test_one_person_never_has_two_beds_in_a_shelter():
    shelter = house(("A", [], 2))
    resident = person()
    shelter.occupy("A-1", resident, T0)
    with pytest.raises(WrongState):
        shelter.occupy("A-2", resident, T0)
    with pytest.raises(WrongState):
        shelter.hold("A-2", resident, T0, LATER)


def test_a_stay_moves_through_hold_admission_and_discharge_in_order():
    s = stay()
    s.hold(PLACE, T0, LATER)
    assert s.hold_due(LATER) and not s.hold_due(LATER - timedelta(seconds=1))
    with pytest.raises(WrongState):
        s.discharge("independent_living", T0)
    s.admit(PLACE, T0 + timedelta(hours=1))
    with pytest.raises(WrongState):
        s.admit(PLACE, T0)
    s.discharge("independent_living", T0 + timedelta(days=9))
    assert s.status == "discharged"
    with pytest.raises(WrongState):
        s.decline("withdrawn", T0)


def test_an_expired_hold_is_not_renewed_automatically():
    s = stay(auto_hold=True)
    s.hold(PLACE, T0, LATER)
    s.expire_hold(LATER)
    assert (s.status, s.auto_hold, s.waiting_since) == ("waiting", False, LATER)
    with pytest.raises(WrongState):
        s.expire_hold(LATER)  # only once


def test_a_hold_released_because_the_shelter_was_compromised_keeps_looking():
    s = stay(auto_hold=True)
    s.hold(PLACE, T0, LATER)
    s.cancel_hold(T0, "location_compromised")
    assert s.auto_hold


def test_a_long_wait_is_noticed_once_a_spell():
    s = stay()
    assert not s.notice_long_wait(T0 + timedelta(hours=1), timedelta(hours=2))
    assert s.notice_long_wait(T0 + timedelta(hours=2), timedelta(hours=2))
    assert not s.notice_long_wait(T0 + timedelta(hours=3), timedelta(hours=2))


def test_counts_follow_holds_admissions_and_rooms_out_of_service():
    shelter = house(("A", [], 2), ("Iso", ["isolation"], 1))
    assert shelter.availability() == {"beds_in_service": 3, "beds_free": 3,
                                      "isolation_rooms_free": 1, "open": True}
    shelter.take_out_of_service("A", "deep_clean", T0, LATER)
    assert shelter.availability()["beds_in_service"] == 1
    assert shelter.house.rooms_due_back(LATER) == ["A"]
    assert shelter.return_to_service("A", LATER) and not shelter.return_to_service("A", LATER)
    shelter.hold("Iso-1", person(isolation=True), T0, LATER)
    assert shelter.availability()["isolation_rooms_free"] == 0


def test_a_room_in_use_cannot_go_out_of_service():
    shelter = house(("A", [], 2))
    shelter.occupy("A-1", person(), T0)
    with pytest.raises(RoomInUse):
        shelter.take_out_of_service("A", "repair", T0, None)


def test_a_bed_history_never_runs_backwards_across_processes_clocks():
    shelter = house(("A", [], 1))
    someone = person()
    shelter.occupy("A-1", someone, T0)
    shelter.vacate(someone.stay_id, T0 - timedelta(milliseconds=3), "discharged")
    assert shelter.beds["A-1"].since == T0


# -- isolation and keep-apart ----------------------------------------------------------------------
def test_isolation_needs_an_isolation_room_to_themselves():
    shelter = house(("A", [], 2), ("Iso", ["isolation"], 2))
    isolated = person(isolation=True)
    assert "isolation room" in shelter.refusal("A-1", isolated)
    shelter.occupy("Iso-1", person(), T0)  # staff put someone there
    assert "to themselves" in shelter.refusal("Iso-2", isolated)
    shelter.vacate(shelter.beds["Iso-1"].occupant.stay_id, T0, "moved")
    shelter.occupy("Iso-1", isolated, T0)
    assert "isolation in use" in shelter.refusal("Iso-2", person())


def test_automatic_choice_keeps_isolation_rooms_for_isolation():
    shelter = house(("Iso", ["isolation"], 1), ("A", [], 1))
    assert [b[3] for b in shelter.suitable_beds(person())] == ["A-1"]
    assert [b[3] for b in shelter.suitable_beds(person(isolation=True))] == ["Iso-1"]


def test_same_case_group_never_shares_a_room():
    shelter = house(("A", [], 2), ("B", [], 2))
    shelter.occupy("A-1", person(group="op-baltic"), T0)
    newcomer = person(group="op-baltic")
    assert "kept apart" in shelter.refusal("A-2", newcomer)
    assert shelter.refusal("B-1", newcomer) is None


def test_a_flag_on_either_side_keeps_them_apart_in_the_room_or_the_shelter():
    recruiter, victim = str(uuid.uuid4()), str(uuid.uuid4())
    shelter = house(("A", [], 2), ("B", [], 2))
    shelter.occupy("A-1", person(case_id=recruiter), T0)
    room_only = person(case_id=victim, apart={recruiter: "room"})
    assert shelter.refusal("A-2", room_only) is not None
    assert shelter.refusal("B-1", room_only) is None
    whole_house = person(case_id=victim, apart={recruiter: "shelter"})
    assert "in this shelter" in shelter.refusal("B-1", whole_house)
    assert apart_scope(person(case_id=recruiter, apart={victim: "shelter"}),
                       person(case_id=victim)) == "shelter"


def test_room_tags_decide_who_may_sleep_there():
    assert room_refusal(["women_only"], [], person(gender="Male")) is not None
    assert room_refusal(["women_only"], [], person(gender="TransgenderFemale")) is None
    assert room_refusal([], [], person(children=2)) == "accompanying children need a family room"
    assert room_refusal(["family"], [], person(children=2)) is None


def test_a_flag_recorded_after_placement_shows_as_a_breach():
    one, other = str(uuid.uuid4()), str(uuid.uuid4())
    shelter = house(("A", [], 2))
    a, b = person(case_id=one), person(case_id=other)
    shelter.occupy("A-1", a, T0)
    shelter.occupy("A-2", b, T0)
    shelter.update_person(Placed(**{**a.to_event(), "apart": {other: "room"}}))
    assert shelter.house.breaches() == [(a.stay_id, b.stay_id, "room")]


def test_a_room_cannot_be_retagged_under_someone_it_no_longer_fits():
    shelter = house(("A", [], 1))
    shelter.occupy("A-1", person(gender="Male"), T0)
    with pytest.raises(RoomInUse):
        shelter.retag_room("A", ["women_only"], T0)


def test_isolation_reviews_stay_within_the_maximum_duration():
    s = stay(isolation={"reason": "health", "max_days": 14, "review_on": "2026-03-06"})
    s.admit(PLACE, T0)
    assert s.isolation_ends_on == "2026-03-17"
    with pytest.raises(InvalidValue):
        s.review_isolation("continue", date(2026, 3, 20), T0)
    s.review_isolation("continue", date(2026, 3, 10), T0)
    s.review_isolation("end", None, T0)
    assert s.placed().isolation is False


def test_keep_apart_flags_are_kept_per_case_and_widen_only():
    case = CaseFile(case_id=str(uuid.uuid4()))
    other = str(uuid.uuid4())
    assert case.keep_apart_from(other, "room", "suspected_recruiter", "cw-1", T0)
    assert case.keep_apart_from(other, "shelter", "suspected_recruiter", "cw-1", T0)
    assert not case.keep_apart_from(other, "room", "suspected_recruiter", "cw-1", T0)
    assert case.apart == {other: "shelter"}
    with pytest.raises(InvalidValue):
        case.keep_apart_from(case.case_id, "room", "other", "cw-1", T0)


# -- location compromised ----------------------------------------------------------------------
def test_location_compromised_closes_the_shelter_and_lists_everyone_to_move():
    shelter = house(("A", [], 3))
    residents = [person(), person()]
    for n, resident in enumerate(residents, start=1):
        shelter.occupy(f"A-{n}", resident, T0)
    on_the_way = person()
    shelter.hold("A-3", on_the_way, T0, LATER)
    released = shelter.report_incident(
        incident_id=str(uuid.uuid4()), kind="location_compromised", severity="critical",
        occurred_at=T0, reported_at=T0, stay_ids=[], note="a car watched the house")
    assert released == [on_the_way.stay_id]
    assert shelter.closed and sorted(shelter.to_relocate) == sorted(r.stay_id for r in residents)
    assert shelter.availability()["beds_free"] == 0
    with pytest.raises(ShelterClosed):
        shelter.hold("A-3", person(), T0, LATER)
    for resident in residents:
        shelter.vacate(resident.stay_id, LATER, "moved")
    assert not shelter.relocating and shelter.closed  # closed until cleared
    shelter.clear(LATER)
    assert not shelter.closed


# -- who may see an address ----------------------------------------------------------------------
def test_only_the_roster_and_a_placed_persons_caseworker_see_the_address():
    roster = ["staff-n1"]
    assert may_see_address("shelter_staff", "staff-n1", roster, [])
    assert not may_see_address("shelter_staff", "staff-r1", roster, [])
    assert may_see_address("caseworker", "cw-1", roster, ["cw-1"])
    assert not may_see_address("caseworker", "cw-2", roster, ["cw-1"])
    assert not may_see_address("supervisor", "sup-1", roster, ["cw-1"])


def test_the_caseworker_is_the_one_confirmed_after_their_assignment_whatever_the_order():
    case = CaseFile(case_id=str(uuid.uuid4()))
    case.note_caseworker("cw-1", 2)
    case.note_confirmation("cw-1", 3)
    assert case.caseworker_id == "cw-1"
    case.note_caseworker("cw-2", 4)
    case.note_caseworker("cw-1", 5)  # taken back, no supervisor since
    assert case.caseworker_id is None
    late = CaseFile(case_id=str(uuid.uuid4()))
    late.note_confirmation("cw-1", 3)  # the confirmation overtook its assignment
    assert late.caseworker_id is None
    late.note_caseworker("cw-1", 2)
    assert late.caseworker_id == "cw-1"


def test_a_member_of_staff_runs_only_their_own_shelter():
    from services.shelter.domain.access import check_may_run

    check_may_run("shelter_staff", "staff-n1", ["staff-n1"])
    check_may_run("supervisor", "sup-1", [])
    with pytest.raises(AccessDenied):
        check_may_run("shelter_staff", "staff-r1", ["staff-n1"])
