"""Hearings and sessions on a real PostgreSQL store: one person cannot be booked twice at
once -- not even by two bookings decided at the same moment -- and what hangs on a hearing
follows it when the court moves it."""

from __future__ import annotations

import threading
from datetime import timedelta
from uuid import UUID

import pytest

from services.casework.contracts import ASSIGNMENT_CONFIRMED, CASEWORKER_ASSIGNED
from services.legal.application import Legal
from services.legal.domain import Hearing, Matter, Session
from services.legal.tests.conftest import (
    CASEWORKER,
    LAWYER,
    SUPERVISOR,
    T0,
    a_hearing,
    a_matter,
    case_in_casework,
    deliver,
)
from shared.audit import CommandContext
from shared.crypto import is_sealed
from shared.errors import Forbidden, InvalidInput, RuleViolated

MONDAY = T0 + timedelta(days=7)
STRANGER = CommandContext(actor_id="cw-9", actor_role="caseworker", command="test")


@pytest.fixture
def matter_id(app, casework):
    return a_matter(app, case_in_casework(app, casework))


def book(app, matter_id, starts_at, hours=2, kind="witness_preparation", staff="cw-1",
         ctx=CASEWORKER, **more):
    return app.schedule_session(ctx, UUID(matter_id), kind, staff, starts_at=starts_at,
                                ends_at=starts_at + timedelta(hours=hours), **more)


def test_two_sessions_for_one_person_at_overlapping_times_the_second_is_refused_naming_it(
        app, matter_id):
    first = book(app, matter_id, MONDAY)["session_id"]
    with pytest.raises(RuleViolated) as refused:
        book(app, matter_id, MONDAY + timedelta(hours=1), kind="accompaniment")
    assert f"witness_preparation {first}" in refused.value.message
    assert "cw-1 is already booked" in refused.value.message
    book(app, matter_id, MONDAY + timedelta(hours=2))  # right after it: fine
    book(app, matter_id, MONDAY + timedelta(hours=1), staff="cw-2", ctx=SUPERVISOR)


def test_of_two_overlapping_bookings_decided_at_once_exactly_one_wins(app, matter_id, cfg):
    other_process = type(app)(cfg)  # the same store, its own connections
    other_process.clock = app.clock
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def booking(application, hours):
        start.wait()
        try:
            outcomes.append(book(application, matter_id, MONDAY + timedelta(hours=hours)))
        except RuleViolated as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=booking, args=(a, h))
               for a, h in ((app, 0), (other_process, 1))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other_process.close()
    won = [o for o in outcomes if isinstance(o, dict)]
    lost = [o for o in outcomes if isinstance(o, RuleViolated)]
    assert len(won) == 1 and len(lost) == 1
    assert won[0]["session_id"] in lost[0].message


def test_a_session_clashing_with_the_persons_hearing_is_refused(app, matter_id):
    hearing = a_hearing(app, matter_id, MONDAY)
    with pytest.raises(RuleViolated) as refused:
        book(app, matter_id, MONDAY + timedelta(minutes=30), staff="law-1", ctx=LAWYER)
    assert f"hearing {hearing}" in refused.value.message
    # ...but the lawyer may accompany the client to that very hearing.
    app.schedule_session(LAWYER, UUID(matter_id), "accompaniment", "law-1",
                         hearing_id=UUID(hearing))


def test_a_hearing_is_set_whatever_it_overlaps_and_the_answer_says_what(app, matter_id):
    session = book(app, matter_id, MONDAY, staff="law-1", ctx=LAWYER)["session_id"]
    answer = app.schedule_hearing(LAWYER, UUID(matter_id), starts_at=MONDAY,
                                  ends_at=MONDAY + timedelta(hours=1),
                                  hearing_type="preliminary", court="Sąd Rejonowy",
                                  time_zone="Europe/Warsaw")
    assert [c["id"] for c in answer["calendar_conflicts"]] == [session]


def test_moving_a_hearing_moves_its_preparation_deadline_and_accompaniments(app, matter_id):
    hearing = a_hearing(app, matter_id, MONDAY, preparation_days=3)
    going = app.schedule_session(CASEWORKER, UUID(matter_id), "accompaniment", "cw-1",
                                 hearing_id=UUID(hearing))["session_id"]
    busy = app.schedule_session(SUPERVISOR, UUID(matter_id), "accompaniment", "cw-2",
                                hearing_id=UUID(hearing))["session_id"]
    later = MONDAY + timedelta(days=2)
    book(app, matter_id, later, staff="cw-2", ctx=SUPERVISOR)  # cw-2 is busy then
    moved = app.move_hearing(LAWYER, UUID(hearing), later, later + timedelta(hours=2))
    assert moved["accompaniments_cancelled"] == [busy]
    assert app.load(Session, going).starts_at == later
    assert app.load(Session, busy).status == "cancelled"
    assert app.load(Hearing, hearing).companions == {going: "cw-1"}
    (deadline,) = app.load(Matter, matter_id).deadlines.values()
    assert deadline["due_on"] == (later - timedelta(days=3)).date()


def test_cancelling_a_hearing_frees_everyone_it_had_booked(app, matter_id):
    hearing = a_hearing(app, matter_id, MONDAY, preparation_days=2)
    going = app.schedule_session(CASEWORKER, UUID(matter_id), "accompaniment", "cw-1",
                                 hearing_id=UUID(hearing))["session_id"]
    app.cancel_hearing(LAWYER, UUID(hearing), "vacated_by_court")
    assert app.load(Session, going).status == "cancelled"
    assert [d["outcome"] for d in app.load(Matter, matter_id).deadlines.values()] == [
        "cancelled"]
    book(app, matter_id, MONDAY, staff="law-1", ctx=LAWYER)  # the lawyer's time is free
    book(app, matter_id, MONDAY)  # so is the caseworker's


def test_a_caseworker_no_supervisor_confirmed_books_nothing_for_the_case(app, casework):
    """An accompaniment takes its hearing's times: a caseworker who took the case but is
    not confirmed yet would learn where and when the client will be."""
    case_id = case_in_casework(app, casework)
    matter_id = a_matter(app, case_id)
    hearing_id = a_hearing(app, matter_id, MONDAY)
    deliver(app, CASEWORKER_ASSIGNED, Legal.note_caseworker, {
        "case_id": case_id, "caseworker_id": "cw-2", "previous_caseworker_id": "cw-1",
        "status": "Active", "assigned_at": T0, "version": 5})
    newcomer = CommandContext(actor_id="cw-2", actor_role="caseworker", command="test")
    for ctx in (CASEWORKER, newcomer):  # the old one is off the case, the new one unconfirmed
        with pytest.raises(Forbidden):
            app.schedule_session(ctx, UUID(matter_id), "accompaniment", ctx.actor_id,
                                 hearing_id=UUID(hearing_id))
    deliver(app, ASSIGNMENT_CONFIRMED, Legal.note_assignment_confirmed, {
        "case_id": case_id, "caseworker_id": "cw-2", "confirmed_by": "sup-1",
        "confirmed_at": T0, "version": 6})
    assert app.schedule_session(newcomer, UUID(matter_id), "accompaniment", "cw-2",
                                hearing_id=UUID(hearing_id))["session_id"]


def test_sessions_are_arranged_by_the_matters_people_and_done_by_their_staff(app, matter_id):
    with pytest.raises(Forbidden):
        book(app, matter_id, MONDAY, ctx=STRANGER, staff="cw-9")
    session = book(app, matter_id, MONDAY)["session_id"]
    with pytest.raises(InvalidInput):
        app.record_session_done(CASEWORKER, UUID(session), done_at=MONDAY - timedelta(hours=1))
    app.record_session_done(CASEWORKER, UUID(session), done_at=MONDAY + timedelta(hours=2),
                            notes="went through the courtroom layout")
    stored = app.load(Session, session, sealed=True)
    assert stored.status == "done" and is_sealed(stored.notes)
