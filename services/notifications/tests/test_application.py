"""Notifications' application on the real PostgreSQL, with a real SMTP server (aiosmtpd):
events in, alerts and escalations on a controlled clock, inbox and e-mail out."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from services.casework.contracts import (
    CASE_OPENED,
    CASEWORKER_ASSIGNED,
    FOLLOW_UP_DONE,
    FOLLOW_UP_SCHEDULED,
)
from services.intake.contracts import CONTACT_LOGGED
from services.notifications.application import Notifications
from services.notifications.domain import Alert
from services.notifications.firing import LEASE
from services.notifications.ruleset import DEFAULT_FILE, RulesInvalid
from services.notifications.tests.conftest import (
    SUPERVISOR,
    T0,
    contact,
    inbox,
    on_call,
    poll,
    staff,
)
from shared.errors import Forbidden, NotFound
from tests.notifications.support import deliver, text_of


def case(app, caseworker: str | None = "cw-3", urgency: str = "urgent") -> dict:
    data = {"case_id": uuid.uuid4(), "reference": f"KC-2026-{uuid.uuid4().int % 9000 + 1000}",
            "client_id": uuid.uuid4(), "contact_id": None, "source": "direct",
            "opened_at": T0 - timedelta(minutes=1), "caseworker_id": caseworker,
            "possible_duplicate": False, "origin_country": "UA", "exploitation_country": "PL",
            "exploitation_types": ["ForcedLabour"], "methods_of_control": [],
            "recruitment": None, "relationship_to_trafficker": None, "urgency": urgency,
            "version": 1}
    deliver(app, CASE_OPENED, data)
    return data


# -- emergencies and their escalation -----------------------------------------------------------
def test_an_emergency_contact_unacknowledged_for_15_minutes_escalates_to_supervisors(
        app, clock, smtp):
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    (alert,) = inbox(app, staff("cw-7"))
    assert alert["category"] == "emergency_contact" and alert["severity"] == "critical"
    contact_id = app.load(Alert, alert["alert_id"]).facts["contact_id"]
    assert alert["link"] == f"/api/v1/contacts/{contact_id}"  # the inbox is in the platform
    (mail,) = smtp.to("cw-7@haven.example")
    assert f"https://haven.example/api/v1/contacts/{contact_id}" in text_of(mail)
    clock.advance(minutes=14, seconds=59)
    poll(app)
    assert inbox(app, SUPERVISOR) == [] and smtp.to("supervisors@haven.example") == []

    clock.advance(seconds=1)
    poll(app)
    (escalated,) = inbox(app, SUPERVISOR)
    assert escalated["alert_id"] == alert["alert_id"] and escalated["step"] == 1
    (mail,) = smtp.to("supervisors@haven.example")
    assert mail["Subject"].startswith("[Haven] ESCALATED 1/4: emergency contact")
    assert len(smtp.to("cw-7@haven.example")) == 2  # the on-call is reminded too
    escalations = REGISTRY.get_sample_value("haven_notification_escalations_total",
                                            {"category": "emergency_contact"})
    assert escalations and escalations >= 1

    clock.advance(minutes=15)  # repeated every 15 minutes, up to the limit (4)
    poll(app)
    assert inbox(app, SUPERVISOR)[0]["step"] == 2
    clock.advance(hours=2)  # a poll that was down does not send the missed steps in a burst
    poll(app)
    assert inbox(app, SUPERVISOR)[0]["step"] == 3
    for _ in range(2):
        clock.advance(minutes=15)
        poll(app)
    assert inbox(app, SUPERVISOR)[0]["step"] == 4
    assert len(smtp.to("supervisors@haven.example")) == 4


def test_an_emergency_acknowledged_in_time_does_not_escalate(app, clock, smtp):
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    (alert,) = inbox(app, staff("cw-7"))
    clock.advance(minutes=14)
    state = app.acknowledge(staff("cw-7"), alert["alert_id"])
    assert (state["status"], state["acknowledged_by"]) == ("acknowledged", "cw-7")
    assert state["acknowledged_at"] == clock.now
    clock.advance(hours=3)
    poll(app)
    assert inbox(app, SUPERVISOR, unread_only=False) == []
    assert smtp.to("supervisors@haven.example") == []
    (done,) = inbox(app, staff("cw-7"), unread_only=False)
    assert (done["status"], done["acknowledged_by"], done["step"]) == ("acknowledged", "cw-7", 0)
    assert inbox(app, staff("cw-7")) == []  # unread: nothing left


def test_with_nobody_on_call_an_emergency_goes_to_supervisors_and_says_so(app, smtp):
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    (alert,) = inbox(app, SUPERVISOR)
    assert alert["text"].endswith("Nobody it names could be found: sent to supervisors.")
    assert len(smtp.to("supervisors@haven.example")) == 1


def test_only_someone_with_a_relation_to_the_case_may_acknowledge_its_emergency(app):
    on_call(app, "cw-7")
    opened = case(app, caseworker="cw-3", urgency="emergency")
    (alert,) = inbox(app, staff("cw-3"))
    assert alert["case_reference"] == opened["reference"]
    assert opened["reference"] in alert["text"]
    assert [a["alert_id"] for a in inbox(app, staff("cw-7"))] == [alert["alert_id"]]
    before = app.recorder.max_notification_id()
    for stranger in (staff("cw-9"), staff("law-1", "lawyer"), staff("ops-1", "ops")):
        with pytest.raises(Forbidden):
            app.acknowledge(stranger, alert["alert_id"])
    assert app.recorder.max_notification_id() == before
    assert inbox(app, staff("cw-9")) == []  # nor does it show in their inbox
    with pytest.raises(NotFound):
        app.acknowledge(SUPERVISOR, uuid.uuid4())
    assert app.acknowledge(staff("cw-3"), alert["alert_id"])["acknowledged_by"] == "cw-3"


def test_the_service_refuses_to_start_on_rules_that_fail_their_checks(
        app_factory, monkeypatch, tmp_path):
    broken = tmp_path / "rules.toml"
    broken.write_text(DEFAULT_FILE.read_text().replace("{channel}", "{summary}", 1))
    monkeypatch.setenv("HAVEN_NOTIFICATIONS_RULES", str(broken))
    with pytest.raises(RulesInvalid) as refused:
        app_factory(Notifications)
    assert "rule.emergency-contact.text" in refused.value.errors


# -- exactly once ------------------------------------------------------------------------------
def test_the_same_event_delivered_twice_yields_one_notification_per_recipient(app, smtp):
    on_call(app, "cw-7")
    on_call(app, "cw-8")
    logged = contact()
    assert deliver(app, CONTACT_LOGGED, logged, notification_id=41)
    assert not deliver(app, CONTACT_LOGGED, logged, notification_id=41)  # redelivered
    deliver(app, CONTACT_LOGGED, logged, notification_id=42)  # republished after a crash
    poll(app)
    poll(app)
    for user in ("cw-7", "cw-8"):
        assert len(inbox(app, staff(user))) == 1
        assert len(smtp.to(f"{user}@haven.example")) == 1
    assert len(smtp.received) == 2


def test_a_reminder_due_while_the_service_is_stopped_fires_once_after_restart(
        app, make_app, clock, smtp):
    opened = case(app, caseworker="cw-3")
    follow_up = {"case_id": opened["case_id"], "follow_up_id": uuid.uuid4(),
                 "due_at": T0 + timedelta(hours=1)}
    deliver(app, FOLLOW_UP_SCHEDULED, follow_up)
    poll(app)
    assert inbox(app, staff("cw-3"), category="follow_up_overdue") == []
    app.close()  # stopped: the reminder falls due while nothing runs

    clock.advance(hours=2)
    restarted = make_app(of=app)
    poll(restarted)
    (due,) = inbox(restarted, staff("cw-3"), category="follow_up_overdue")
    assert opened["reference"] in due["text"]
    assert len(smtp.to("cw-3@haven.example")) == 1
    again = make_app(of=restarted)  # and once more: nothing fires twice
    poll(again)
    assert len(inbox(again, staff("cw-3"), category="follow_up_overdue")) == 1
    assert len(smtp.to("cw-3@haven.example")) == 1


def test_work_claimed_by_a_process_that_died_is_done_once_its_lease_runs_out(
        app, clock, smtp):
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    assert app.views.claim_due(clock.now, "a-process-that-died", LEASE, 50)
    poll(app)
    assert smtp.to("cw-7@haven.example") == []  # still held: the lease has not run out
    clock.advance(minutes=5, seconds=1)
    poll(app)
    clock.advance(minutes=6)
    poll(app)
    assert len(smtp.to("cw-7@haven.example")) == 1


def test_a_follow_up_done_in_time_never_reminds_even_when_that_news_comes_first(app, clock):
    opened = case(app, caseworker="cw-3")
    in_time = {"case_id": opened["case_id"], "follow_up_id": uuid.uuid4(),
               "due_at": T0 + timedelta(hours=1)}
    done_early = {**in_time, "follow_up_id": uuid.uuid4()}
    deliver(app, FOLLOW_UP_SCHEDULED, in_time)
    deliver(app, FOLLOW_UP_DONE, {**in_time, "done_at": T0})
    # The queues run apart: this one's "done" is handled before its "scheduled".
    deliver(app, FOLLOW_UP_DONE, {**done_early, "done_at": T0})
    deliver(app, FOLLOW_UP_SCHEDULED, done_early)
    clock.advance(days=1)
    poll(app)
    assert inbox(app, staff("cw-3"), category="follow_up_overdue", unread_only=False) == []


def test_a_case_assigned_tells_the_caseworker_with_the_cases_reference(app, smtp):
    opened = case(app, caseworker=None)
    deliver(app, CASEWORKER_ASSIGNED, {"case_id": opened["case_id"], "caseworker_id": "cw-5",
                                       "previous_caseworker_id": None, "status": "Open",
                                       "assigned_at": T0, "version": 3})
    poll(app)
    (assigned,) = inbox(app, staff("cw-5"))
    assert assigned["text"].startswith(f"Case {opened['reference']} has been assigned to you")
    (mail,) = smtp.to("cw-5@haven.example")
    assert mail["Subject"] == f"[Haven] case assigned {opened['reference']}"


# -- e-mail: what the SMTP server answers decides --------------------------------------------------
def test_smtp_451_is_retried_after_the_back_off_and_delivered(app, clock, smtp):
    smtp.answer("cw-7@haven.example", "451 4.7.1 Greylisted, try again later")
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    assert smtp.to("cw-7@haven.example") == [] and len(smtp.refused) == 1
    clock.advance(seconds=29)
    poll(app)
    assert smtp.to("cw-7@haven.example") == []  # the pause is 30 s
    clock.advance(seconds=1)
    poll(app)
    assert len(smtp.to("cw-7@haven.example")) == 1
    (sent,) = app.deliveries(SUPERVISOR, channel="email")["items"]
    assert (sent["status"], sent["attempts"], sent["last_code"]) == ("delivered", 2, 250)


def test_smtp_550_is_not_retried_and_is_recorded_as_failed(app, clock, smtp):
    smtp.answer("cw-7@haven.example", "550 5.1.1 No such mailbox")
    failed_before = REGISTRY.get_sample_value(
        "haven_notification_failures_total",
        {"channel": "email", "category": "emergency_contact", "outcome": "failed"}) or 0
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    clock.advance(hours=6)
    poll(app)
    assert smtp.refused == [("cw-7@haven.example", "550 5.1.1 No such mailbox")]  # once
    (failed,) = app.deliveries(SUPERVISOR, status="failed")["items"]
    assert (failed["attempts"], failed["last_code"], failed["last_reason"]) == (
        1, 550, "smtp 550")
    assert REGISTRY.get_sample_value(
        "haven_notification_failures_total",
        {"channel": "email", "category": "emergency_contact", "outcome": "failed"}) \
        == failed_before + 1
    assert len(inbox(app, staff("cw-7"))) == 1  # the inbox has it all the same
