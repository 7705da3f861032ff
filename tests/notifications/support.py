"""Real protocol peers for notifications' tests -- an SMTP server (aiosmtpd) and an HTTP
webhook receiver -- and a way to hand the application an event as the broker would."""

from __future__ import annotations

import email
import http.server
import json
import threading
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from shared.auth import issue_token
from shared.bootstrap import attach_read_models
from shared.consumers import IdempotentConsumer
from shared.contracts import Contract
from shared.errors import from_remote
from shared.outbox import make_publisher
from shared.testing import delivered_ids
from tests.contracts.payloads import envelope_of
from tests.gateway_fixtures import free_port

_delivered = delivered_ids()


def consumed_contracts(source: str) -> list[Contract]:
    """The contracts of `source` that notifications consumes (service.py)."""
    from services.notifications.cli import consumed_events
    from services.notifications.rulecheck import known_events

    events = consumed_events()
    return [c for name, c in known_events(events).items()
            if name in events and c.source == source]


@contextmanager
def notifications_store(app_factory: Any) -> Iterator[Any]:
    """Notifications on a store of its own, its read models beside it."""
    from services.notifications.application import Notifications
    from services.notifications.projections import READ_MODELS

    app = app_factory(Notifications)
    runner = attach_read_models(app, READ_MODELS)
    try:
        yield app
    finally:
        assert runner is not None
        runner.close()


def accepts_everything_of(source: str) -> Any:
    """The contract test of one producer -> notifications pair: for each contract of
    `source` notifications consumes, every payload the contract allows, notifications
    accepts (tests/contracts/payloads.py): none is refused and dead-lettered."""
    from tests.contracts.payloads import first_refused

    @pytest.mark.parametrize("contract", consumed_contracts(source), ids=lambda c: c.type)
    def test(app_factory: Any, contract: Contract) -> None:
        with notifications_store(app_factory) as app:
            delivered = count(1)
            assert first_refused(contract, lambda data: deliver(
                app, contract, data, next(delivered), on_the_wire=True)) is None

    return test


def deliver(app: Any, contract: Contract, data: dict[str, Any],
            notification_id: int | None = None, on_the_wire: bool = False) -> bool:
    """Hand `app` one message of `contract` as its consumer would (shared.service.consume):
    through the idempotent consumer, once per (source, notification id); `data` as the
    producer holds it (put on the wire by the contract), or as the wire carries it."""
    envelope = envelope_of(contract, data if on_the_wire else contract.payload(data),
                           notification_id or next(_delivered) + 10**6)
    return IdempotentConsumer(app).handle(
        envelope, lambda env, tracking: app.react(contract.read(env), env, tracking))


def publish(amqp_uri: str, contract: Contract, data: dict[str, Any], notification_id: int,
            times: int = 1, extra: dict[str, Any] | None = None) -> None:
    """Put one message of `contract` on the broker as the producer's relay would (its
    exchange, routing key and envelope), `times` times: a redelivery, a relay's retry.
    `extra`: fields beyond the contract, as a careless producer might add them."""
    envelope = envelope_of(contract, {**contract.payload(data), **(extra or {})},
                           notification_id)
    body = json.dumps(envelope.to_dict()).encode()
    publisher = make_publisher(amqp_uri)
    try:
        publisher.publish(f"{contract.source}.events", [(contract.type, body)] * times)
    finally:
        publisher.close()


class Rpc:
    """A service's RPCs called as a member of staff calls them: with a token for `user` in
    `roles`, the error contract's errors raised as they come back."""

    def __init__(self, config: dict[str, Any], service: str, **caller: Any):
        self.config, self.service, self.caller = config, service, caller

    def __call__(self, method: str, payload: Any = None, **caller: Any) -> Any:
        who = {**self.caller, **caller}
        token = issue_token(who["user"], list(who["roles"]))
        with ClusterRpcProxy(self.config, context_data={"authorization": token}) as cluster:
            try:
                return getattr(getattr(cluster, self.service), method)(payload=payload)
            except RemoteError as exc:
                raise from_remote(exc.exc_type, exc.value) from None


def text_of(message: email.message.Message) -> str:
    """A received message's text, decoded from its transfer encoding."""
    payload = message.get_payload(decode=True)
    return payload.decode() if isinstance(payload, bytes) else str(payload)


class SmtpServer:
    """An SMTP server (aiosmtpd) that answers each recipient as scripted -- "451 ...", then
    the default "250 OK" -- and keeps every message it accepts."""

    def __init__(self, **smtp_options: Any):
        self.port = free_port()
        self.script: dict[str, list[str]] = defaultdict(list)
        self.received: list[email.message.Message] = []
        self.refused: list[tuple[str, str]] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port,
                                     **smtp_options)

    def answer(self, address: str, *replies: str) -> None:
        self.script[address].extend(replies)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: Any) -> str:
        reply = self.script[address].pop(0) if self.script[address] else "250 OK"
        if reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        else:
            self.refused.append((address, reply))
        return reply

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def to(self, address: str) -> list[email.message.Message]:
        return [m for m in self.received if m["To"] == address]

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.controller.stop()


class WebhookReceiver:
    """An HTTP endpoint that answers as scripted (statuses in turn, then 200) and keeps
    every request's headers and body."""

    def __init__(self) -> None:
        self.port = free_port()
        self.statuses: list[int] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.url = f"http://127.0.0.1:{self.port}/haven"

    def start(self) -> WebhookReceiver:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
