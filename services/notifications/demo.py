"""Demo data for `haven dev`: tonight at the centre, as each role's inbox shows it.

By the time this runs, the other demos have flowed through notifications' own consumers
over the in-memory broker, as in production: caseworkers cw-01.. have assignments and
overdue follow-ups, lawyers law-01.. hearing reminders, supervisors and shelter staff
shelters without a free bed. This adds tonight, for the users `haven dev` prints tokens
for (demo-<role>):
- the on-call roster: demo-caseworker on call now, cw-01 the twelve hours before;
- the helpline, through intake's own commands: demo-helpline_operator at the desk, two
  emergency calls in the last half hour (the on-call caseworker acknowledged the first;
  the second escalates to supervisors a quarter of an hour after it arrived, unless
  someone acknowledges it), a missed call to call back;
- casework, through its own commands as a supervisor: a case handed to demo-caseworker,
  its follow-up overdue since yesterday, legal help (lawyers) and a shelter place (shelter
  staff) requested for it, its reflection period ending in ten days; and a colleague's
  break-the-glass access to it, for supervisors to review;
- for ops, a dead-letter episode in casework's queue of helpline referrals (the broker of
  `haven dev` keeps no dead letters of its own to watch).
Every name is invented, and none reaches a message anyway.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from eventsourcing.utils import get_topic

from services.casework.application import Casework
from services.casework.domain import Case
from services.intake.application import Intake
from services.notifications.application import Notifications
from services.notifications.projections import READ_MODELS
from shared.audit import CommandContext
from shared.bootstrap import attach_read_models
from shared.config import Settings
from shared.dead_letters import HandlerQueue
from shared.errors import HavenError
from shared.vocabulary import ChangeReason

SUPERVISOR = CommandContext(actor_id="demo-supervisor", actor_role="supervisor",
                            command="load_demo", reason=ChangeReason.DEMO_DATA)
DESK = CommandContext(actor_id="demo-helpline_operator", actor_role="helpline_operator",
                      command="load_demo", reason=ChangeReason.DEMO_DATA)
COLLEAGUE = CommandContext(actor_id="cw-02", actor_role="caseworker", command="load_demo",
                           reason=ChangeReason.DEMO_DATA)
ON_CALL = CommandContext(actor_id="demo-caseworker", actor_role="caseworker",
                         command="load_demo", reason=ChangeReason.DEMO_DATA)
EMERGENCY = {"channel": "phone", "direction": "inbound", "language": "uk",
             "caller_type": "potential_victim", "topic": "emergency", "urgency": "emergency",
             "summary": "Caller hiding in a petrol station toilet, asks to be picked up."}


def load_demo(cfg: Settings, now: datetime | None = None,
              between: Callable[[], None] = lambda: None, wait_seconds: float = 180.0) -> int:
    """Tonight's roster and events; returns how many alerts wait for someone. It waits for
    notifications to hear of a case's new caseworker before that case's reminders, and for
    the first emergency call before acknowledging it: at most `wait_seconds` each (the
    other demos' events may still be on their way)."""
    now = now or datetime.now(UTC)
    app = Notifications(cfg)
    runner = attach_read_models(app, READ_MODELS)

    def until(found: Callable[[], Any]) -> Any:
        """`found()` once notifications has heard what the other services said."""
        deadline = time.monotonic() + wait_seconds
        while not (result := found()) and time.monotonic() < deadline:
            between()
            time.sleep(0.2)
        return result

    try:
        _roster(app, now)
        first_call = _helpline(Intake(cfg), app, now, until)
        _casework(Casework(cfg), app, now, until)
        _dead_letter(app, now)
        first = until(lambda: _alert_about(app, first_call))
        if first is not None:
            app.acknowledge(ON_CALL, first)
        return int(app.views.open_alerts(None, 1, 1)["total"])
    finally:
        if runner is not None:
            runner.close()
        app.close()


def _roster(app: Notifications, now: datetime) -> None:
    shift = timedelta(hours=12)
    app.put_on_call(SUPERVISOR, user_id="cw-01", starts_at=now - timedelta(hours=4) - shift,
                    ends_at=now - timedelta(hours=4))
    app.put_on_call(SUPERVISOR, user_id="demo-caseworker", starts_at=now - timedelta(hours=4),
                    ends_at=now - timedelta(hours=4) + shift)


def _helpline(intake: Intake, app: Notifications, now: datetime,
              until: Callable[[Callable[[], Any]], Any]) -> str:
    """The desk's night; answers the first emergency call's contact id."""
    try:
        intake.start_shift(DESK, started_at=now - timedelta(hours=2))
        # The missed call goes to whoever is at the desk: first let notifications hear
        # that the demo's operator is (the shift and the call travel on separate queues).
        until(lambda: DESK.actor_id in app.views.at_the_desk(now))
        calls = [str(intake.log_contact(DESK, started_at=now - timedelta(minutes=ago),
                                        **EMERGENCY)["contact_id"]) for ago in (25, 9)]
        intake.record_missed_call(DESK, "phone", now - timedelta(minutes=5),
                                  callback_contact="+48 500 100 200")
        return calls[0]
    finally:
        intake.close()


def _casework(casework: Casework, app: Notifications, now: datetime,
              until: Callable[[Callable[[], Any]], Any]) -> None:
    """A recent open case, handed to demo-caseworker with work waiting."""
    topic = get_topic(Case.CaseOpened)  # type: ignore[attr-defined]
    try:
        for opened in reversed(casework.recorder.select_notifications(1, 100_000,
                                                                      topics=[topic])):
            case = casework.load(Case, opened.originator_id, sealed=True)
            try:
                casework.assign_caseworker(SUPERVISOR, case.id, "demo-caseworker")
            except HavenError:
                continue  # closed, or otherwise not to be handed over: the next one
            # The case's reminders go to its caseworker: first let notifications hear who
            # that is now (the assignment and the reminders travel on separate queues).
            until(partial(_caseworker_is, app, str(case.id), "demo-caseworker"))
            _work_waiting(casework, case, now)
            return
    finally:
        casework.close()


def _caseworker_is(app: Notifications, case_id: str, caseworker: str) -> bool:
    found = app.case_file(case_id)
    return found is not None and found.caseworker_id == caseworker


def _work_waiting(casework: Casework, case: Case, now: datetime) -> None:
    overdue = max(now - timedelta(days=1), case.opened_at + timedelta(hours=1))
    steps: list[Callable[[], Any]] = [
        lambda: casework.schedule_follow_up(SUPERVISOR, case.id, overdue),
        lambda: casework.request_legal_assistance(SUPERVISOR, case.id, "labour_claim"),
        lambda: casework.request_shelter_placement(SUPERVISOR, case.id, needs_isolation=True,
                                                   isolation_reason="safety"),
        lambda: casework.start_reflection_period(SUPERVISOR, case.id, now.date(),
                                                 (now + timedelta(days=10)).date()),
        lambda: casework.break_the_glass(COLLEAGUE, case.id, "imminent_danger",
                                         "Client rang from an unknown number at night")]
    for step in steps:
        with contextlib.suppress(HavenError):  # a step the case refuses: the demo goes on
            step()


def _dead_letter(app: Notifications, now: datetime) -> None:
    queue = HandlerQueue("intake", "ReferredToCasework",
                         "evt-intake-ReferredToCasework--casework.on_referred_to_casework")
    app.retrying(lambda: app.observe_dead_letters("casework", queue, 1, now))


def _alert_about(app: Notifications, contact_id: str) -> Any:
    """The on-call caseworker's alert of this emergency call, once it has arrived."""
    page = app.inbox(ON_CALL, category="emergency_contact", page_size=200)
    return next((i["alert_id"] for i in page["items"] if i["link"].endswith(contact_id)), None)
