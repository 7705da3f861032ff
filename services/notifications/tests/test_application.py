"""Notifications' application on the real PostgreSQL, with a real SMTP server (aiosmtpd):
events in, alerts and escalations on a controlled clock, inbox and e-mail out."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from eventsourcing.persistence import Tracking
from prometheus_client import REGISTRY

from services.casework.contracts import (
    ASSIGNMENT_CONFIRMED,
    CASE_OPENED,
    CASEWORKER_ASSIGNED,
    FOLLOW_UP_DONE,
    FOLLOW_UP_SCHEDULED,
)
from services.intake.contracts import CONTACT_LOGGED
from services.notifications.application import Notifications
from services.notifications.domain import Alert
from services.notifications.domain.ids import alert_id
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
from tests.contracts.payloads import envelope_of
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


def assign(app, opened: dict, caseworker: str, version: int, previous: str | None = None,
           confirmed_by: str | None = None) -> None:
    """casework's CaseworkerAssigned at `version`; and, when `confirmed_by` (a supervisor)
    made it, its AssignmentConfirmed right after, as casework publishes them."""
    deliver(app, CASEWORKER_ASSIGNED, {"case_id": opened["case_id"], "caseworker_id": caseworker,
                                       "previous_caseworker_id": previous, "status": "Active",
                                       "assigned_at": T0, "version": version})
    if confirmed_by is not None:
        confirm(app, opened, caseworker, version + 1, confirmed_by)


def confirm(app, opened: dict, caseworker: str, version: int, by: str = "sup-1") -> None:
    deliver(app, ASSIGNMENT_CONFIRMED, {"case_id": opened["case_id"], "caseworker_id": caseworker,
                                        "confirmed_by": by, "confirmed_at": T0,
                                        "version": version})


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
    with pytest.raises(Forbidden):  # told of it, but no supervisor has confirmed them yet
        app.acknowledge(staff("cw-3"), alert["alert_id"])
    confirm(app, opened, "cw-3", version=2)
    assert app.acknowledge(staff("cw-3"), alert["alert_id"])["acknowledged_by"] == "cw-3"


def test_a_caseworker_no_supervisor_confirmed_cannot_silence_a_cases_emergency(app, clock):
    """Taking an unassigned case waits for a supervisor: until one confirms the taker, the
    taker cannot acknowledge the case's emergency (whose id anyone can derive) and so stop
    its escalation to supervisors."""
    opened = case(app, caseworker=None, urgency="emergency")
    (alert,) = inbox(app, SUPERVISOR)  # nobody on call, no caseworker: supervisors
    assert alert["category"] == "emergency_case"
    derived = str(alert_id("emergency-case", str(opened["case_id"])))
    assert alert["alert_id"] == derived
    assign(app, opened, "cw-9", version=2)  # cw-9 takes the case: pending
    before = app.recorder.max_notification_id()
    with pytest.raises(Forbidden):
        app.acknowledge(staff("cw-9"), derived)
    assert app.recorder.max_notification_id() == before
    clock.advance(minutes=15)
    poll(app)
    assert inbox(app, SUPERVISOR)[0]["step"] == 1  # it still escalates
    with pytest.raises(Forbidden):  # and being told of it now changes nothing
        app.acknowledge(staff("cw-9"), derived)

    confirm(app, opened, "cw-9", version=3)  # a supervisor confirms cw-9
    state = app.acknowledge(staff("cw-9"), derived)
    assert (state["status"], state["acknowledged_by"]) == ("acknowledged", "cw-9")


def test_confirmation_and_assignment_in_either_order_and_moved_off_the_case(app):
    """The facts come on a queue each: casework's versions order them. A caseworker moved
    off the case loses the right; one put back waits for a new confirmation."""
    opened = case(app, caseworker=None, urgency="emergency")
    (alert,) = inbox(app, SUPERVISOR)
    confirm(app, opened, "cw-4", version=3)  # the confirmation overtook the assignment
    assign(app, opened, "cw-4", version=2)
    assign(app, opened, "cw-6", version=4)  # a later move, that has not reached casework's
    with pytest.raises(Forbidden):  # own confirmation yet: nobody but supervisors
        app.acknowledge(staff("cw-4"), alert["alert_id"])
    with pytest.raises(Forbidden):
        app.acknowledge(staff("cw-6"), alert["alert_id"])
    assign(app, opened, "cw-4", version=5)  # back to cw-4: the old confirmation is stale
    with pytest.raises(Forbidden):
        app.acknowledge(staff("cw-4"), alert["alert_id"])
    confirm(app, opened, "cw-4", version=6)
    assert app.acknowledge(staff("cw-4"), alert["alert_id"])["acknowledged_by"] == "cw-4"


def test_an_alert_that_does_not_exist_and_one_not_yours_get_the_same_answer(app):
    """Alert ids are derived from what they are about: a refusal that differed for an
    alert that does not exist would tell which cases had an emergency."""
    emergency = case(app, caseworker=None, urgency="emergency")
    quiet = case(app, caseworker=None, urgency="routine")
    (alert,) = inbox(app, SUPERVISOR)
    refusals = []
    for about in (emergency, quiet):
        with pytest.raises(Forbidden) as refused:
            app.acknowledge(staff("cw-9"), alert_id("emergency-case", str(about["case_id"])))
        refusals.append(str(refused.value))
    assert refusals[0] == refusals[1]
    with pytest.raises(NotFound):  # a supervisor, who may see every open alert anyway
        app.acknowledge(SUPERVISOR, alert_id("emergency-case", str(quiet["case_id"])))
    assert alert["alert_id"] == str(alert_id("emergency-case", str(emergency["case_id"])))


def test_an_escalation_tells_the_cases_caseworker_now_not_the_one_moved_off_it(
        app, clock, smtp):
    opened = case(app, caseworker="cw-3", urgency="emergency")
    confirm(app, opened, "cw-3", version=2)
    poll(app)
    (alert,) = inbox(app, staff("cw-3"))
    assert len(smtp.to("cw-3@haven.example")) == 1
    assign(app, opened, "cw-5", version=3, previous="cw-3", confirmed_by="sup-1")
    clock.advance(minutes=15)
    poll(app)

    (told,) = [a for a in inbox(app, staff("cw-5")) if a["alert_id"] == alert["alert_id"]]
    assert told["step"] == 1
    (mail,) = [m for m in smtp.to("cw-5@haven.example") if "ESCALATED" in m["Subject"]]
    assert mail["Subject"].startswith("[Haven] ESCALATED 1/4: emergency case")
    assert len(smtp.to("supervisors@haven.example")) == 1
    assert len(smtp.to("cw-3@haven.example")) == 1  # nothing more for the one moved off
    (old,) = inbox(app, staff("cw-3"))
    assert old["notified_at"] == alert["notified_at"]
    clock.advance(minutes=15)
    poll(app)
    assert len([m for m in smtp.to("cw-5@haven.example") if "ESCALATED" in m["Subject"]]) == 2
    assert len(smtp.to("cw-3@haven.example")) == 1
    with pytest.raises(Forbidden):
        app.acknowledge(staff("cw-3"), alert["alert_id"])
    assert app.acknowledge(staff("cw-5"), alert["alert_id"])["acknowledged_by"] == "cw-5"


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


def test_a_staff_id_that_is_an_e_mail_address_never_gets_a_case_s_mail(app, smtp, caplog):
    """A case assigned to "x@evil.example" (an id from before the staff-id pattern refused
    "@", or any producer that let one through) sends nothing out of the organisation: a
    member of staff is mailed at the centre's domain, and an e-mail address is no staff id."""
    opened = case(app, caseworker=None)
    # Past the contract, which now refuses such an id: as the contract reads an event.
    data = {"case_id": opened["case_id"], "caseworker_id": "x@evil.example",
            "previous_caseworker_id": None, "status": "Active", "assigned_at": T0,
            "version": 2}
    envelope = envelope_of(CASEWORKER_ASSIGNED, {}, 990_001)
    with caplog.at_level("WARNING"):
        app.react(data, envelope, Tracking("casework", 990_001))
        poll(app)
    (told,) = inbox(app, staff("x@evil.example"))  # the inbox is in the platform
    assert told["category"] == "case_assigned"
    assert [m["To"] for m in smtp.received] == []
    assert app.deliveries(SUPERVISOR)["total"] == 0
    assert "evil" not in caplog.text and "no mailbox" in caplog.text


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
