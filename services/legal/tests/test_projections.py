"""Legal's read models: the week's hearings for a lawyer and for a caseworker, deadlines
due, matters by kind and stage, accompaniments done -- and a rebuild gives the same."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from services.legal.tests.conftest import (
    CASEWORKER,
    LAWYER,
    OTHER_LAWYER,
    SUPERVISOR,
    T0,
    a_hearing,
    a_matter,
    case_in_casework,
)

WEDNESDAY = T0 + timedelta(days=2)  # of T0's week


def test_the_weeks_hearings_for_the_lawyer_and_for_the_caseworker(app, casework, runner):
    mine = a_matter(app, case_in_casework(app, casework))
    theirs = a_matter(app, case_in_casework(app, casework, caseworker="cw-2"),
                      ctx=OTHER_LAWYER)
    this_week = a_hearing(app, mine, WEDNESDAY)
    a_hearing(app, mine, WEDNESDAY + timedelta(days=7))  # next week
    other = a_hearing(app, theirs, WEDNESDAY, ctx=OTHER_LAWYER)
    cancelled = a_hearing(app, mine, WEDNESDAY + timedelta(days=1))
    app.cancel_hearing(LAWYER, UUID(cancelled), "withdrawn")

    def ids(ctx, **query):
        return [h["hearing_id"] for h in app.hearings_this_week(ctx, **query)["items"]]

    assert ids(LAWYER, mine=True) == [this_week]
    assert ids(CASEWORKER, mine=True) == [this_week]
    assert sorted(ids(SUPERVISOR)) == sorted([this_week, other])
    assert ids(LAWYER, mine=True, include_cancelled=True) == [this_week, cancelled]
    row = app.hearings_this_week(LAWYER, mine=True)["items"][0]
    assert row["case_reference"].startswith("KC-") and row["interpreter_language"] == "uk"
    assert (row["measures_requested"], row["accompaniment_needed"]) == (["video_link"], True)


def test_deadlines_due_put_the_overdue_first_and_leave_out_what_is_met(app, casework, runner,
                                                                        clock):
    matter = UUID(a_matter(app, case_in_casework(app, casework)))
    overdue = app.set_deadline(LAWYER, matter, "evidence_submission",
                               due_on=date(2026, 3, 5))["deadline_id"]
    soon = app.set_deadline(LAWYER, matter, "appeal", due_on=date(2026, 3, 12))["deadline_id"]
    met = app.set_deadline(LAWYER, matter, "claim_filing", due_on=date(2026, 3, 10))
    app.set_deadline(LAWYER, matter, "other", due_on=date(2026, 6, 1))  # beyond two weeks
    app.record_deadline_outcome(LAWYER, matter, UUID(met["deadline_id"]), "met")
    clock.advance(days=5)
    items = app.deadlines_due(LAWYER, mine=True)["items"]
    assert [(d["deadline_id"], d["overdue"]) for d in items] == [(overdue, True), (soon, False)]


def test_matters_by_kind_and_stage_and_sessions_done(app, casework, runner):
    case_id = case_in_casework(app, casework)
    first = UUID(a_matter(app, case_id))
    a_matter(app, case_id, kind="residence_procedure", standing="applicant")
    app.update_matter(LAWYER, first, stage="first_instance")
    closed = UUID(a_matter(app, case_id, kind="labour_claim", standing="claimant"))
    app.close_matter(LAWYER, closed, "settlement")
    assert app.matter_figures(LAWYER) == {
        "open": {"criminal_proceedings": {"first_instance": 1},
                 "residence_procedure": {"assessment": 1}},
        "closed": {"labour_claim": {"settlement": 1}}}
    page = app.matter_list(LAWYER, case_id=UUID(case_id), status="open")
    assert page["total"] == 2 and all(m["case_reference"] for m in page["items"])
    session = app.schedule_session(CASEWORKER, first, "accompaniment", "cw-1",
                                   starts_at=WEDNESDAY, ends_at=WEDNESDAY + timedelta(hours=3))
    app.record_session_done(CASEWORKER, UUID(session["session_id"]),
                            done_at=WEDNESDAY + timedelta(hours=3))
    week = app.session_list(LAWYER, T0, T0 + timedelta(days=7), status="done")
    assert week["done"] == {"accompaniment": 1} and len(week["items"]) == 1


def test_a_rebuild_gives_the_same_read_models(app, casework, runner, clock):
    matter = a_matter(app, case_in_casework(app, casework))
    hearing = a_hearing(app, matter, WEDNESDAY + timedelta(days=7), preparation_days=3)
    app.move_hearing(LAWYER, UUID(hearing), WEDNESDAY + timedelta(days=8),
                     WEDNESDAY + timedelta(days=8, hours=1))
    clock.advance(days=7)
    app.send_due_reminders()

    def everything():
        return {table: runner.store.query(f"SELECT * FROM {{{table}}} ORDER BY 1")
                for table in ("matters", "cases", "deadlines", "hearings", "sessions",
                              "disclosures", "reminders")}

    runner.catch_up()
    before = everything()
    assert any(r["fired_at"] for r in before["reminders"])
    runner.rebuild()
    after = everything()
    for rows in (*before["reminders"], *after["reminders"]):
        rows["claimed_until"] = None  # a poll's lease, not a fact
    assert after == before
