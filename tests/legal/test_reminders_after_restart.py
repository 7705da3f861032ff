"""A hearing reminder that falls due while legal -- and the notifications service -- are
stopped is delivered once they are back, exactly once.

Legal's poll computes what is due from what is stored, so the first poll after a restart
finds the reminder; the event waits in its outbox, then in the consumer's durable queue.
The first test counts what reaches the broker's consumer (`ReminderInbox`: a real nameko
service with Haven's event handler, counting every message it receives); the second runs
the real notifications service and reads the lawyer's inbox.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.casework.contracts import CASE_OPENED
from services.legal.application import Legal
from services.legal.domain import Hearing
from services.legal.service import LegalService
from services.legal.tests.conftest import LAWYER, deliver
from services.notifications.application import Notifications
from services.notifications.projections import READ_MODELS
from services.notifications.service import NotificationsService
from shared.bootstrap import attach_read_models
from shared.config import Settings
from shared.consumers import event_handler
from shared.testing.plugin import eventually
from tests.legal.conftest import relaying
from tests.notifications.support import deliver as tell_notifications

RECEIVED: list[dict] = []


class ReminderInbox:
    name = "reminder_inbox"

    @event_handler("legal", "HearingReminderDue")
    def on_reminder(self, body: dict) -> None:
        RECEIVED.append(body)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """Legal's clock, in every container this test starts."""
    fake = Clock()
    monkeypatch.setattr(Legal, "clock", staticmethod(fake))
    return fake


@pytest.fixture
def store(clock):
    app = Legal(Settings.from_env())
    yield app
    app.close()


def a_hearing_in_three_days(store: Legal, clock: Clock) -> tuple[dict, str, datetime]:
    """A case legal has heard of, a matter of law-1's, a hearing 3 days ahead: (the
    CaseOpened payload, the hearing's id, its start)."""
    opened = {
        "case_id": str(uuid.uuid4()), "reference": f"KC-2026-{uuid.uuid4().int % 10**4:04}",
        "client_id": str(uuid.uuid4()), "contact_id": None, "source": "direct",
        "opened_at": clock.now, "caseworker_id": "cw-3", "possible_duplicate": False,
        "origin_country": "UA", "exploitation_country": "PL", "exploitation_types": [],
        "methods_of_control": [], "recruitment": None, "relationship_to_trafficker": None,
        "urgency": "routine", "version": 1}
    deliver(store, CASE_OPENED, Legal.note_case_opened, opened)
    matter = store.open_matter(LAWYER, UUID(opened["case_id"]), "labour_claim")["matter_id"]
    starts = clock.now + timedelta(days=3)
    hearing = store.schedule_hearing(
        LAWYER, UUID(matter), starts_at=starts, ends_at=starts + timedelta(hours=1),
        hearing_type="main_trial", court="Sąd Rejonowy Katowice",
        time_zone="Europe/Warsaw")["hearing_id"]
    return opened, hearing, starts


def received(hearing_id: str, reminder: str) -> list[int]:
    """The notification ids delivered for this hearing's reminder (a redelivery repeats one)."""
    return [body["notification_id"] for body in RECEIVED
            if body["data"]["hearing_id"] == hearing_id and body["data"]["reminder"] == reminder]


def recorded(store: Legal, hearing_id: str, reminder: str) -> int:
    events = (store.mapper.to_domain_event(s)
              for s in store.recorder.select_events(UUID(hearing_id)))
    return sum(1 for e in events
               if type(e).__name__ == "HearingReminderDue" and e.reminder == reminder)


def test_a_reminder_due_while_legal_and_notifications_were_stopped_comes_once(
        containers, store, clock):
    RECEIVED.clear()
    inbox = containers(ReminderInbox)  # its durable queue exists from now on
    legal = containers(LegalService)
    _, hearing, starts = a_hearing_in_three_days(store, clock)

    legal.kill()
    inbox.kill()
    clock.now += timedelta(days=1, hours=1)  # 47 h before: the 48 h reminder is due now
    assert recorded(store, hearing, "hearing_48h") == 0  # nobody was up to notice

    with relaying("legal"):
        containers(LegalService)  # legal is back: its first polls find what is due
        eventually(lambda: recorded(store, hearing, "hearing_48h") == 1)
        containers(ReminderInbox)  # the notifications side is back too
        eventually(lambda: received(hearing, "hearing_48h"))
        clock.now += timedelta(days=1)  # 23 h before: the next reminder, as a marker
        eventually(lambda: received(hearing, "hearing_24h"))
    # Everything published before the marker has arrived: the 48 h reminder came once.
    assert len(set(received(hearing, "hearing_48h"))) == 1
    assert recorded(store, hearing, "hearing_48h") == 1
    assert store.load(Hearing, hearing).reminded == [
        f"hearing_48h@{starts.isoformat()}", f"hearing_24h@{starts.isoformat()}"]


@pytest.fixture
def notifications(monkeypatch):
    """Notifications' store and read models, shared with the service the test starts."""
    monkeypatch.setenv("HAVEN_NOTIFICATIONS_POLL_SECONDS", "0.05")
    monkeypatch.setenv("HAVEN_NOTIFICATIONS_WATCH_SECONDS", "0")
    app = Notifications(Settings.from_env())
    runner = attach_read_models(app, READ_MODELS)
    yield app
    assert runner is not None
    runner.close()
    app.close()


def lawyers_alerts(notifications: Notifications, hearing_id: str, reminder: str) -> list[dict]:
    """The lawyer's inbox items about this hearing's reminder, read or not."""
    items = notifications.inbox(LAWYER, unread_only=False, category="hearing_soon",
                                page_size=200)["items"]
    return [item for item in items
            if item["link"].endswith(hearing_id) and f"({reminder})" in item["text"]]


def test_the_lawyer_is_told_once_of_a_reminder_due_while_legal_and_notifications_were_down(
        containers, store, clock, notifications):
    ntf = containers(NotificationsService)  # its durable queues exist from now on
    legal = containers(LegalService)
    opened, hearing, starts = a_hearing_in_three_days(store, clock)
    tell_notifications(notifications, CASE_OPENED, opened)  # as casework's relay would

    legal.kill()
    ntf.kill()
    clock.now += timedelta(days=1, hours=1)  # 47 h before: the 48 h reminder is due now

    with relaying("legal"):
        containers(LegalService)
        eventually(lambda: recorded(store, hearing, "hearing_48h") == 1)
        containers(NotificationsService)
        eventually(lambda: lawyers_alerts(notifications, hearing, "hearing_48h"))
        clock.now += timedelta(days=1)  # 23 h before: the next reminder, as a marker
        eventually(lambda: lawyers_alerts(notifications, hearing, "hearing_24h"))
    (alert,) = lawyers_alerts(notifications, hearing, "hearing_48h")
    assert alert["case_reference"] == opened["reference"]
    assert recorded(store, hearing, "hearing_48h") == 1
    assert store.load(Hearing, hearing).reminded == [
        f"hearing_48h@{starts.isoformat()}", f"hearing_24h@{starts.isoformat()}"]
