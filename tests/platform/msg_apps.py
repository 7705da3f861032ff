"""Sample apps for the messaging tests: a publishing app with personal data, and a
consuming nameko service whose every effect is one stored event (so effects can be counted).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pika
import psycopg
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Tracking
from nameko.extensions import DependencyProvider

from shared.config import settings
from shared.consumers import IdempotentConsumer, event_handler, policy_context
from shared.eventstore import HavenApplication
from shared.messaging import Envelope, IntegrationEvent
from shared.outbox import PikaPublisher

HOLDER = "Ana Popescu"  # a known personal-data value that must never reach the broker


# -- the publishing side -----------------------------------------------------------
class Ledger(Aggregate):
    PERSONAL_DATA = {"holder_name": "id"}  # noqa: RUF012

    @event("Opened")
    def __init__(self, holder_name: str, category: str):
        self.holder_name = holder_name
        self.category = category

    @event("Credited")
    def credit(self, amount: int) -> None:
        self.balance = getattr(self, "balance", 0) + amount

    @event("Annotated")
    def annotate(self, remark: str) -> None:
        """Stays inside the service: no integration event."""


class Sources(HavenApplication):
    name = "msgsrc"  # type: ignore[misc]

    def to_integration_event(self, domain_event: Any) -> IntegrationEvent | None:
        ledger_id = str(domain_event.originator_id)
        if isinstance(domain_event, Ledger.Opened):  # type: ignore[attr-defined]
            return IntegrationEvent("LedgerOpened", 1, {
                "ledger_id": ledger_id, "category": domain_event.category,
                "holder_name": domain_event.holder_name})  # sealed: the relay never unseals
        if isinstance(domain_event, Ledger.Credited):  # type: ignore[attr-defined]
            return IntegrationEvent("LedgerCredited", 1, {"ledger_id": ledger_id,
                                                          "amount": domain_event.amount})
        return None


@cache
def source_app(name: str) -> type[Sources]:
    """A Sources class with its own service name: own schema, exchange and relay position."""
    return type(f"Sources_{name}", (Sources,), {"name": name})


# -- the consuming side --------------------------------------------------------------
class Effect(Aggregate):
    @event("Applied")
    def __init__(self, source: str, notification_id: int, event_type: str):
        self.source = source
        self.notification_id = notification_id
        self.event_type = event_type


class Sink(HavenApplication):
    name = "msgsink"  # type: ignore[misc]
    env = {**HavenApplication.env, "SINGLE_ROW_TRACKING": "f"}  # noqa: RUF012

    outages: Counter[tuple[str, int]] = Counter()  # noqa: RUF012 -- across instances

    def apply_event(self, envelope: Envelope, tracking: Tracking) -> None:
        if envelope.data.get("poison"):
            raise ValueError("refused: this payload always fails")
        seen = (envelope.source, envelope.notification_id)
        if self.outages[seen] < envelope.data.get("database_away_for", 0):
            self.outages[seen] += 1  # as psycopg raises it while PostgreSQL restarts
            raise psycopg.OperationalError("the database system is shutting down")
        effect = Effect(envelope.source, envelope.notification_id, envelope.type)
        self.save(effect, ctx=policy_context(envelope, self.name, "apply_event"),
                  tracking=tracking)

    def effects(self, source: str) -> Counter[int]:
        """How many times each notification of `source` took effect here."""
        counts: Counter[int] = Counter()
        start = 1
        while batch := self.recorder.select_notifications(start, 500):
            for n in batch:
                state = self.mapper.decode_state(n)  # type: ignore[attr-defined]
                if n.topic.endswith("Effect.Applied") and state["source"] == source:
                    counts[state["notification_id"]] += 1
            start = batch[-1].id + 1
        return counts


class SinkApp(DependencyProvider):
    def setup(self) -> None:
        self.app = Sink(settings())

    def get_dependency(self, worker_ctx: Any) -> Sink:
        return self.app

    def stop(self) -> None:
        self.app.close()

    def kill(self) -> None:
        self.app.close()


def sink_service(source: str, service_name: str, max_attempts: int = 3) -> type:
    """A consuming service for one source: handlers of LedgerOpened and LedgerCredited."""

    class SinkService:
        name = service_name
        sink = SinkApp()

        @event_handler(source, "LedgerOpened", max_attempts=max_attempts, retry_delay=0.01)
        def on_opened(self, body: dict[str, Any]) -> None:
            IdempotentConsumer(self.sink).handle(body, self.sink.apply_event)

        @event_handler(source, "LedgerCredited", max_attempts=max_attempts, retry_delay=0.01)
        def on_credited(self, body: dict[str, Any]) -> None:
            IdempotentConsumer(self.sink).handle(body, self.sink.apply_event)

    return SinkService


# -- broker helpers ---------------------------------------------------------------------
def publish_envelopes(amqp_uri: str, *envelopes: Envelope) -> None:
    """Publish as the relay does, bypassing any store: for consumer tests."""
    publisher = PikaPublisher(amqp_uri)
    try:
        for env in envelopes:
            publisher.publish(f"{env.source}.events",
                              [(env.type, json.dumps(env.to_dict()).encode())])
    finally:
        publisher.close()


@contextmanager
def tap(amqp_uri: str, exchange: str) -> Iterator[Callable[[], list[tuple[Any, Any, bytes]]]]:
    """A private queue bound to every routing key of `exchange`; yields a function that
    drains it: [(method, properties, body), ...]."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, exchange, routing_key="#")

        def drain() -> list[tuple[Any, Any, bytes]]:
            got: list[tuple[Any, Any, bytes]] = []
            while True:
                method, props, body = channel.basic_get(queue, auto_ack=True)
                if method is None:
                    return got
                got.append((method, props, body))

        yield drain
    finally:
        connection.close()


def gather(drain: Callable[[], list[Any]], count: int, timeout: float = 120) -> list[Any]:
    """What `drain` yields until `count` messages have come (a drain takes what has arrived
    so far: a busy machine may hand over a batch in several parts)."""
    # Imported here: the relay processes import this module, and importing the plugin
    # would give them a test run (schemas, vhost) of their own.
    from shared.testing.plugin import eventually

    got: list[Any] = []
    eventually(lambda: got.extend(drain()) or len(got) >= count, timeout=timeout)
    return got


def get_all(amqp_uri: str, queue: str) -> list[tuple[Any, Any, bytes]]:
    """Take every message currently in a durable queue."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        got: list[tuple[Any, Any, bytes]] = []
        while True:
            method, props, body = channel.basic_get(queue, auto_ack=True)
            if method is None:
                return got
            got.append((method, props, body))
    finally:
        connection.close()


def queue_depth(amqp_uri: str, queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        return int(connection.channel().queue_declare(queue, passive=True)
                   .method.message_count)
    finally:
        connection.close()

