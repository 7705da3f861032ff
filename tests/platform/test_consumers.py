"""Idempotent consumers and dead-lettering against real PostgreSQL and RabbitMQ."""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import kombu
import pytest
from eventsourcing.persistence import IntegrityError, Tracking
from prometheus_client import REGISTRY

from shared.consumers import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    IdempotentConsumer,
    TrackingNotExact,
    has_handled,
)
from shared.messaging import Envelope
from shared.testing.plugin import eventually
from tests.platform.msg_apps import (
    Sink,
    get_all,
    publish_envelopes,
    queue_depth,
    sink_service,
)
from tests.platform.sample import Dossiers


@pytest.fixture
def sink(cfg):
    app = Sink(cfg)
    yield app
    app.close()


@pytest.fixture
def source() -> str:
    return "msgsrc" + uuid.uuid4().hex[:8]


def envelope(source: str, nid: int, event_type: str = "LedgerCredited", **data) -> Envelope:
    return Envelope(source=source, notification_id=nid, type=event_type, version=1,
                    occurred_at=datetime.now(UTC).isoformat(), correlation_id=str(uuid.uuid4()),
                    causation_id=None, data={"ledger_id": str(uuid.uuid4()), **data})


def consumed(source: str, outcome: str, service: str = "msgsink") -> float:
    return sum(REGISTRY.get_sample_value("haven_consumer_messages_total", {
        "service": service, "source": source, "event": event, "outcome": outcome}) or 0.0
        for event in ("LedgerOpened", "LedgerCredited"))


# -- IdempotentConsumer on its own ----------------------------------------------------------
def test_a_second_delivery_has_no_effect(sink, source):
    consumer = IdempotentConsumer(sink)
    message = envelope(source, 1).to_dict()
    assert consumer.handle(message, sink.apply_event) is True
    assert consumer.handle(message, sink.apply_event) is False
    assert sink.effects(source) == {1: 1}
    assert has_handled(sink, Tracking(source, 1))


def test_messages_arriving_out_of_order_are_all_applied(sink, source):
    """nameko gives each event type its own queue: a later notification may come first."""
    consumer = IdempotentConsumer(sink)
    for nid in (5, 3, 4):
        assert consumer.handle(envelope(source, nid), sink.apply_event) is True
    assert sink.effects(source) == {3: 1, 4: 1, 5: 1}
    assert not has_handled(sink, Tracking(source, 2))


def test_a_concurrent_duplicate_that_wins_the_race_is_skipped(sink, source):
    consumer = IdempotentConsumer(sink)
    message = envelope(source, 1)

    def slow_handler(env, tracking):
        # The other delivery commits while this one is still deciding.
        assert consumer.handle(env, sink.apply_event) is True
        sink.apply_event(env, tracking)

    assert consumer.handle(message, slow_handler) is False
    assert sink.effects(source) == {1: 1}


def test_an_integrity_error_that_is_not_a_duplicate_propagates(sink, source):
    def conflicting(env, tracking):
        raise IntegrityError("aggregate changed concurrently")

    with pytest.raises(IntegrityError):
        IdempotentConsumer(sink).handle(envelope(source, 1), conflicting)
    assert not has_handled(sink, Tracking(source, 1))


def test_a_message_that_needs_no_change_is_still_remembered(sink, source):
    consumer = IdempotentConsumer(sink)
    assert consumer.handle(envelope(source, 7), lambda env, tracking: None) is True
    assert has_handled(sink, Tracking(source, 7))
    assert consumer.handle(envelope(source, 7), sink.apply_event) is False
    assert sink.effects(source) == {}


def test_a_message_handled_with_its_tracking_saved_asks_the_store_once(sink, source,
                                                                     monkeypatch):
    """The save that recorded the tracking row says so: no second query to find out."""
    import shared.consumers

    asked = []
    monkeypatch.setattr(shared.consumers, "has_handled",
                        lambda app, tracking: asked.append(tracking) or has_handled(app, tracking))
    assert IdempotentConsumer(sink).handle(envelope(source, 1), sink.apply_event) is True
    assert asked == [Tracking(source, 1)] and sink.effects(source) == {1: 1}
    assert has_handled(sink, Tracking(source, 1))


class SingleRowDossiers(Dossiers):
    name = "single_row_dossiers"  # its own store: single-row tracking tables are incompatible


def test_single_row_tracking_is_refused(cfg):
    app = SingleRowDossiers(cfg, env={"SINGLE_ROW_TRACKING": "t"})
    try:
        with pytest.raises(TrackingNotExact):
            IdempotentConsumer(app)
    finally:
        app.close()


def test_a_message_that_is_not_an_envelope_is_refused(sink):
    with pytest.raises(ValueError, match="not a Haven envelope"):
        IdempotentConsumer(sink).handle({"type": "LedgerCredited"}, sink.apply_event)


# -- through RabbitMQ and a nameko service --------------------------------------------------
def test_the_same_message_delivered_twice_changes_nothing_the_second_time(
        sink, source, amqp_uri, start_service):
    start_service(sink_service(source, f"sink_{source}"))
    message = envelope(source, 1)
    publish_envelopes(amqp_uri, message, message)
    eventually(lambda: consumed(source, "handled") + consumed(source, "duplicate") >= 2)
    assert consumed(source, "duplicate") == 1
    assert sink.effects(source) == {1: 1}
    assert has_handled(sink, Tracking(source, 1))


def test_a_poison_message_is_dead_lettered_and_does_not_block_the_queue(
        sink, source, amqp_uri, rabbit_config, start_service):
    # One worker: with nameko's requeue-at-head the poison would be all this queue ever ran.
    service = f"sink_{source}"
    start_service(sink_service(source, service, max_attempts=3),
                  {**rabbit_config, "max_workers": 1})
    dead_queue = f"evt-{source}-LedgerCredited--{service}.on_credited.dead"
    assert queue_depth(amqp_uri, dead_queue) == 0  # declared up front, durable

    publish_envelopes(amqp_uri, envelope(source, 1, poison=True),
                      *(envelope(source, nid) for nid in range(2, 7)))

    eventually(lambda: sink.effects(source) == {nid: 1 for nid in range(2, 7)})
    eventually(lambda: queue_depth(amqp_uri, dead_queue) == 1)
    [(_, props, body)] = get_all(amqp_uri, dead_queue)
    assert json.loads(body)["notification_id"] == 1
    assert props.headers[ATTEMPTS_HEADER] == 3
    assert props.headers[ERROR_HEADER] == "ValueError: refused: this payload always fails"
    assert props.delivery_mode == 2 and props.content_type == "application/json"
    assert not has_handled(sink, Tracking(source, 1))
    assert REGISTRY.get_sample_value("haven_dead_letters_total", {
        "service": service, "source": source, "event": "LedgerCredited"}) == 1
    assert REGISTRY.get_sample_value("haven_consumer_messages_total", {
        "service": service, "source": source, "event": "LedgerCredited",
        "outcome": "failed"}) == 3


def test_a_database_outage_longer_than_every_attempt_dead_letters_nothing(
        sink, source, amqp_uri, start_service):
    """A PostgreSQL restart fails every message in flight, again and again: that is no
    fault of the messages, so none may use up its attempts and be dead-lettered."""
    service = f"sink_{source}"
    start_service(sink_service(source, service, max_attempts=3))
    dead_queue = f"evt-{source}-LedgerCredited--{service}.on_credited.dead"
    publish_envelopes(amqp_uri, *(envelope(source, nid, database_away_for=6)
                                  for nid in range(1, 4)))
    eventually(lambda: sink.effects(source) == {1: 1, 2: 1, 3: 1})
    assert queue_depth(amqp_uri, dead_queue) == 0
    assert REGISTRY.get_sample_value("haven_consumer_messages_total", {
        "service": service, "source": source, "event": "LedgerCredited",
        "outcome": "unavailable"}) == 18


def test_embedded_mode_dead_letters_over_kombu_memory(sink, source, start_service):
    service = f"sink_{source}"
    start_service(sink_service(source, service, max_attempts=2),
                  {"AMQP_URI": "memory://", "SERIALIZER": "json", "max_workers": 1})
    with kombu.Connection("memory://") as conn:
        producer = conn.Producer()
        exchange = kombu.Exchange(f"{source}.events", type="topic", durable=True)
        for env in (envelope(source, 1, poison=True), envelope(source, 2)):
            producer.publish(env.to_dict(), exchange=exchange, routing_key=env.type,
                             serializer="json", declare=[exchange])
        eventually(lambda: sink.effects(source) == {2: 1})
        dead = kombu.Queue(f"evt-{source}-LedgerCredited--{service}.on_credited.dead",
                           durable=True)(conn.default_channel)
        message = eventually(lambda: dead.get(no_ack=True))
    assert message.payload["notification_id"] == 1
    assert message.headers[ATTEMPTS_HEADER] == 2
    assert message.headers[ERROR_HEADER].startswith("ValueError: refused")


def test_consumers_work_on_the_embedded_sqlite_store(cfg, tmp_path, source):
    app = Sink(replace(cfg, store="sqlite", data_dir=tmp_path))
    try:
        consumer = IdempotentConsumer(app)
        for nid in (2, 1, 2):
            consumer.handle(envelope(source, nid), app.apply_event)
        assert app.effects(source) == {1: 1, 2: 1}
        assert has_handled(app, Tracking(source, 1)) and not has_handled(app, Tracking(source, 3))
    finally:
        app.close()
