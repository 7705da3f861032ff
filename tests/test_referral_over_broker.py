"""A helpline referral reaches another service over the broker, and the person's details
travel sealed: in clear nowhere on the broker, nowhere in intake's tables.

`ReferralInbox` stands in for casework's consumer (a real nameko service with Haven's
event handler), so that only the broker path is under test: intake's service and its real
outbox relay connect as intake's own broker user, as in production, and the consumer
believes the referral because RabbitMQ validated that user as its publisher.
"""

from __future__ import annotations

import json
import threading

import eventlet
import pika
import psycopg
import pytest
from nameko.runners import ServiceRunner
from nameko.standalone.rpc import ClusterRpcProxy
from psycopg import sql

from services.intake.contracts import REFERRED_PERSON_SEALED_IN
from services.intake.service import IntakeService
from shared.auth import issue_token
from shared.config import settings
from shared.consumers import event_handler
from shared.eventstore import _conninfo, key_vault
from shared.outbox import Relay
from shared.registry import application_class
from shared.runner import nameko_config
from shared.testing.plugin import eventually, service_config

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
    """Every message published to intake.events, as the broker carried it:
    [(properties, body), ...]."""
    conn = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = conn.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "intake.events", routing_key="#")

    def drain() -> list[tuple[pika.BasicProperties, bytes]]:
        got = []
        while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
            got.append((message[1], message[2]))
        return got

    yield drain
    conn.close()


@pytest.fixture
def platform(rabbit_config):
    """intake (service and relay) as intake's broker user; the stand-in consumer."""
    cfg = settings()
    intake_config = service_config("intake")
    runners = [ServiceRunner(nameko_config(cfg, **intake_config)),
               ServiceRunner(nameko_config(cfg, **rabbit_config))]
    runners[0].add_service(IntakeService)
    runners[1].add_service(ReferralInbox)
    for runner in runners:
        runner.start()
    relay = Relay(application_class("intake")(cfg), intake_config["AMQP_URI"])
    stop = threading.Event()
    thread = eventlet.spawn(relay.run_forever, 0.02, stop)
    yield rabbit_config
    stop.set()
    thread.wait()
    relay.close()
    for runner in runners:
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

    eventually(ours)  # the referral reached the other service over the broker
    assert len(ours()) == 1
    envelope = ours()[0]
    assert envelope["source"] == "intake" and envelope["type"] == "ReferredToCasework"
    data = envelope["data"]
    assert data["contact_id"] == contact
    assert data["person_subject_id"] == referral["person_subject_id"]
    assert data["citizenship"] == "UA" and data["birth_year"] == 1998
    assert data["person"].startswith("pd2:")
    # Only a holder of the subject key (casework, through the shared vault) can read it.
    person = key_vault(settings()).unseal(data["person"], REFERRED_PERSON_SEALED_IN)
    assert person["family_name"] == PERSON["family_name"]

    tapped = broker_tap()
    assert {props.user_id for props, _ in tapped} == {settings().broker_user("intake")}
    on_the_wire = b"\n".join(body for _, body in tapped).decode("utf-8", "replace")
    assert "ReferredToCasework" in on_the_wire and "ContactLogged" in on_the_wire
    for secret in [*SECRETS, "passport was", "foreman"]:
        assert secret not in on_the_wire
        assert json.dumps(secret)[1:-1] not in on_the_wire  # nor JSON-escaped

    stored = _intake_tables_text(settings())
    assert "pd2:" in stored
    for secret in [*SECRETS, "foreman"]:
        assert secret not in stored
        assert json.dumps(secret)[1:-1] not in stored
