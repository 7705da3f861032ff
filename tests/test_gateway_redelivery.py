"""A command the broker delivers twice is carried out once. RabbitMQ delivers a request
again when the service's acknowledgement was lost (a broker restart while it answered):
before, a contact was screened twice. The gateway sends every command under a key (the
client's Idempotency-Key, or one of its own), and the service answers a request it has
seen from what it did the first time."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pika
import pytest
from nameko.runners import ServiceRunner

from shared.bootstrap import build_application
from shared.config import Settings
from shared.manifest import manifest
from shared.runner import nameko_config
from shared.testing.plugin import eventually, own_run
from tests.gateway_fixtures import Api, free_port
from tests.test_gateway import CONTACT, contacts_logged

RPC_EXCHANGE = "nameko-rpc"  # nameko's exchange for every RPC request


@pytest.fixture
def cfg(monkeypatch) -> Iterator[Settings]:
    with own_run(monkeypatch, f"rd{uuid.uuid4().hex[:6]}") as settings:
        yield settings


@pytest.fixture
def api(cfg) -> Iterator[Api]:
    port = free_port()
    runners = []
    for name, extra in (("intake", {}), ("gateway", {"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})):
        runner = ServiceRunner(nameko_config(cfg, **extra))
        runner.add_service(manifest()[name].service_class)
        runner.start()
        runners.append(runner)
    try:
        yield Api(f"http://127.0.0.1:{port}")
    finally:
        for runner in reversed(runners):
            runner.kill()


class Wire:
    """A copy of every request for one RPC, as the broker carries it; and a way to deliver
    one again, its answer coming back here."""

    def __init__(self, amqp_uri: str, routing_key: str):
        self.connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
        self.channel = self.connection.channel()
        self.routing_key = routing_key
        self.copies = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(self.copies, RPC_EXCHANGE, routing_key)
        self.replies = self.channel.queue_declare("", exclusive=True).method.queue
        # nameko answers on its RPC exchange, routed by the reply_to it was given.
        self.channel.queue_bind(self.replies, RPC_EXCHANGE, self.replies)

    def _get(self, queue: str) -> tuple[Any, bytes] | None:
        method, properties, body = self.channel.basic_get(queue, auto_ack=True)
        return None if method is None else (properties, body)

    def copy_of_the_request(self) -> tuple[Any, bytes]:
        return eventually(lambda: self._get(self.copies))

    def deliver_again(self, request: tuple[Any, bytes]) -> Any:
        """The request as RabbitMQ redelivers it (same body, same headers); the answer."""
        properties, body = request
        properties.reply_to, properties.expiration = self.replies, None
        self.channel.basic_publish(RPC_EXCHANGE, self.routing_key, body, properties)
        _, reply = eventually(lambda: self._get(self.replies))
        return json.loads(reply)

    def close(self) -> None:
        self.connection.close()


def test_a_command_delivered_again_is_answered_as_the_first_time_and_not_redone(cfg, api):
    intake = build_application("intake", cfg)
    wire = Wire(cfg.amqp_uri, "intake.log_contact")
    try:
        before = contacts_logged(intake)
        created = api.call("POST", "/api/v1/contacts", json=CONTACT)  # no Idempotency-Key
        assert created.status_code == 201, created.text
        answer = wire.deliver_again(wire.copy_of_the_request())
        assert answer["error"] is None, answer
        assert answer["result"]["contact_id"] == created.json()["contact_id"]
        assert contacts_logged(intake) == before + 1
    finally:
        wire.close()
        intake.close()


def test_two_commands_without_a_key_are_two_commands(cfg, api):
    intake = build_application("intake", cfg)
    try:
        before = contacts_logged(intake)
        answers = [api.call("POST", "/api/v1/contacts", json=CONTACT) for _ in range(2)]
        assert [a.status_code for a in answers] == [201, 201], answers[0].text
        assert answers[0].json()["contact_id"] != answers[1].json()["contact_id"]
        assert contacts_logged(intake) == before + 2
    finally:
        intake.close()


def test_a_request_delivered_after_the_callers_deadline_is_not_carried_out(cfg, api):
    """The gateway answered 503 "not carried out" at its deadline; the same request
    arriving at the service afterwards (held up, redelivered) must not be done then."""
    intake = build_application("intake", cfg)
    wire = Wire(cfg.amqp_uri, "intake.log_contact")
    try:
        sent = time.time()
        created = api.call("POST", "/api/v1/contacts", json=CONTACT)
        assert created.status_code == 201, created.text
        properties, body = wire.copy_of_the_request()
        deadline = float(properties.headers["nameko.deadline"])
        assert sent < deadline <= time.time() + cfg.rpc_deadline  # carried with the request
        before = contacts_logged(intake)
        # The same request under a new key (so nothing answers it from before), its
        # deadline passed: refused, nothing stored.
        fresh = {**properties.headers, "nameko.idempotency_key": f"late-{uuid.uuid4()}",
                 "nameko.deadline": f"{time.time() - 1:.3f}"}
        properties.headers = fresh
        answer = wire.deliver_again((properties, body))
        assert answer["error"]["exc_type"] == "DeadlinePassed", answer
        assert contacts_logged(intake) == before
    finally:
        wire.close()
        intake.close()
