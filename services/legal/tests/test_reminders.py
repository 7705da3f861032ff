"""Reminders on a real PostgreSQL store: computed from what is stored, so one that fell
due while nothing polled is recorded by the next poll -- once, however many poll."""

from __future__ import annotations

import threading
from datetime import timedelta
from uuid import UUID

import pytest

from services.legal.domain import Matter
from services.legal.tests.conftest import (
    LAWYER,
    SUPERVISOR,
    T0,
    a_hearing,
    a_matter,
    case_in_casework,
)

HEARING_AT = T0 + timedelta(days=10)


@pytest.fixture
def matter_id(app, casework, runner):
    return a_matter(app, case_in_casework(app, casework))


def _events(app, aggregate_id):
    return [app.mapper.to_domain_event(s) for s in app.recorder.select_events(UUID(aggregate_id))]


def due(app, aggregate_id) -> list[str]:
    return [e.reminder for e in _events(app, aggregate_id) if "ReminderDue" in type(e).__name__]


def test_nothing_is_due_before_its_time_and_each_reminder_once_after(app, matter_id, clock):
    hearing = a_hearing(app, matter_id, HEARING_AT)
    clock.advance(days=7)  # 3 days before: the 48 h reminder is still ahead
    assert app.send_due_reminders() == 0
    clock.advance(days=2, hours=1)  # 23 h before: both fell due while nothing polled
    assert app.send_due_reminders() == 2
    assert app.send_due_reminders() == 0
    assert sorted(due(app, hearing)) == ["hearing_24h", "hearing_48h"]


def test_a_moved_hearing_is_reminded_of_its_new_date_only(app, matter_id, clock):
    hearing = a_hearing(app, matter_id, HEARING_AT)
    clock.advance(days=8, hours=12)  # the 48 h reminder is due
    app.move_hearing(LAWYER, UUID(hearing), HEARING_AT + timedelta(days=7),
                     HEARING_AT + timedelta(days=7, hours=2))
    assert app.send_due_reminders() == 0  # the old date's reminder is stale
    clock.advance(days=6, hours=13)  # 47 h before the new date
    assert app.send_due_reminders() == 1
    (reminded,) = [e for e in _events(app, hearing) if type(e).__name__ == "HearingReminderDue"]
    assert reminded.starts_at == HEARING_AT + timedelta(days=7)


def test_a_cancelled_hearing_reminds_no_one(app, matter_id, clock):
    hearing = a_hearing(app, matter_id, HEARING_AT)
    app.cancel_hearing(LAWYER, UUID(hearing), "withdrawn")
    clock.advance(days=10)
    assert app.send_due_reminders() == 0


def test_two_pollers_at_once_record_each_reminder_once(app, matter_id, clock, cfg):
    hearings = [a_hearing(app, matter_id, HEARING_AT + timedelta(hours=3 * n))
                for n in range(4)]
    clock.advance(days=8, hours=12)  # every 48 h reminder is due, no 24 h one yet
    other_process = type(app)(cfg)
    other_process.clock, other_process.views = app.clock, app.views
    start = threading.Barrier(2)
    counts: list[int] = []

    def poll(application):
        start.wait()
        counts.append(application.send_due_reminders())

    threads = [threading.Thread(target=poll, args=(a,)) for a in (app, other_process)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    other_process.close()
    assert sum(counts) == 4
    assert all(due(app, h) == ["hearing_48h"] for h in hearings)


def test_a_deadline_is_reminded_three_days_ahead(app, matter_id, clock):
    app.set_deadline(LAWYER, UUID(matter_id), "appeal", due_on=(T0 + timedelta(days=20)).date())
    clock.advance(days=17)
    assert app.send_due_reminders() == 1
    (event,) = [e for e in _events(app, matter_id) if type(e).__name__ == "DeadlineReminderDue"]
    assert (event.kind, event.due_on) == ("appeal", (T0 + timedelta(days=20)).date())
    assert app.load(Matter, matter_id).deadlines  # the matter itself is unchanged otherwise


def test_a_new_lawyer_takes_the_matters_hearings_ahead_along(app, matter_id, clock,
                                                              monkeypatch):
    """Their calendar, their reminders; a hearing already held keeps the lawyer it had. A
    hearing set before matters linked their hearings is found in the old lawyer's calendar
    (a history stored before this change replays as it was)."""
    ahead = a_hearing(app, matter_id, HEARING_AT)
    with monkeypatch.context() as before_links:
        before_links.setattr(Matter, "link_hearing", lambda self, hearing_id: None)
        unlinked = a_hearing(app, matter_id, HEARING_AT + timedelta(days=1))
    held = a_hearing(app, matter_id, T0 + timedelta(hours=3))
    app.record_hearing_outcome(LAWYER, UUID(held), "held", recorded_at=T0 + timedelta(hours=6))
    app.assign_lawyer(SUPERVISOR, UUID(matter_id), "law-2")
    assert {h: app.get_hearing(LAWYER, UUID(h))["lawyer_id"]
            for h in (ahead, unlinked, held)} == {ahead: "law-2", unlinked: "law-2",
                                                   held: "law-1"}
    assert set(app.calendar("law-1").slots) == {held}
    assert set(app.calendar("law-2").slots) == {ahead, unlinked}
    clock.advance(days=8, hours=12)  # the 48 h reminder of the first is due
    assert app.send_due_reminders() == 1
    (reminded,) = [e for e in _events(app, ahead) if type(e).__name__ == "HearingReminderDue"]
    assert reminded.lawyer_id == "law-2"


def test_the_first_lawyer_of_a_matter_gets_the_hearings_set_before(app, casework, runner):
    """A supervisor set a hearing while the matter had no lawyer: assigning one books it."""
    matter_id = a_matter(app, case_in_casework(app, casework), ctx=SUPERVISOR)
    hearing = a_hearing(app, matter_id, HEARING_AT, ctx=SUPERVISOR)
    assert app.get_hearing(SUPERVISOR, UUID(hearing))["lawyer_id"] is None
    app.assign_lawyer(SUPERVISOR, UUID(matter_id), "law-2")
    assert app.get_hearing(SUPERVISOR, UUID(hearing))["lawyer_id"] == "law-2"
    assert set(app.calendar("law-2").slots) == {hearing}
