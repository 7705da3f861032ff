"""Figures for notifications on this machine: how fast it reacts, sends, and reaches the
on-call caseworker. Not a test (nothing is asserted); run it on a quiet machine:

    .venv/bin/python -m tests.notifications.measure

It works in schemas and a vhost of its own, and removes them afterwards.
"""

from __future__ import annotations

import os
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

from shared.process import prepare_service_process

EVENTS, CALLS = 300, 40


def main() -> None:
    """In a run of the test plugin's making (imported through the SMTP server's module):
    its schemas, its vhost and broker users -- each service publishing as its own, as in
    production -- all removed afterwards."""
    from shared import testing
    from shared.config import Settings
    from shared.testing.plugin import BROKER
    from tests.notifications.support import SmtpServer

    testing.create_broker_run(BROKER)
    smtp = SmtpServer().start()
    os.environ.update(HAVEN_NOTIFICATIONS_POLL_SECONDS="0.05",
                      HAVEN_NOTIFICATIONS_WATCH_SECONDS="0",
                      HAVEN_SMTP_HOST="127.0.0.1", HAVEN_SMTP_PORT=str(smtp.port))
    try:
        react_and_send(smtp)
        over_the_broker(smtp)
    finally:
        smtp.stop()
        testing.drop_schemas(Settings.from_env(), Settings.from_env().schema_prefix)
        testing.delete_broker_run(BROKER)


def react_and_send(smtp) -> None:
    """The application alone: emergency calls handed to it, then the poll sending."""
    from services.intake.contracts import CONTACT_LOGGED
    from services.notifications.application import Notifications
    from services.notifications.projections import READ_MODELS
    from services.notifications.tests.conftest import SUPERVISOR, contact
    from shared.bootstrap import attach_read_models
    from tests.notifications.support import deliver

    app = Notifications()
    runner = attach_read_models(app, READ_MODELS)
    now = datetime.now(UTC)
    app.put_on_call(SUPERVISOR, user_id="cw-1", starts_at=now, ends_at=now + timedelta(hours=1))
    started = time.perf_counter()
    for _ in range(EVENTS):
        deliver(app, CONTACT_LOGGED, contact(started_at=now))
    reacted = time.perf_counter() - started
    started = time.perf_counter()
    while len(smtp.received) < EVENTS:
        app.do_due_work()
    sent = time.perf_counter() - started
    print(f"react: {EVENTS} emergency calls in {reacted:.2f} s = {EVENTS / reacted:.0f}/s"
          f" (alert, inbox, e-mail queued, tracking row: one transaction each)")
    print(f"send:  {EVENTS} e-mails over SMTP in {sent:.2f} s = {EVENTS / sent:.0f}/s"
          " (one poll, one connection per message)")
    assert runner is not None
    runner.close()
    app.close()


def over_the_broker(smtp) -> None:
    """An emergency call logged at the desk -> intake's relay -> RabbitMQ -> notifications
    -> the on-call caseworker's inbox, and their mailbox."""
    import eventlet
    from nameko.containers import get_container_cls

    from services.intake.application import Intake
    from services.notifications.service import NotificationsService
    from services.notifications.tests.conftest import SUPERVISOR
    from shared.audit import CommandContext
    from shared.config import Settings
    from shared.outbox import Relay
    from shared.service import ServiceApplication

    cfg = Settings.from_env()
    config = {"AMQP_URI": cfg.amqp_uri, "SERIALIZER": "json"}
    container = get_container_cls(config)(NotificationsService, config)
    container.start()
    (provider,) = [d for d in container.dependencies if isinstance(d, ServiceApplication)]
    app = provider.app
    intake, relay, stop = Intake(cfg), Relay(Intake(cfg), cfg.amqp_uri), threading.Event()
    thread = eventlet.spawn(relay.run_forever, cfg.relay_poll_interval, stop)
    desk = CommandContext(actor_id="op-1", actor_role="helpline_operator", command="measure")
    now = datetime.now(UTC)
    app.put_on_call(SUPERVISOR, user_id="cw-2", starts_at=now, ends_at=now + timedelta(hours=1))
    to_inbox, to_mail = [], []
    for _ in range(CALLS):
        mails = len(smtp.to("cw-2@haven.example"))
        started = time.perf_counter()
        intake.log_contact(desk, channel="phone", direction="inbound", language="uk",
                           caller_type="potential_victim", topic="emergency",
                           urgency="emergency", started_at=datetime.now(UTC))
        inbox = app.views.inbox(["user:cw-2"], page_size=1)["total"]
        while app.views.inbox(["user:cw-2"], page_size=1)["total"] == inbox:
            time.sleep(0.002)
        to_inbox.append(time.perf_counter() - started)
        while len(smtp.to("cw-2@haven.example")) == mails:
            time.sleep(0.002)
        to_mail.append(time.perf_counter() - started)
    for name, times in (("inbox", to_inbox), ("e-mail", to_mail)):
        ms = sorted(t * 1000 for t in times)
        print(f"call logged -> {name} of the on-call caseworker: p50 {statistics.median(ms):.0f}"
              f" ms, p95 {ms[int(len(ms) * 0.95) - 1]:.0f} ms, max {ms[-1]:.0f} ms"
              f" ({CALLS} calls; relay poll {cfg.relay_poll_interval} s, notifications poll"
              " 0.05 s)")
    stop.set()
    thread.wait()
    relay.close()
    intake.close()
    container.kill()


if __name__ == "__main__":
    # The contract payloads (through support.py) import hypothesis, whose plugins (trio)
    # cannot load on eventlet's green sockets; pytest loads them before it patches.
    os.environ.setdefault("HYPOTHESIS_NO_PLUGINS", "1")
    prepare_service_process()  # before psycopg is imported (shared/process.py)
    main()
