"""Intake's read models: contact log, callbacks, duty roster and coverage, monthly figures."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from services.intake.application import Intake
from services.intake.domain import Contact, MissedCall, Shift
from services.intake.projections import IntakeViews, projections
from services.intake.tests.conftest import OPERATOR, SUPERVISOR, T0, contact, known_case
from shared.projections import ProjectionRunner

H = timedelta(hours=1)


def log(app, at=T0, **overrides):
    return app.log_contact(OPERATOR, **contact(started_at=at, **overrides))["contact_id"]


def ids(page) -> list[str]:
    return [row["contact_id"] for row in page["items"]]


def test_the_contact_log_is_newest_first_paginated_and_filtered(app, views):
    first = log(app, T0, channel="phone", language="ro")
    second = log(app, T0 + H, channel="chat", language="uk", urgency="emergency")
    third = log(app, T0 + 2 * H, channel="phone", language="uk", topic="legal_question")
    app.close_contact(OPERATOR, first, "information_given")
    everything = views.contact_log()
    assert ids(everything) == [str(third), str(second), str(first)]
    assert everything["total"] == 3
    page = views.contact_log(page=2, page_size=2)
    assert ids(page) == [str(first)] and page["total"] == 3
    assert ids(views.contact_log(channel="phone")) == [str(third), str(first)]
    assert ids(views.contact_log(language="uk", urgency="emergency")) == [str(second)]
    assert ids(views.contact_log(topic="legal_question")) == [str(third)]
    assert ids(views.contact_log(status="closed")) == [str(first)]
    assert ids(views.contact_log(date_from=T0 + H, date_to=T0 + 2 * H)) == [str(second)]


def test_a_contact_log_row_has_codes_and_times_but_no_conversation(app, views):
    contact_id = log(app, ended_at=T0 + timedelta(minutes=14))
    app.screen_contact(OPERATOR, contact_id, ["isolation"], "unclear")
    app.link_to_case(SUPERVISOR, contact_id, known_case(app))
    row = views.contact_log()["items"][0]
    assert row["duration_seconds"] == 14 * 60 and row["started_at"] == T0
    assert (row["assessment"], row["case_reference"], row["status"]) == \
        ("unclear", "KC-2026-0042", "open")
    assert not {"summary", "callback_contact"} & set(row)


def test_a_missed_call_waits_as_a_callback_until_it_is_done(app, views):
    older = app.record_missed_call(OPERATOR, "phone", T0, "+40 712 345 678")["missed_call_id"]
    newer = app.record_missed_call(OPERATOR, "sms", T0 + H, None)["missed_call_id"]
    pending = views.pending_callbacks()
    assert [p["missed_call_id"] for p in pending] == [str(older), str(newer)]  # oldest first
    assert [p["has_callback_contact"] for p in pending] == [True, False]
    callback = log(app, T0 + 2 * H, direction="outbound")
    app.complete_callback(OPERATOR, older, callback)
    assert [p["missed_call_id"] for p in views.pending_callbacks()] == [str(newer)]


def test_a_gap_between_shifts_shows_in_the_duty_roster(app, views):
    night = app.start_shift(OPERATOR, started_at=T0)["shift_id"]  # 21:00
    app.end_shift(OPERATOR, night, T0 + 8 * H)  # 05:00
    app.start_shift(SUPERVISOR, operator_id="op-2", started_at=T0 + 8.5 * H)  # 05:30, still on

    assert [s["operator_id"] for s in views.on_duty(T0 + 7 * H)["on_duty"]] == ["op-1"]
    unanswered = views.on_duty(T0 + 8.25 * H)
    assert unanswered == {"at": T0 + 8.25 * H, "on_duty": [], "covered": False}
    assert views.on_duty(T0 + 8 * H)["covered"] is False  # the night shift ended at 05:00
    assert views.on_duty(T0 + 8.5 * H)["covered"] is True

    night_and_morning = views.coverage(T0 - H, T0 + 12 * H)
    assert [(g["start"], g["end"], g["seconds"]) for g in night_and_morning["gaps"]] == [
        (T0 - H, T0, 3600), (T0 + 8 * H, T0 + 8.5 * H, 1800)]
    assert night_and_morning["covered_seconds"] == 13 * 3600 - 5400


def test_overlapping_shifts_leave_no_gap(app, views):
    a = app.start_shift(OPERATOR, started_at=T0)["shift_id"]
    app.start_shift(SUPERVISOR, operator_id="op-2", started_at=T0 + H)
    app.end_shift(OPERATOR, a, T0 + 2 * H)  # handover: op-2 came an hour early
    assert views.coverage(T0, T0 + 3 * H)["gaps"] == []
    assert len(views.on_duty(T0 + 1.5 * H)["on_duty"]) == 2


def test_monthly_figures_count_contacts_by_channel_topic_language_outcome_and_missed_calls(
        app, views):
    march = [log(app, T0, channel="phone", language="ro"),
             log(app, T0 + H, channel="phone", language="uk", topic="emergency"),
             log(app, T0 + 2 * H, channel="email", language="uk")]
    log(app, datetime(2026, 4, 1, 0, 30, tzinfo=T0.tzinfo), channel="chat")  # April, in UTC
    app.close_contact(OPERATOR, march[0], "information_given")
    app.close_contact(OPERATOR, march[1], "crisis_intervention", T0 + 2 * H)
    missed = app.record_missed_call(OPERATOR, "phone", T0, None)["missed_call_id"]
    app.record_missed_call(OPERATOR, "phone", T0 + H, None)
    app.complete_callback(OPERATOR, missed, march[2])
    stats = views.helpline_stats("2026-03")
    assert stats == {
        "month": "2026-03", "contacts": 3, "by_channel": {"phone": 2, "email": 1},
        "by_topic": {"victim_support": 2, "emergency": 1}, "by_language": {"ro": 1, "uk": 2},
        "by_outcome": {"information_given": 1, "crisis_intervention": 1, "open": 1},
        "missed_calls": 2, "callbacks_done": 1}
    assert views.helpline_stats("2026-04")["by_channel"] == {"chat": 1}
    assert views.helpline_stats("2026-05")["contacts"] == 0


def snapshot(views) -> tuple:
    return (views.contact_log(page_size=200), views.pending_callbacks(),
            views.coverage(T0 - H, T0 + 24 * H), views.helpline_stats("2026-03"))


def test_a_rebuild_and_a_second_catch_up_give_the_same_read_models(app, runner, views):
    for i in range(5):
        contact_id = log(app, T0 - i * H)
        app.screen_contact(OPERATOR, contact_id, ["deception"], "unclear")
        app.close_contact(OPERATOR, contact_id, "information_given")
    app.record_missed_call(OPERATOR, "phone", T0, None)
    app.start_shift(OPERATOR, started_at=T0)
    before = snapshot(views)
    assert runner.catch_up() == 0  # nothing applied twice
    assert runner.rebuild() == app.recorder.max_notification_id()
    assert snapshot(views) == before


def test_rebuilding_replays_a_busy_quarter(app, runner):
    """~700 calls a month; this replays a busy quarter of helpline work (how fast: make bench)."""
    for batch in range(2):
        saved = []
        for i in range(500):
            at = T0 + timedelta(minutes=11 * (batch * 500 + i))
            c = Contact.log(channel="phone", direction="inbound", started_at=at, language="cs",
                            caller_type="witness", topic="prevention_info", urgency="routine",
                            operator_id="op-1")
            c.screen(["deception"], "unclear", at)
            c.close("information_given", at + timedelta(minutes=9))
            missed = MissedCall.record(channel="phone", missed_at=at)
            missed.complete(str(c.id), at + H)
            shift = Shift.start(operator_id="op-1", started_at=at)
            shift.end(at + timedelta(minutes=11))
            saved += [c, missed, shift]
        app.save(*saved, ctx=OPERATOR)  # 2 * 500 * 7 = 7,000 events
    assert runner.rebuild() == 7_000


def test_the_same_read_models_work_on_sqlite_in_embedded_mode(cfg, tmp_path):
    embedded = Intake(dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path))
    embedded.clock = lambda: T0 + 12 * H
    runner = ProjectionRunner(embedded, projections())
    views = IntakeViews(runner.store, runner.catch_up)
    try:
        first = log(embedded, T0, channel="chat")
        log(embedded, T0 + H)
        embedded.close_contact(OPERATOR, first, "no_action", T0 + H)
        shift = embedded.start_shift(OPERATOR, started_at=T0)["shift_id"]
        embedded.end_shift(OPERATOR, shift, T0 + 2 * H)
        embedded.record_missed_call(OPERATOR, "phone", T0 + 3 * H, None)
        assert views.contact_log(channel="chat")["items"][0]["duration_seconds"] == 3600
        assert views.contact_log(date_from=T0 + H)["total"] == 1
        assert views.helpline_stats("2026-03")["by_outcome"] == {"no_action": 1, "open": 1}
        assert [g["start"] for g in views.coverage(T0, T0 + 4 * H)["gaps"]] == [T0 + 2 * H]
        assert views.on_duty(T0 + H)["on_duty"][0]["started_at"] == T0
        assert len(views.pending_callbacks()) == 1
        assert runner.rebuild() == 6
        assert views.helpline_stats("2026-03")["contacts"] == 2
        assert (tmp_path / f"{embedded.name}.sqlite").exists()
    finally:
        runner.close()
        embedded.close()
