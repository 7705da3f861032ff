"""Notifications' rules, alerts, deliveries and knowledge, without any server."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.notifications.domain import (
    Alert,
    CaseFile,
    DeadLetterWatch,
    Delivery,
    DeskShift,
    OnCallShift,
)
from services.notifications.domain.alerts import check_may_acknowledge
from services.notifications.domain.deliveries import http_attempt, smtp_attempt
from services.notifications.domain.errors import AccessDenied, InvalidValue, NotYetSent
from services.notifications.domain.messages import notice_of, webhook_payload
from services.notifications.domain.rules import Condition, Escalation, Rule, label

pytestmark = pytest.mark.no_servers

T0 = datetime(2026, 3, 2, 23, 10, tzinfo=UTC)  # a Monday night
MINUTE = timedelta(minutes=1)
EMERGENCY = Rule(
    name="emergency-contact", on=("intake.ContactLogged",), category="emergency_contact",
    severity="critical", to=("on_call",), channels=("inbox", "email"),
    text="Emergency contact ({channel}) at {started_at}", link="/contacts/{contact_id}",
    facts=("channel", "contact_id", "started_at"), key=("contact_id",),
    when=(Condition("urgency", one_of=("emergency",)),
          Condition("started_at", within=timedelta(hours=6))),
    escalate=Escalation(after=15 * MINUTE, every=15 * MINUTE, times=3, to=("supervisors",)))
HEARING = Rule(name="hearing", on=("legal.HearingScheduled", "legal.HearingMoved"),
               category="hearing", severity="normal", to=("staff:lawyer_id",),
               channels=("inbox",), text="Hearing at {at}", link="/hearings/{hearing_id}",
               facts=("at", "hearing_id"), key=("hearing_id",), at="at",
               before=(timedelta(hours=48), timedelta(hours=24)),
               resolve_on=("legal.HearingCancelled",))
CONTACT = {"contact_id": uuid.uuid4(), "urgency": "emergency", "channel": "phone",
           "started_at": T0 - 5 * MINUTE}
PAUSES = (timedelta(seconds=30), timedelta(minutes=2))


def sent_alert(category="emergency_contact", text="t", link="/l", case_reference=None) -> Alert:
    planned = EMERGENCY.plan("intake.ContactLogged", CONTACT, "intake:7", T0)[0]
    alert = Alert.open(planned.alert_id, EMERGENCY.name)
    alert.schedule(thing=planned.thing, category=category, severity="critical", channels=["inbox"],
                   to=["on_call"], templates={"text": EMERGENCY.text, "link": EMERGENCY.link},
                   case_id=None, facts=planned.facts, due_at=planned.due_at,
                   escalation=EMERGENCY.escalate.as_state())
    assert alert.fire(alert.due_token, addresses=["user:cw-7"], text=text, link=link,
                      case_reference=case_reference, at=T0)
    return alert


# -- rules --------------------------------------------------------------------------------
def test_a_rule_matches_its_event_under_its_conditions_only():
    assert EMERGENCY.plan("intake.ContactLogged", CONTACT, "intake:7", T0)
    assert not EMERGENCY.plan("intake.ContactLogged", {**CONTACT, "urgency": "urgent"}, "i:7", T0)
    assert not EMERGENCY.plan("intake.ContactClosed", CONTACT, "intake:7", T0)
    stale = {**CONTACT, "started_at": T0 - timedelta(hours=7)}  # logged long after the call
    assert not EMERGENCY.plan("intake.ContactLogged", stale, "intake:7", T0)


def test_one_thing_is_one_alert_however_often_its_event_comes():
    first = EMERGENCY.plan("intake.ContactLogged", CONTACT, "intake:7", T0)[0]
    again = EMERGENCY.plan("intake.ContactLogged", CONTACT, "intake:8", T0 + MINUTE)[0]
    assert first.alert_id == again.alert_id
    assert first.due_at == T0 and first.facts["started_at"] == "2026-03-02 23:05 UTC"


def test_reminders_come_before_their_time_and_not_for_what_has_passed():
    hearing = {"hearing_id": uuid.uuid4(), "at": T0 + timedelta(days=5), "lawyer_id": "law-1"}
    planned = HEARING.plan("legal.HearingScheduled", hearing, "legal:1", T0)
    assert [p.due_at for p in planned] == [T0 + timedelta(days=3), T0 + timedelta(days=4)]
    assert len({p.alert_id for p in planned}) == 2
    assert HEARING.plan("legal.HearingScheduled", {**hearing, "at": T0 - MINUTE}, "l:1", T0) == []
    cancelled = HEARING.resolved_by("legal.HearingCancelled", hearing, T0)
    assert set(cancelled.alert_ids) == {p.alert_id for p in planned}
    assert [label(d) for d in (*HEARING.before, timedelta(seconds=90))] == ["2d", "1d", "90s"]


def test_a_calendar_day_counts_from_its_morning():
    rule = Rule(name="r", on=("e",), category="c", severity="normal", to=("supervisors",),
                channels=("inbox",), text="t", link="/", at="ends_on", key=("case_id",),
                before=(timedelta(days=7),))
    (planned,) = rule.plan("e", {"case_id": "c1", "ends_on": date(2026, 3, 20)}, "e:1", T0)
    assert planned.due_at == datetime(2026, 3, 13, 8, 0, tzinfo=UTC)


def test_an_ongoing_condition_is_resolved_by_the_first_event_where_it_no_longer_holds():
    full = Rule(name="full", on=("shelter.AvailabilityChanged",), category="shelter_full",
                severity="normal", to=("supervisors",), channels=("inbox",), text="t",
                link="/", key=("shelter_id",), ongoing=True,
                when=(Condition("beds_free", at_most=0),))
    change = {"shelter_id": "s1", "beds_free": 0}
    (planned,) = full.plan("shelter.AvailabilityChanged", change, "shelter:1", T0)
    assert full.resolved_by("shelter.AvailabilityChanged", change, T0).alert_ids == []
    assert full.resolved_by("shelter.AvailabilityChanged", {**change, "beds_free": 2},
                            T0).alert_ids == [planned.alert_id]


def test_an_event_carrying_only_the_first_key_fields_resolves_everything_about_them():
    reminders = Rule(name="hearing-reminder", on=("legal.HearingReminderDue",),
                     category="hearing", severity="normal", to=("caseworker",),
                     channels=("inbox",), text="t", link="/", key=("hearing_id", "reminder"),
                     resolve_on=("legal.HearingMoved",), resolve_by=("hearing_id",))
    due = {"hearing_id": "h1", "reminder": "hearing_48h"}
    (planned,) = reminders.plan("legal.HearingReminderDue", due, "legal:9", T0)
    assert planned.thing == "h1/hearing_48h"
    moved = reminders.resolved_by("legal.HearingMoved", {"hearing_id": "h1"}, T0)
    assert (moved.alert_ids, moved.about) == ([], "h1/")


# -- alerts ----------------------------------------------------------------------------------
def test_an_unacknowledged_alert_escalates_step_by_step_up_to_its_limit():
    alert = sent_alert()
    token = alert.due_token
    assert alert.escalate(token, 2, addresses=["role:supervisor"], at=T0) is None  # not yet 1
    told = alert.escalate(token, 1, addresses=["role:supervisor", "user:cw-7"],
                          at=T0 + 15 * MINUTE)
    assert told == ["role:supervisor", "user:cw-7"]  # the on-call is reminded too
    assert alert.escalate(token, 1, addresses=["role:supervisor"], at=T0) is None  # done
    chain = ["role:supervisor"]
    assert alert.escalate(token, 2, addresses=chain, at=T0 + 30 * MINUTE) == chain
    assert alert.escalate(token, 3, addresses=chain, at=T0 + 45 * MINUTE) == chain
    assert alert.escalate(token, 4, addresses=chain, at=T0 + 60 * MINUTE) is None  # the limit


def test_an_acknowledged_alert_does_not_escalate():
    alert = sent_alert()
    assert alert.acknowledge(by="cw-7", role="caseworker", at=T0 + MINUTE, caseworker_id=None)
    assert alert.acknowledged == {"by": "cw-7", "role": "caseworker", "at": T0 + MINUTE}
    assert alert.escalate(alert.due_token, 1, addresses=["role:supervisor"], at=T0) is None
    # Acknowledged again, by a supervisor after the caseworker: nothing changes.
    assert not alert.acknowledge(by="sup-1", role="supervisor", at=T0, caseworker_id=None)
    assert alert.acknowledged["by"] == "cw-7"


def test_an_escalation_tells_whom_it_is_given_and_no_longer_who_was_told_before():
    alert = sent_alert()  # sent to cw-7
    told = alert.escalate(alert.due_token, 1, addresses=["role:supervisor", "user:cw-8"],
                          at=T0 + 15 * MINUTE)
    assert told == alert.addresses == ["role:supervisor", "user:cw-8"]


def test_only_a_recipient_or_a_supervisor_may_acknowledge_an_alert_about_no_case():
    addresses = ["user:cw-7", "role:helpline_operator"]
    check_may_acknowledge("caseworker", "cw-7", addresses, None)
    check_may_acknowledge("helpline_operator", "op-3", addresses, None)  # sent to the desk
    check_may_acknowledge("supervisor", "sup-1", addresses, None)
    for role, actor in (("caseworker", "cw-2"), ("lawyer", "cw-7x"), ("ops", "ops-1")):
        with pytest.raises(AccessDenied):
            check_may_acknowledge(role, actor, addresses, "cw-9")


def test_the_cases_caseworker_acknowledges_only_once_a_supervisor_has_confirmed_them():
    """Being told of it as the case's caseworker is not enough while no supervisor has
    confirmed them: anyone may take an unassigned case. Others it was sent to (the
    caseworker on call, the matter's lawyer) and supervisors may."""
    addresses = ["user:cw-9", "user:cw-7", "role:lawyer"]
    check_may_acknowledge("caseworker", "cw-2", addresses, "cw-2")  # confirmed, not told
    check_may_acknowledge("supervisor", "sup-1", addresses, None, unconfirmed="cw-9")
    check_may_acknowledge("caseworker", "cw-7", addresses, None, unconfirmed="cw-9")  # on call
    check_may_acknowledge("lawyer", "law-1", addresses, None, unconfirmed="cw-9")
    for unconfirmed in ("cw-9", None):
        with pytest.raises(AccessDenied):
            check_may_acknowledge("caseworker", "cw-3", addresses, None, unconfirmed=unconfirmed)
    for role in ("caseworker", "supervisor"):  # a supervisor too is not the one who agrees
        with pytest.raises(AccessDenied):
            check_may_acknowledge(role, "cw-9", addresses, None, unconfirmed="cw-9")
    alert = sent_alert()
    with pytest.raises(AccessDenied):
        alert.acknowledge(by="cw-2", role="caseworker", at=T0, caseworker_id=None)
    assert alert.status == "sent"


def test_who_broke_the_glass_never_acknowledges_its_alert_whatever_role_they_name():
    """A caseworker who is a supervisor as well breaks the glass as caseworker, then names
    X-Haven-Role: supervisor: acknowledging the supervisors' alert about their own
    emergency access would take it out of every supervisor's inbox. Another supervisor
    does; neither role alone could both break the glass and acknowledge it."""
    alert = Alert.open(uuid.uuid4(), "break-the-glass")
    alert.schedule(thing="g1", category="emergency_access", severity="normal",
                   channels=["inbox"], to=["supervisors"], templates={}, case_id="c1",
                   facts={"actor_id": "cw-sup-1", "case_id": "c1"}, due_at=T0,
                   escalation=None)
    assert alert.fire(alert.due_token, addresses=["role:supervisor"], text="", link="",
                      case_reference=None, at=T0)
    for role in ("supervisor", "caseworker"):
        with pytest.raises(AccessDenied):
            alert.acknowledge(by="cw-sup-1", role=role, at=T0, caseworker_id=None)
    assert alert.status == "sent"
    assert alert.acknowledge(by="sup-2", role="supervisor", at=T0, caseworker_id=None)


def test_an_alert_not_yet_due_cannot_be_acknowledged():
    alert = Alert.open(uuid.uuid4(), "r")
    alert.schedule(thing="t", category="c", severity="normal", channels=[], to=["supervisors"],
                   templates={}, case_id=None, facts={}, due_at=T0, escalation=None)
    with pytest.raises(NotYetSent):
        alert.acknowledge(by="sup-1", role="supervisor", at=T0, caseworker_id=None)


def test_a_timer_set_before_a_move_finds_its_token_stale():
    alert = Alert.open(uuid.uuid4(), "hearing")
    values = {"thing": "h1", "category": "hearing", "severity": "normal", "channels": ["inbox"],
              "to": ["supervisors"], "templates": {}, "case_id": None, "facts": {},
              "escalation": None}
    assert alert.schedule(due_at=T0, **values)
    old = alert.due_token
    assert not alert.schedule(due_at=T0, **values)  # the same time again: nothing new
    assert alert.schedule(due_at=T0 + timedelta(days=1), **values)  # the hearing moved
    assert not alert.fire(old, addresses=["role:supervisor"], text="", link="",
                          case_reference=None, at=T0)
    assert alert.fire(alert.due_token, addresses=["role:supervisor"], text="", link="",
                      case_reference=None, at=T0 + timedelta(days=1))
    assert not alert.fire(alert.due_token, addresses=["role:supervisor"], text="", link="",
                          case_reference=None, at=T0)  # fired once, not twice


def test_a_resolution_that_comes_first_is_kept_and_the_late_schedule_refused():
    alert = Alert.open(uuid.uuid4(), "follow-up-overdue")
    assert alert.resolve("FollowUpDone", T0)
    assert not alert.schedule(thing="f1", category="c", severity="normal", channels=[], to=[],
                              templates={}, case_id=None, facts={}, due_at=T0, escalation=None)
    assert not alert.resolve("FollowUpDone", T0)


def test_an_ongoing_condition_is_told_again_only_after_it_has_ended():
    alert = Alert.open(uuid.uuid4(), "full")
    values = {"thing": "s1", "category": "shelter_full", "severity": "normal", "channels": [],
              "to": ["supervisors"], "templates": {}, "case_id": None, "facts": {},
              "escalation": None, "ongoing": True}
    assert alert.schedule(due_at=T0, **values)
    assert alert.fire(alert.due_token, addresses=["role:supervisor"], text="", link="",
                      case_reference=None, at=T0)
    assert not alert.schedule(due_at=T0 + MINUTE, **values)  # still full: told already
    alert.resolve("AvailabilityChanged", T0 + 2 * MINUTE)
    assert alert.schedule(due_at=T0 + 3 * MINUTE, **values)  # full again


# -- deliveries --------------------------------------------------------------------------------
def delivery() -> Delivery:
    return Delivery.queue(alert_id=uuid.uuid4(), token=1, step=0, channel="email",
                          address="user:cw-7", queued_at=T0)


def test_smtp_replies_decide_retry_4yz_and_never_5yz():
    assert smtp_attempt(250, "").ok
    assert not smtp_attempt(451, "").permanent and smtp_attempt(550, "").permanent
    assert not smtp_attempt(None, "ConnectionRefusedError").permanent
    assert [http_attempt(s).permanent for s in (200, 302, 404, 410, 429, 503)] == [
        False, True, True, True, False, False]


def test_a_transient_failure_is_retried_after_the_back_off_then_given_up():
    d = delivery()
    assert d.record(1, smtp_attempt(451, "smtp 451"), T0, PAUSES)
    assert d.status == "pending" and d.attempts == 1
    assert not d.record(1, smtp_attempt(250, ""), T0, PAUSES)  # that attempt is recorded
    assert d.record(2, smtp_attempt(421, "smtp 421"), T0 + MINUTE, PAUSES)
    assert d.record(3, smtp_attempt(451, "smtp 451"), T0 + 5 * MINUTE, PAUSES)
    assert d.status == "failed" and d.last.reason == "smtp 451"  # no pause left


def test_a_permanent_refusal_is_not_retried_and_success_ends_it():
    refused = delivery()
    refused.record(1, smtp_attempt(550, "smtp 550"), T0, PAUSES)
    assert (refused.status, refused.attempts, refused.last.code) == ("failed", 1, 550)
    accepted = delivery()
    accepted.record(1, smtp_attempt(250, "accepted"), T0, PAUSES)
    assert accepted.status == "delivered"


# -- what notifications knows ------------------------------------------------------------------
def test_a_cases_facts_in_any_order_leave_the_newest_caseworker():
    case = CaseFile.start("case-1")
    assert case.note_assigned("cw-2", T0, version=3)
    case.note_opened("KC-2026-0042", None, T0 - MINUTE, version=1)  # the opening came second
    assert (case.reference, case.caseworker_id) == ("KC-2026-0042", "cw-2")
    assert not case.note_assigned("cw-1", T0 - MINUTE, version=2)  # older, redelivered
    assert case.caseworker_id == "cw-2"


def test_only_a_caseworker_a_supervisor_confirmed_after_their_assignment_is_confirmed():
    case = CaseFile.start("case-1")
    case.note_opened("KC-2026-0042", None, T0, version=1)
    assert case.note_assigned("cw-9", T0, version=2)  # took the case: pending
    assert (case.caseworker_id, case.confirmed_caseworker_id) == ("cw-9", None)
    assert case.note_confirmed("cw-9", T0, version=3)
    assert case.confirmed_caseworker_id == "cw-9"
    assert not case.note_confirmed("cw-9", T0, version=3)  # redelivered
    assert case.note_assigned("cw-4", T0, version=4)  # moved on: cw-9 no more, cw-4 waits
    assert (case.caseworker_id, case.confirmed_caseworker_id) == ("cw-4", None)
    assert case.note_assigned("cw-9", T0, version=5)  # put back: waits for a new one
    assert case.confirmed_caseworker_id is None
    late = CaseFile.start("case-2")  # the confirmation overtook the assignment
    assert late.note_confirmed("cw-9", T0, version=3)
    assert late.note_assigned("cw-9", T0, version=2)
    assert late.confirmed_caseworker_id == "cw-9"


def test_a_case_file_stored_before_versions_were_kept_still_replays():
    """CaseOpenedNoted and CaseworkerNoted, as stored before: their caseworker is known
    (and told), confirmed by nobody until a supervisor's confirmation arrives."""
    case = CaseFile.start("case-1")
    case._opened(reference="KC-2026-0042", opened_at=T0, caseworker_id="cw-1")
    case._assigned(caseworker_id="cw-2", assigned_at=T0 + MINUTE)
    replayed = None
    for stored in case.collect_events():
        replayed = stored.mutate(replayed)
    assert isinstance(replayed, CaseFile)
    assert (replayed.reference, replayed.caseworker_id) == ("KC-2026-0042", "cw-2")
    assert replayed.confirmed_caseworker_id is None
    assert replayed.note_confirmed("cw-2", T0, version=7)
    assert replayed.confirmed_caseworker_id == "cw-2"
    assert replayed.note_assigned("cw-3", T0, version=8)
    assert (replayed.caseworker_id, replayed.confirmed_caseworker_id) == ("cw-3", None)


def test_a_desk_shift_learns_its_start_and_end_in_either_order():
    shift = DeskShift.start("s1", "op-1")
    assert shift.note(ended_at=T0)
    assert shift.note(started_at=T0 - timedelta(hours=8))
    assert not shift.note(started_at=T0 - timedelta(hours=8))
    assert (shift.started_at, shift.ended_at) == (T0 - timedelta(hours=8), T0)


def test_an_on_call_shift_is_bounded_and_ends_once():
    with pytest.raises(InvalidValue):
        OnCallShift.put(user_id="cw-1", starts_at=T0, ends_at=T0)
    with pytest.raises(InvalidValue):
        OnCallShift.put(user_id="cw-1", starts_at=T0, ends_at=T0 + timedelta(days=8))
    shift = OnCallShift.put(user_id="cw-1", starts_at=T0, ends_at=T0 + timedelta(hours=12))
    shift.end(T0 + timedelta(hours=2))
    assert shift.ends_at == T0 + timedelta(hours=2)
    with pytest.raises(Exception, match="already ended"):
        shift.end(T0 + timedelta(hours=3))


def test_dead_letters_open_one_episode_until_the_queue_is_emptied():
    watch = DeadLetterWatch.start("evt-intake-X--casework.on_x.dead")
    assert watch.observe(0, T0) is None
    assert watch.observe(2, T0) == 1
    assert watch.observe(5, T0) is None  # the same episode
    assert watch.observe(0, T0) is None  # replayed
    assert watch.observe(1, T0) == 2


# -- what a message says -------------------------------------------------------------------------
def test_a_notice_says_category_reference_text_and_link_and_an_escalation_says_so():
    alert = sent_alert(category="emergency_case", text="Emergency case KC-2026-0042 opened",
                       link="/api/v1/cases/c1", case_reference="KC-2026-0042")
    notice = notice_of(alert, 0, "https://haven.example")
    assert notice.subject == "[Haven] emergency case KC-2026-0042"
    assert "https://haven.example/api/v1/cases/c1" in notice.body
    escalated = notice_of(alert, 2, "https://haven.example")
    assert escalated.subject.startswith("[Haven] ESCALATED 2/3: ")
    assert "Not acknowledged since 2026-03-02 23:10 UTC" in escalated.body
    payload = webhook_payload(alert, 0, notice)
    assert payload["type"] == "alert.sent" and payload["data"]["link"] == notice.link
