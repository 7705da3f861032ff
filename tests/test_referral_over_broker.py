"""A helpline referral reaches another service over the broker, and the person's details
travel sealed: in clear nowhere on the broker, nowhere in intake's tables.

Casework is not built yet: `ReferralInbox` stands in for its consumer, a real nameko
service with Haven's event handler, fed by intake's real outbox relay over RabbitMQ.
"""

from __future__ import annotations

import json
import threading
import time

import eventlet
import pika
import psycopg
import pytest
from nameko.runners import ServiceRunner
from nameko.standalone.rpc import ClusterRpcProxy
from psycopg import sql

from services.intake.service import IntakeService
from shared.auth import issue_token
from shared.config import settings
from shared.consumers import event_handler
from shared.eventstore import _conninfo, key_vault
from shared.outbox import Relay
from shared.registry import application_class
from shared.runner import nameko_config

PERSON = {"given_name": "Oksana", "family_name": "Zhyvotenko-Brzęczyszczykiewicz",
          "phone": "+48 511 222 333", "email": "oksana.zh@example.org",
          "address": "ul. Ogrodowa 17, Wrocław"}
SECRETS = ["Zhyvotenko", "Brzęczyszczykiewicz", "511 222 333", "oksana.zh@example.org",
           "Ogrodowa", "Oksana"]
SUMMARY = "Caller, Oksana, says the foreman at the Ogrodowa farm keeps her passport"

RECEIVED: list[dict] = []


class ReferralInbox:
    """Stand-in for casework's consumer of helpline referrals."""

    name = "referral_inbox"

    @event_handler("intake", "ReferredToCasework")
    def on_referral(self, body: dict) -> None:
        RECEIVED.append(body)


@pytest.fixture
def broker_tap(amqp_uri):
    """Every message published to intake.events, as the broker carried it."""
    conn = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = conn.channel()
    channel.exchange_declare("intake.events", exchange_type="topic", durable=True)
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "intake.events", routing_key="#")

    def drain() -> list[bytes]:
        bodies = []
        while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
            bodies.append(message[2])
        return bodies

    yield drain
    conn.close()


@pytest.fixture
def platform(rabbit_config):
    cfg = settings()
    runner = ServiceRunner(nameko_config(cfg, **rabbit_config))
    runner.add_service(IntakeService)
    runner.add_service(ReferralInbox)
    runner.start()
    relay = Relay(application_class("intake")(cfg), cfg.amqp_uri)
    stop = threading.Event()
    thread = eventlet.spawn(relay.run_forever, 0.02, stop)
    yield rabbit_config
    stop.set()
    thread.wait()
    relay.close()
    runner.stop()


def _intake_tables_text(cfg) -> str:
    """Every value in every table of intake's schema, bytes decoded, as one string."""
    chunks = []
    with psycopg.connect(_conninfo(cfg)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (cfg.schema("intake"),))]
        assert tables, "intake's schema has tables"
        for table in tables:
            for row in conn.execute(sql.SQL("SELECT * FROM {}.{}").format(
                    sql.Identifier(cfg.schema("intake")), sql.Identifier(table))):
                for value in row:
                    chunks.append(bytes(value).decode("utf-8", "replace")
                                  if isinstance(value, bytes | memoryview) else str(value))
    return "\n".join(chunks)


def test_a_referral_reaches_another_service_sealed(platform, broker_tap):
    RECEIVED.clear()
    token = issue_token("op-7", ["helpline_operator"])
    with ClusterRpcProxy(platform, context_data={"authorization": token}) as rpc:
        contact = rpc.intake.log_contact(payload={
            "channel": "phone", "caller_type": "potential_victim", "topic": "victim_support",
            "urgency": "urgent", "language": "uk", "summary": SUMMARY})["contact_id"]
        rpc.intake.screen_contact(payload={"contact_id": contact, "assessment": "presumed_victim",
                                           "indicators": ["retained_documents"]})
        referral = rpc.intake.refer_to_casework(payload={
            "contact_id": contact, "person": PERSON, "birth_year": 1998, "gender": "Female",
            "citizenship": "UA", "languages": ["uk"], "exploitation_types": ["ForcedLabour"]})

    def ours() -> list[dict]:  # earlier tests' referrals may still be relayed
        return [e for e in RECEIVED if e["data"]["contact_id"] == contact]

    deadline = time.monotonic() + 10
    while not ours() and time.monotonic() < deadline:
        eventlet.sleep(0.05)
    assert len(ours()) == 1, "the referral reached the other service over the broker"
    envelope = ours()[0]
    assert envelope["source"] == "intake" and envelope["type"] == "ReferredToCasework"
    data = envelope["data"]
    assert data["contact_id"] == contact
    assert data["person_subject_id"] == referral["person_subject_id"]
    assert data["citizenship"] == "UA" and data["birth_year"] == 1998
    assert data["person"].startswith("pd1:")
    # Only a holder of the subject key (casework, through the shared vault) can read it.
    person = key_vault(settings()).unseal(data["person"])
    assert person["family_name"] == PERSON["family_name"]

    on_the_wire = b"\n".join(broker_tap()).decode("utf-8", "replace")
    assert "ReferredToCasework" in on_the_wire and "ContactLogged" in on_the_wire
    for secret in [*SECRETS, "passport was", "foreman"]:
        assert secret not in on_the_wire
        assert json.dumps(secret)[1:-1] not in on_the_wire  # nor JSON-escaped

    stored = _intake_tables_text(settings())
    assert "pd1:" in stored
    for secret in [*SECRETS, "foreman"]:
        assert secret not in stored
        assert json.dumps(secret)[1:-1] not in stored
