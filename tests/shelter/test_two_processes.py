"""Two shelter service processes at once (`haven run shelter`, as deployed: two replicas),
both consuming casework's requests, both serving RPCs, both polling what falls due.

The invariants hold by construction in the event store -- never two people in one bed,
never one person in two beds, never more people than beds, never an isolation outside an
isolation room of its own, never a keep-apart pair in one room -- whoever wins each race;
and a hold that expired while no process ran is released exactly once when they start again.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import eventlet

from services.casework.application import Casework
from services.shelter.domain import Shelter, Stay
from services.shelter.tests.conftest import (
    STAFF_NORTH,
    SUPERVISOR,
    intake,
    open_case,
    register,
    request_bed,
)
from shared.audit import CommandContext
from shared.bootstrap import build_relay
from shared.errors import RuleViolated
from shared.testing import vhost_of
from shared.testing.plugin import eventually
from tests.shelter.processes import call_all, consumers, recount, running

FIVE_BEDS = [{"name": "A", "beds": ["1", "2"]}, {"name": "B", "beds": ["1", "2"]},
             {"name": "C", "beds": ["1"]}]


def check_the_beds(shelters) -> dict[str, tuple[str, str | None]]:
    """No bed with two people, nobody with two beds, and the occupancy read model equal to
    a recount from the stored events (and to the shelters' own state)."""
    truth = recount(shelters)
    people = Counter(stay for _, stay in truth.values() if stay is not None)
    assert all(n == 1 for n in people.values()), people
    kept = {row["bed_id"]: (row["state"], row["stay_id"]) for row in shelters.views.beds()}
    assert kept == truth
    assert shelters.reconcile_occupancy(SUPERVISOR)["differences"] == []
    return truth


def test_twenty_admissions_racing_for_five_beds_across_two_processes(
        shelters, own_schemas, tmp_path):
    river = register(shelters, "R", staff="staff-n1", rooms=FIVE_BEDS)
    stays = [shelters.night_intake(STAFF_NORTH, gender="Female", referred_by="police")
             ["stay_id"] for _ in range(20)]
    with running(tmp_path) as processes:
        # Every stay asked twice at once: twenty people for five beds, and each of them
        # at two desks (two calls racing for one person).
        answers = call_all(own_schemas, [("admit_resident", {"stay_id": s}) for s in stays * 2],
                           user="staff-n1", roles=("shelter_staff",))
        served = [p.metric("haven_rpc_calls_total", method="admit_resident") for p in processes]
        # The gauge follows at the next poll of each process.
        eventually(lambda: all(p.metric("haven_shelter_beds_free", shelter="R") == 0
                               for p in processes))
    admitted = [a["stay_id"] for a in answers if isinstance(a, dict)]
    refused = [a for a in answers if not isinstance(a, dict)]
    assert len(admitted) == 5 and len(set(admitted)) == 5, admitted
    assert all(isinstance(r, RuleViolated) for r in refused) and len(refused) == 35
    assert all(n > 0 for n in served), served  # both processes served calls

    truth = check_the_beds(shelters)
    assert sorted(stay for _, stay in truth.values()) == sorted(admitted)
    statuses = Counter(shelters.stay(s).status for s in stays)
    assert statuses == Counter({"resident": 5, "waiting": 15})
    assert shelters.occupancy(SUPERVISOR, river["shelter_id"])["shelters"][0]["occupied"] == 5


def test_twenty_requests_from_casework_for_five_beds_consumed_by_two_processes(
        shelters, own_schemas, tmp_path):
    register(shelters, "N", rooms=FIVE_BEDS)
    casework = Casework(own_schemas)
    supervisor = CommandContext(actor_id="sup-1", actor_role="supervisor", command="test")
    relay = build_relay("casework", own_schemas)
    stop = threading.Event()
    try:
        with running(tmp_path) as processes:
            queue = "evt-casework-ShelterPlacementRequested--shelter.on_placement_requested"
            eventually(lambda: consumers(vhost_of(own_schemas.amqp_uri), queue) == 2)
            requests = []
            for _ in range(20):
                case = casework.open_case(supervisor, client={
                    "given_name": "Iryna", "family_name": "Bondar", "birth_year": 1990},
                    origin_country="UA", urgency="emergency")
                requests.append(casework.request_shelter_placement(
                    supervisor, case.case_id)["request_id"])
            relaying = eventlet.spawn(relay.run_forever, 0.02, stop)
            eventually(lambda: all(shelters.find(Stay, r) for r in requests), timeout=60)
            handled = [p.metric("haven_consumer_messages_total", event="ShelterPlacementRequested",
                                outcome="handled") for p in processes]
            stop.set()
            relaying.wait()
    finally:
        relay.close()
        casework.close()
    statuses = Counter(shelters.stay(r).status for r in requests)
    assert statuses == Counter({"held": 5, "waiting": 15})
    assert sum(handled) == 20 and all(handled), handled  # both consumed
    check_the_beds(shelters)


def test_a_hold_that_expired_while_stopped_is_released_exactly_once(shelters, tmp_path):
    then = datetime.now(UTC) - timedelta(hours=5)
    shelters.clock = lambda: then
    register(shelters, rooms=[{"name": "A", "beds": ["1"]}])
    stay_id = request_bed(shelters, open_case(shelters))
    assert shelters.stay(stay_id).hold_expires_at < datetime.now(UTC)  # expired an hour ago

    def expiries() -> int:
        return [type(e).__name__ for e in shelters.repository.event_store.get(stay_id)
                ].count("HoldExpired")

    with running(tmp_path, name="first"):
        eventually(lambda: shelters.stay(stay_id).status == "waiting")
    with running(tmp_path, name="second") as processes:  # and once more after a restart
        eventually(lambda: all(p.metric("haven_shelter_beds_free", shelter="N") == 1
                               for p in processes))
    assert expiries() == 1
    shelter = shelters.load(Shelter, shelters.shelter_ids()[0])
    assert all(bed.occupant is None for bed in shelter.beds.values())
    check_the_beds(shelters)


def test_isolation_and_keep_apart_hold_when_two_processes_race_for_one_room(
        shelters, own_schemas, tmp_path):
    """Each bed asked for alone would be granted: only the race decides who is refused.
    Three keep-apart pairs each sent at once to the two beds of one room; two people who
    need isolation sent at once to the two beds of the one isolation room; and two people
    sent at once to two shelters each."""
    rooms = [{"name": n, "beds": ["1", "2"]} for n in "ABC"] + [
        {"name": "Iso", "tags": ["isolation"], "beds": ["1", "2"]}]
    north = register(shelters, "K", rooms=rooms)
    river = register(shelters, "L", staff="staff-r1", rooms=[{"name": "A", "beds": ["1", "2"]}])
    house = shelters.load(Shelter, north["shelter_id"])
    beds_of = {room.name: room.bed_ids for room in house.rooms.values()}
    pairs = []
    for _ in range(3):
        recruiter, victim = open_case(shelters), open_case(shelters)
        shelters.keep_apart(SUPERVISOR, recruiter, victim, "room", "suspected_recruiter")
        pair = (intake(shelters), intake(shelters))
        for stay_id, case_id in zip(pair, (recruiter, victim), strict=True):
            shelters.link_to_case(SUPERVISOR, stay_id, case_id)
        pairs.append(pair)
    isolated = [intake(shelters, isolation_reason=r) for r in ("health", "safety")]
    wanderers = [intake(shelters) for _ in range(2)]
    calls = [("admit_resident", {"stay_id": stay_id, "bed_id": bed_id})
             for (a, b), room in zip(pairs, "ABC", strict=True)
             for stay_id, bed_id in zip((a, b), beds_of[room], strict=True)]
    calls += [("admit_resident", {"stay_id": s, "bed_id": b})
              for s, b in zip(isolated, beds_of["Iso"], strict=True)]
    # The wanderers race only each other, once the rooms' races are decided: a bed is
    # chosen for them, and sent alongside they took the pairs' named beds first as often
    # as not (both of a pair then refused "the bed is taken", on a faster machine).
    later = [("admit_resident", {"stay_id": s, "shelter_id": where})
             for s in wanderers for where in (north["shelter_id"], river["shelter_id"])]
    def isolation_rooms_free(processes, n: int) -> bool:  # each process's gauge, per poll
        return all(p.metric("haven_shelter_isolation_rooms_free", shelter="K") == n
                   for p in processes)

    with running(tmp_path) as processes:
        eventually(lambda: isolation_rooms_free(processes, 1))
        answers = call_all(own_schemas, calls, user="sup-1", roles=("supervisor",))
        answers += call_all(own_schemas, later, user="sup-1", roles=("supervisor",))
        eventually(lambda: isolation_rooms_free(processes, 0))
    admitted = {a["stay_id"]: (a["shelter_code"], a["room_id"]) for a in answers
                if isinstance(a, dict)}
    assert all(isinstance(a, RuleViolated) for a in answers if not isinstance(a, dict))

    for a, b in pairs:  # one of each pair has the room; the other was refused
        assert (a in admitted) != (b in admitted), (a, b, answers)
    assert sum(s in admitted for s in isolated) == 1, answers
    assert all(s in admitted for s in wanderers) and len(answers) - len(admitted) == 3 + 1 + 2

    # The same, straight from the stored events: who sleeps in which room.
    truth = check_the_beds(shelters)
    room_of = {bed: (code, room.name, room.tags)
               for shelter in shelters.shelters() for room in shelter.rooms.values()
               for code in [shelter.code] for bed in room.bed_ids}
    rooms_of: dict[tuple[str, str], list[str]] = {}
    for bed_id, (_, stay_id) in truth.items():
        if stay_id is not None:
            rooms_of.setdefault(room_of[bed_id][:2], []).append(stay_id)
    apart = {frozenset(pair) for pair in pairs}
    for (code, name), people in rooms_of.items():
        assert not [p for p in apart if p <= set(people)], (code, name, people)
        if set(people) & set(isolated):
            assert len(people) == 1 and name == "Iso", (code, name, people)
    assert Counter(stay for stays in rooms_of.values() for stay in stays) == Counter(
        set(admitted))
