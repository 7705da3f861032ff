"""`haven dead-letters`: a dead-lettered message is visible in place and re-driven after a fix,
against the real RabbitMQ and PostgreSQL."""

from __future__ import annotations

import json
import sys
import uuid
from contextlib import closing
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pika
import pytest
from click.testing import CliRunner, Result
from prometheus_client import REGISTRY

from shared.cli import main
from shared.consumers import IdempotentConsumer, event_handler
from shared.manifest import Manifest, Service, manifest
from shared.messaging import Envelope
from shared.testing.plugin import eventually
from tests.platform.msg_apps import Sink, SinkApp, publish_envelopes, queue_depth

FAULT = "ValueError: refused: the ledger rules are misconfigured"


def ledger_service(source: str, service_name: str) -> type:
    """Consumes `source`'s ledger events; LedgerCredited fails until `failing` is cleared
    (the test's deploy of a fix)."""

    class LedgerSink:
        name = service_name
        sink = SinkApp()
        failing = True

        @event_handler(source, "LedgerOpened", max_attempts=2, retry_delay=0.01)
        def on_opened(self, body: dict[str, Any]) -> None:
            IdempotentConsumer(self.sink).handle(body, self.sink.apply_event)

        @event_handler(source, "LedgerCredited", max_attempts=2, retry_delay=0.01)
        def on_credited(self, body: dict[str, Any]) -> None:
            if type(self).failing:
                raise ValueError(FAULT.partition(": ")[2])
            IdempotentConsumer(self.sink).handle(body, self.sink.apply_event)

    return LedgerSink


def credited(source: str, nid: int) -> Envelope:
    return Envelope(source, nid, "LedgerCredited", 1, datetime.now(UTC).isoformat(),
                    correlation_id=str(uuid.uuid4()), causation_id=None,
                    data={"ledger_id": str(uuid.uuid4()), "amount": 5})


def haven(*args: str) -> Result:
    return CliRunner().invoke(main, ["dead-letters", *args])


def bury(amqp_uri: str, queue: str, envelope: Envelope) -> None:
    """Put a message straight into a dead-letter queue, as HavenEventHandler leaves it."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.queue_declare(queue, durable=True)
        channel.basic_publish("", queue, json.dumps(envelope.to_dict()).encode(),
                              pika.BasicProperties(content_type="application/json",
                                                   delivery_mode=2, headers={
                                                       "x-haven-attempts": 2,
                                                       "x-haven-error": FAULT}))
    finally:
        connection.close()


@pytest.fixture
def sink(cfg):
    with closing(Sink(cfg)) as app:
        yield app


@pytest.fixture
def ledgers(monkeypatch) -> Any:
    """The consuming service of a fresh source, added to the manifest under its own name
    (not started)."""
    source = "dlsrc" + uuid.uuid4().hex[:8]
    cls = ledger_service(source, f"ledgers_{source}")
    # Where the manifest looks for a service class: services/<name>/service.py
    module = ModuleType(f"services.{cls.name}.service")
    module.LedgerSink = cls  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setattr("services.manifest.MANIFEST",
                        Manifest(*manifest(), Service(cls.name, "LedgerSink")))
    cls.source = source
    cls.queue = f"evt-{source}-LedgerCredited--{cls.name}.on_credited"
    cls.dead = f"{cls.queue}.dead"
    return cls


@pytest.fixture
def dead_letter(ledgers, sink, amqp_uri, rabbit_config, start_service) -> Envelope:
    """A LedgerCredited message that failed twice and was dead-lettered."""
    start_service(ledgers, {**rabbit_config, "max_workers": 1})
    message = credited(ledgers.source, 1)
    publish_envelopes(amqp_uri, message)
    eventually(lambda: queue_depth(amqp_uri, ledgers.dead) == 1)
    return message


def handled(service: str, source: str) -> float | None:
    return REGISTRY.get_sample_value("haven_consumer_messages_total", {
        "service": service, "source": source, "event": "LedgerCredited", "outcome": "handled"})


def test_list_counts_the_dead_letters_of_each_handler(ledgers, dead_letter):
    result = haven("list", ledgers.name)
    assert result.exit_code == 0, result.output
    counts = {line.split()[-1]: line.split()[0] for line in result.output.splitlines()[1:]}
    assert counts == {ledgers.dead: "1",
                      f"evt-{ledgers.source}-LedgerOpened--{ledgers.name}.on_opened.dead": "0"}
    assert f"{ledgers.source}/LedgerCredited  {ledgers.dead}" in result.output


def test_show_tells_the_error_and_ids_and_leaves_the_messages_in_order(
        ledgers, dead_letter, amqp_uri):
    later = credited(ledgers.source, 2)
    bury(amqp_uri, ledgers.dead, later)

    first, again = haven("show", ledgers.name), haven("show", ledgers.name, "--queue", ledgers.dead)

    assert first.exit_code == 0, first.output
    assert first.output == again.output
    shown = [line for line in first.output.splitlines() if line.startswith("queue=")]
    assert [line.split()[3] for line in shown] == ["notification=1", "notification=2"]
    assert (f"queue={ledgers.dead} source={ledgers.source} type=LedgerCredited notification=1"
            f" correlation={dead_letter.correlation_id} attempts=2 error={FAULT}") in shown
    assert dead_letter.data["ledger_id"] not in first.output  # the body only when asked
    assert queue_depth(amqp_uri, ledgers.dead) == 2


def test_show_prints_the_body_only_with_the_flag(ledgers, dead_letter):
    result = haven("show", ledgers.name, "--body", "--limit", "1")
    assert result.exit_code == 0, result.output
    assert f'"ledger_id": "{dead_letter.data["ledger_id"]}"' in result.output


def test_after_the_fix_a_replayed_message_takes_effect_exactly_once(
        ledgers, dead_letter, sink, amqp_uri):
    ledgers.failing = False  # the fix is deployed

    result = haven("replay", ledgers.name)

    assert result.exit_code == 0, result.output
    assert f"moved 1 message(s) from {ledgers.dead} back to {ledgers.queue}" in result.output
    eventually(lambda: sink.effects(ledgers.source) == {1: 1})
    # The worker counts the message once its transaction has committed: soon after.
    eventually(lambda: handled(sink.name, ledgers.source) == 1)
    assert queue_depth(amqp_uri, ledgers.dead) == 0
    assert queue_depth(amqp_uri, ledgers.queue) == 0


def test_a_replay_before_the_fix_ends_and_starts_the_attempts_afresh(
        ledgers, dead_letter, amqp_uri):
    result = haven("replay", ledgers.name, "--queue", ledgers.queue)

    assert result.exit_code == 0, result.output  # replays what was there, does not chase it
    assert "1 dead letter(s) replayed" in result.output
    eventually(lambda: REGISTRY.get_sample_value("haven_dead_letters_total", {
        "service": ledgers.name, "source": ledgers.source, "event": "LedgerCredited"}) == 2)
    assert "attempts=2 " in haven("show", ledgers.name).output  # 2 again, not 3


def test_a_message_whose_queue_is_gone_stays_dead_lettered(ledgers, amqp_uri):
    bury(amqp_uri, ledgers.dead, credited(ledgers.source, 1))  # its service never ran here

    result = haven("replay", ledgers.name)

    assert result.exit_code == 1
    assert f"it stays in {ledgers.dead}" in result.output
    assert queue_depth(amqp_uri, ledgers.dead) == 1


def test_an_unknown_service_exits_2_with_one_line():
    result = haven("list", "no-such-service")
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert "no service 'no-such-service'" in line and "casework" in line  # names the known


def test_an_unreachable_broker_exits_2_with_one_line(ledgers, monkeypatch):
    monkeypatch.setenv("HAVEN_AMQP_URI", "amqp://guest:guest@127.0.0.1:1/")
    result = haven("show", ledgers.name)
    assert result.exit_code == 2
    [line] = result.output.strip().splitlines()
    assert line.startswith("cannot reach the broker at 127.0.0.1:1/")
