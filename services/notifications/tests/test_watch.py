"""The dead-letter watch on the real RabbitMQ: a message dead-lettered in any service tells
ops once, until the queue is emptied; a new one then tells them again."""

from __future__ import annotations

import json

import pika
import pytest

from services.intake.service import IntakeService
from services.notifications.tests.conftest import inbox, poll, staff
from shared.dead_letters import handler_queues
from tests.notifications.support import text_of

OPS = staff("ops-1", "ops")


@pytest.fixture
def dead_queue(amqp_uri):
    """Intake's handler of casework's CaseOpened, its dead-letter queue empty to begin."""
    (handler,) = [q for q in handler_queues(IntakeService) if q.event == "CaseOpened"]
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    channel.queue_declare(handler.dead, durable=True)
    channel.queue_purge(handler.dead)

    def dead_letter() -> None:
        body = {"source": "casework", "notification_id": 7, "type": "CaseOpened",
                "data": {"case_id": "not-a-case"}}
        channel.basic_publish("", handler.dead, json.dumps(body).encode(),
                              pika.BasicProperties(headers={"x-haven-error": "ValueError: x"}))

    yield handler, dead_letter, lambda: channel.queue_purge(handler.dead)
    channel.queue_purge(handler.dead)
    connection.close()


def ours(app) -> list[dict]:
    return [a for a in inbox(app, OPS, unread_only=False, category="dead_letter")
            if "dead-lettered in intake (casework CaseOpened)" in a["text"]]


def test_a_dead_letter_anywhere_tells_ops_once_per_episode(app, dead_queue, smtp):
    handler, dead_letter, purge = dead_queue
    app.watch_dead_letters()
    assert ours(app) == []
    dead_letter()
    app.watch_dead_letters()
    dead_letter()
    app.watch_dead_letters()  # still the same episode: no second alert
    (alert,) = ours(app)
    assert alert["severity"] == "critical" and "haven dead-letters show intake" in alert["text"]
    poll(app)
    (mail,) = [m for m in smtp.to("ops@haven.example")
               if "dead-lettered in intake (casework CaseOpened)" in text_of(m)]
    assert mail["Subject"] == "[Haven] dead letter"

    purge()  # replayed after a fix
    app.watch_dead_letters()
    dead_letter()
    app.watch_dead_letters()
    assert len(ours(app)) == 2
