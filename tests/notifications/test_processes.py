"""Two notifications processes (`haven run notifications`, as deployed: two replicas) poll
one due-work table. Reminders that fell due while no process ran fire once each when they
start; reminders falling due while both run fire once each too. Each e-mail reaches the
real SMTP server once."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from services.casework.contracts import CASE_OPENED, FOLLOW_UP_SCHEDULED
from services.notifications.application import Notifications
from services.notifications.domain import Alert, Delivery
from services.notifications.projections import READ_MODELS
from shared.bootstrap import attach_read_models
from shared.config import Settings
from shared.testing import haven_script
from shared.testing.plugin import eventually
from tests.notifications.support import deliver, text_of

REMINDERS = 60  # each batch: more than one poll round claims (50), so both may take part
STARTED = "service notifications started"


@pytest.fixture
def store(smtp, monkeypatch):
    """Notifications' store on schemas of this test's own, shared with the processes."""
    for name, value in {"HAVEN_SCHEMA_PREFIX": f"{Settings.from_env().schema_prefix}"
                                               f"p{uuid.uuid4().hex[:6]}_",
                        "HAVEN_NOTIFICATIONS_WATCH_SECONDS": "0",
                        "HAVEN_SMTP_HOST": "127.0.0.1", "HAVEN_SMTP_PORT": str(smtp.port)
                        }.items():
        monkeypatch.setenv(name, value)
    app = Notifications(Settings.from_env())
    runner = attach_read_models(app, READ_MODELS)
    yield app
    runner.close()
    app.close()


def reminders(app: Notifications, first: int, due_at: datetime) -> list[str]:
    """REMINDERS follow-ups due at `due_at`, of cases KC-2026-<first>...: their references."""
    references = []
    for n in range(first, first + REMINDERS):
        case_id, reference = uuid.uuid4(), f"KC-2026-{n}"
        deliver(app, CASE_OPENED, {
            "case_id": case_id, "reference": reference, "client_id": uuid.uuid4(),
            "contact_id": None, "source": "direct", "opened_at": due_at - timedelta(days=1),
            "caseworker_id": "cw-3", "possible_duplicate": False, "origin_country": None,
            "exploitation_country": None, "exploitation_types": [], "methods_of_control": [],
            "recruitment": None, "relationship_to_trafficker": None, "urgency": "routine",
            "version": 1})
        deliver(app, FOLLOW_UP_SCHEDULED, {"case_id": case_id, "follow_up_id": uuid.uuid4(),
                                           "due_at": due_at})
        references.append(reference)
    return references


def start(log: Path) -> subprocess.Popen:
    env = {**os.environ, "HAVEN_NOTIFICATIONS_POLL_SECONDS": "0.1", "HAVEN_METRICS_PORT": "0"}
    haven = haven_script()
    with log.open("w") as out:
        return subprocess.Popen([str(haven), "run", "notifications"], env=env, stdout=out,
                                stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen, log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    assert process.returncode == 0, log.read_text()


def sent_once(smtp, references: list[str]) -> Callable[[], bool]:
    def check() -> bool:
        sent = Counter(ref for m in smtp.received for ref in references if ref in text_of(m))
        assert max(sent.values(), default=0) <= 1, sent  # never twice, even while it runs
        return len(sent) == len(references)

    return check


def test_reminders_fire_once_each_whether_due_before_or_while_two_processes_run(
        store, smtp, tmp_path):
    # Scheduled an hour and a half ago, due an hour ago: nothing ran to fire them.
    then = datetime.now(UTC) - timedelta(minutes=90)
    store.clock = lambda: then
    overdue = reminders(store, 7000, then + timedelta(minutes=30))
    assert store.do_due_work() == 0  # nothing was due back then
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    processes = [start(log) for log in logs]
    try:
        eventually(lambda: all(STARTED in log.read_text() for log in logs), timeout=90)
        eventually(sent_once(smtp, overdue), timeout=60)
        # And now, with both running, more fall due (a few seconds from now).
        store.clock = lambda: datetime.now(UTC)
        soon = reminders(store, 8000, datetime.now(UTC) + timedelta(seconds=3))
        eventually(sent_once(smtp, soon), timeout=60)
        eventually(lambda: store.views.timer_lag(datetime.now(UTC)) == 0, timeout=30)
    finally:
        for process, log in zip(processes, logs, strict=True):
            stop(process, log)
    assert sent_once(smtp, overdue + soon)()
    assert {m["To"] for m in smtp.received} == {"cw-3@haven.example"}
    items = store.views.inbox(["user:cw-3"], page_size=200)["items"]
    assert len(items) == 2 * REMINDERS
    for item in items:
        alert = store.load(Alert, item["alert_id"])
        assert (alert.status, alert.step, alert.due_token) == ("sent", 0, 1)
    deliveries = store.views.deliveries(None, "email", 1, 200)["items"]
    assert len(deliveries) == 2 * REMINDERS
    for row in deliveries:
        delivery = store.load(Delivery, row["delivery_id"])
        assert (delivery.status, delivery.attempts) == ("delivered", 1)
    for log in logs:
        assert "Traceback" not in log.read_text() and " ERROR " not in log.read_text()
