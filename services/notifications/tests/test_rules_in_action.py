"""The shipped rules on events from every service, on the real PostgreSQL: who is told,
when, and what ends it."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.casework.contracts import (
    CASE_CLOSED,
    EMERGENCY_ACCESS_GRANTED,
    FOLLOW_UP_SCHEDULED,
    REFLECTION_PERIOD_STARTED,
    SUBJECT_ERASED,
)
from services.intake.contracts import CALL_MISSED, CALLBACK_DONE, SHIFT_ENDED, SHIFT_STARTED
from services.legal.contracts import HEARING_MOVED, HEARING_REMINDER_DUE
from services.notifications.tests.conftest import SUPERVISOR, T0, inbox, poll, staff
from services.notifications.tests.test_application import case
from services.shelter.contracts import AVAILABILITY_CHANGED
from tests.notifications.support import deliver

LAWYER = staff("law-2", "lawyer")


def hearing_reminder(opened: dict, hearing_id: uuid.UUID, starts_at, reminder: str,
                     interpreter: bool = True) -> dict:
    return {"matter_id": uuid.uuid4(), "case_id": opened["case_id"], "hearing_id": hearing_id,
            "reminder": reminder, "starts_at": starts_at, "time_zone": "Europe/Warsaw",
            "hearing_type": "main_trial", "lawyer_id": "law-2", "accompanied_by": ["cw-4"],
            "interpreter_needed": interpreter, "interpreter_language": "uk",
            "accompaniment_needed": True, "reminded_at": T0}


def test_a_hearing_reminder_goes_to_lawyer_companion_and_caseworker_and_a_move_ends_it(app):
    opened = case(app, caseworker="cw-3")
    hearing, starts = uuid.uuid4(), T0 + timedelta(hours=48)
    deliver(app, HEARING_REMINDER_DUE, hearing_reminder(opened, hearing, starts, "hearing_48h"))
    for who in (LAWYER, staff("cw-4"), staff("cw-3")):
        assert "hearing_soon" in {i["category"] for i in inbox(app, who)}
    (interpreter,) = inbox(app, staff("cw-3"), category="interpreter_needed")
    assert "needs an interpreter (uk)" in interpreter["text"]
    assert opened["reference"] in interpreter["text"]

    moved_to = starts + timedelta(days=7)
    deliver(app, HEARING_MOVED, {"matter_id": uuid.uuid4(), "case_id": opened["case_id"],
                                 "hearing_id": hearing, "starts_at": moved_to,
                                 "ends_at": moved_to + timedelta(hours=2),
                                 "previous_starts_at": starts})
    assert inbox(app, LAWYER) == [] and inbox(app, staff("cw-3")) == []
    (ended, *_) = inbox(app, LAWYER, unread_only=False)
    assert (ended["status"], ended["resolution"]) == ("resolved", "HearingMoved")
    # Legal reminds again for the new time: that is a new notice, not the old one.
    deliver(app, HEARING_REMINDER_DUE, hearing_reminder(opened, hearing, moved_to,
                                                        "hearing_48h", interpreter=False))
    assert [i["category"] for i in inbox(app, LAWYER)] == ["hearing_soon"]
    assert inbox(app, staff("cw-3"), category="interpreter_needed") == []


def test_a_missed_call_is_a_callback_task_for_whoever_is_at_the_desk_until_called_back(
        app, clock):
    shift = uuid.uuid4()
    deliver(app, SHIFT_STARTED, {"shift_id": shift, "operator_id": "op-4",
                                 "started_at": T0 - timedelta(hours=2)})
    missed = {"missed_call_id": uuid.uuid4(), "channel": "phone", "missed_at": T0,
              "has_callback_contact": True}
    deliver(app, CALL_MISSED, missed)
    (task,) = inbox(app, staff("op-4", "helpline_operator"))
    assert task["category"] == "callback_task" and "callback number left: yes" in task["text"]
    clock.advance(minutes=30)
    poll(app)
    assert inbox(app, SUPERVISOR)[0]["alert_id"] == task["alert_id"]  # not called back
    deliver(app, CALLBACK_DONE, {"missed_call_id": missed["missed_call_id"],
                                 "contact_id": uuid.uuid4(), "done_at": clock.now})
    assert inbox(app, staff("op-4", "helpline_operator")) == [] and inbox(app, SUPERVISOR) == []

    deliver(app, SHIFT_ENDED, {"shift_id": shift, "operator_id": "op-4", "ended_at": clock.now})
    deliver(app, CALL_MISSED, {**missed, "missed_call_id": uuid.uuid4(), "missed_at": clock.now})
    (unstaffed,) = inbox(app, staff("op-9", "helpline_operator"))  # nobody on duty: the desk
    assert unstaffed["category"] == "callback_task"


def test_a_shelter_without_a_free_bed_is_told_once_while_it_lasts(app):
    shelter, versions = uuid.uuid4(), iter(range(2, 100))

    def availability(beds_free: int, isolation: int = 1) -> None:
        deliver(app, AVAILABILITY_CHANGED, {
            "shelter_id": shelter, "code": "WAW-1", "beds_in_service": 12,
            "beds_free": beds_free, "isolation_rooms_free": isolation, "open": True,
            "changed_at": T0, "version": next(versions)})

    availability(0)
    availability(0, isolation=0)
    categories = [i["category"] for i in inbox(app, SUPERVISOR)]
    assert sorted(categories) == ["no_isolation_room", "shelter_full"]
    availability(2, isolation=0)
    assert [i["category"] for i in inbox(app, SUPERVISOR)] == ["no_isolation_room"]
    availability(0, isolation=0)
    assert sorted(i["category"] for i in inbox(app, SUPERVISOR)) == [
        "no_isolation_room", "shelter_full"]
    assert "Shelter WAW-1 has no bed free" in inbox(
        app, staff("sh-1", "shelter_staff"), category="shelter_full")[0]["text"]


def test_reminders_of_a_case_end_with_the_case_and_with_its_clients_erasure(app, clock):
    closed, erased = case(app), case(app)
    for opened in (closed, erased):
        deliver(app, FOLLOW_UP_SCHEDULED, {"case_id": opened["case_id"],
                                           "follow_up_id": uuid.uuid4(),
                                           "due_at": T0 + timedelta(days=2)})
        deliver(app, REFLECTION_PERIOD_STARTED, {
            "case_id": opened["case_id"], "starts_on": T0.date(),
            "ends_on": (T0 + timedelta(days=30)).date()})
    poll(app)
    deliver(app, CASE_CLOSED, {"case_id": closed["case_id"], "status": "Closed",
                               "closure_reason": "goals_achieved", "closed_at": T0})
    deliver(app, SUBJECT_ERASED, {"client_id": erased["client_id"], "subject_ids": ["s"],
                                  "case_ids": [erased["case_id"]], "contact_ids": [],
                                  "erased_at": T0})
    clock.advance(days=40)
    poll(app)
    assert inbox(app, staff("cw-3"), unread_only=False) == []


def test_a_reflection_period_ending_reminds_14_and_7_days_before(app, clock):
    opened = case(app)
    deliver(app, REFLECTION_PERIOD_STARTED, {"case_id": opened["case_id"],
                                             "starts_on": T0.date(),
                                             "ends_on": (T0 + timedelta(days=30)).date()})
    clock.advance(days=15, hours=8, minutes=59)  # 2026-03-18 07:59 UTC
    poll(app)
    assert inbox(app, staff("cw-3")) == []
    clock.advance(minutes=1)  # 14 days before the last day (2026-04-01), in the morning
    poll(app)
    (first,) = inbox(app, staff("cw-3"))
    assert first["category"] == "reflection_period_ending"
    clock.advance(days=7)
    poll(app)
    assert len(inbox(app, staff("cw-3"))) == 2


def test_break_the_glass_is_announced_to_supervisors(app, smtp):
    opened = case(app)
    deliver(app, EMERGENCY_ACCESS_GRANTED, {
        "grant_id": uuid.uuid4(), "client_id": opened["client_id"],
        "case_id": opened["case_id"], "case_ids": [opened["case_id"]], "actor_id": "cw-6",
        "reason_code": "imminent_danger", "granted_at": T0,
        "expires_at": T0 + timedelta(hours=4)})
    poll(app)
    (alert,) = inbox(app, SUPERVISOR)
    assert alert["category"] == "emergency_access"
    assert f"case {opened['reference']} by cw-6 (imminent_danger)" in alert["text"]
    assert alert["link"] == f"/api/v1/cases/{opened['case_id']}/access-log"
    assert len(smtp.to("supervisors@haven.example")) == 1
