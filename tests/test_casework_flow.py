"""Intake and casework together over the real broker: a helpline referral becomes a case,
a person referred twice is linked and flagged, and an erasure leaves nothing behind.

No direct call between the two services: intake's outbox relay publishes its events on
RabbitMQ, casework's event handler opens the case, casework's relay publishes its own.
Raw queues tap both exchanges, so the tests see every message as the broker carried it.
"""

from __future__ import annotations

import json
import logging
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import eventlet
import pika
import pytest
from nameko.exceptions import RemoteError
from nameko.runners import ServiceRunner
from nameko.standalone.rpc import ClusterRpcProxy
from prometheus_client import REGISTRY

from services.casework.application import Casework
from services.casework.domain.ids import referral_case_id
from services.casework.service import CaseworkService
from services.intake.application import Intake
from services.intake.contracts import REFERRED_BLIND_INDEX_SEALED_IN, REFERRED_PERSON_SEALED_IN
from services.intake.service import IntakeService
from shared.auth import issue_token
from shared.config import settings
from shared.crypto import ERASED, SEAL_PREFIX, KeyVault, PostgresKeyStore
from shared.errors import NotFound, RuleViolated, from_remote
from shared.eventstore import _conninfo, key_vault
from shared.outbox import Relay
from shared.registry import application_class
from shared.runner import nameko_config
from shared.testing import vhost_of
from tests.dumps import needles, pg_dump, readable, recoverable

Call = Callable[..., Any]


def letters(n: int = 7) -> str:
    """A random name part: the blind index keeps letters only."""
    return "".join(chr(ord("a") + b % 26) for b in uuid.uuid4().bytes[:n])


@pytest.fixture(scope="module")
def platform():
    """intake and casework, each with its outbox relay, for the module: stopping costs
    nameko about two seconds."""
    cfg = settings()
    rabbit_config = {"AMQP_URI": cfg.amqp_uri, "SERIALIZER": "json"}
    # The process's one key vault first: two services setting up at once would each make
    # their own (shared.eventstore.key_vault has no lock), with caches of their own.
    key_vault(cfg)
    runner = ServiceRunner(nameko_config(cfg, **rabbit_config))
    runner.add_service(IntakeService)
    runner.add_service(CaseworkService)
    runner.start()
    relays = [Relay(application_class(name)(cfg), cfg.amqp_uri) for name in ("intake", "casework")]
    stop = threading.Event()
    threads = [eventlet.spawn(relay.run_forever, 0.02, stop) for relay in relays]
    yield rabbit_config
    stop.set()
    for thread in threads:
        thread.wait()
    for relay in relays:
        relay.close()
        relay.app.close()
    runner.stop()


@contextmanager
def tap(amqp_uri: str) -> Iterator[Callable[[], list[tuple[str, bytes]]]]:
    """A raw queue on intake.events and casework.events: (exchange, body) of every message."""
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    for exchange in ("intake.events", "casework.events"):
        channel.exchange_declare(exchange, exchange_type="topic", durable=True)
        channel.queue_bind(queue, exchange, routing_key="#")
    seen: list[tuple[str, bytes]] = []

    def drain() -> list[tuple[str, bytes]]:
        while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
            seen.append((message[0].exchange, message[2]))
        return seen

    try:
        yield drain
    finally:
        connection.close()


@pytest.fixture
def broker(amqp_uri):
    with tap(amqp_uri) as drain:
        yield drain


@pytest.fixture(scope="module")
def call(platform) -> Call:
    def call(service: str, method: str, payload: dict, roles=("helpline_operator",),
             user="op-1", correlation_id: str | None = None) -> Any:
        context = {"authorization": issue_token(user, list(roles))}
        if correlation_id:
            context["correlation_id"] = correlation_id
        with ClusterRpcProxy(platform, context_data=context) as cluster:
            try:
                return getattr(getattr(cluster, service), method)(payload=payload)
            except RemoteError as exc:
                raise from_remote(exc.exc_type, exc.value) from None

    return call


def wait_for(condition: Callable[[], Any], timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except NotFound:
            result = None
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        eventlet.sleep(0.05)


def refer(call: Call, person: dict, when: str, correlation_id: str | None = None) -> str:
    """A helpline call, screened and referred to casework; returns the contact id."""
    contact = call("intake", "log_contact", {
        "channel": "phone", "caller_type": "potential_victim", "topic": "victim_support",
        "urgency": "urgent", "language": "uk", "started_at": when,
        "summary": "Caller says her passport is held by the employer"})["contact_id"]
    call("intake", "screen_contact", {"contact_id": contact, "assessment": "presumed_victim",
                                      "indicators": ["retained_documents"]})
    call("intake", "refer_to_casework", {
        "contact_id": contact, "person": person, "birth_year": 1996, "gender": "Female",
        "citizenship": "UA", "languages": ["uk"], "exploitation_types": ["ForcedLabour"],
        "referred_at": when}, correlation_id=correlation_id)
    return contact


def case_of(call: Call, contact_id: str, **reader: Any) -> dict:
    """The case casework opened for a referred contact, once it has."""
    reader = reader or {"roles": ("supervisor",), "user": "sup-1"}
    return wait_for(lambda: call("casework", "get_case",
                                 {"case_id": str(referral_case_id(contact_id))}, **reader))


def relayed_so_far(service: str) -> None:
    """Returns once the service's relay has published everything its store holds now: a
    relay publishes in order, and records its position once the broker has taken them."""
    cfg = settings()
    app = application_class(service)(cfg)
    probe = Relay(app, cfg.amqp_uri)  # reads the running relay's position, publishes nothing
    try:
        head = app.recorder.max_notification_id() or 0
        wait_for(lambda: probe.position() >= head)
    finally:
        probe.close()
        app.close()


def envelopes(messages: list[tuple[str, bytes]], event_type: str) -> list[dict]:
    found = [json.loads(body) for _, body in messages]
    return [e for e in found if e["type"] == event_type]


def handled(outcome: str) -> float:
    return REGISTRY.get_sample_value("haven_consumer_messages_total", {
        "service": "casework", "source": "intake", "event": "ReferredToCasework",
        "outcome": outcome}) or 0.0


# -- a referral becomes a case, once ----------------------------------------------------------
def test_a_referred_contact_becomes_one_case_even_when_the_referral_comes_twice(
        call, broker, amqp_uri):
    person = {"given_name": "Halyna", "family_name": "Melnyk-" + letters(),
              "phone": "+48 512 000 111"}
    correlation = str(uuid.uuid4())
    contact = refer(call, person, "2016-05-10T03:00:00+02:00", correlation)

    case = case_of(call, contact)
    assert (case["source"], case["contact_id"], case["status"]) == ("referral", contact, "Open")
    assert (case["origin_country"], case["exploitation_types"], case["urgency"]) == \
        ("UA", ["ForcedLabour"], "urgent")
    assert case["opened_at"] == "2016-05-10T01:00:00+00:00"  # when intake referred the person
    assert case["reference"].startswith("KC-2016-")
    detail = call("casework", "get_case", {"case_id": case["case_id"],
                                           "purpose": "case_work"},
                  roles=("supervisor",), user="sup-1")
    assert detail["person"]["family_name"] == person["family_name"]

    opened = wait_for(lambda: [e for e in envelopes(broker(), "CaseOpened")
                               if e["data"]["contact_id"] == contact])
    assert opened[0]["source"] == "casework" and opened[0]["correlation_id"] == correlation
    assert opened[0]["data"]["case_id"] == case["case_id"]

    # The same envelope again, byte for byte, as intake's relay republishing after a crash
    # would (as intake's broker user: this run's user may publish as any service).
    [referral] = [body for exchange, body in broker() if exchange == "intake.events"
                  and json.loads(body)["type"] == "ReferredToCasework"
                  and json.loads(body)["data"]["contact_id"] == contact]
    duplicates = handled("duplicate")
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        connection.channel().basic_publish(
            "intake.events", "ReferredToCasework", referral,
            pika.BasicProperties(content_type="application/json", content_encoding="utf-8",
                                 delivery_mode=2, user_id=settings().broker_user("intake")))
    finally:
        connection.close()
    wait_for(lambda: handled("duplicate") > duplicates)
    client = call("casework", "get_client", {"client_id": case["client_id"]},
                  roles=("supervisor",), user="sup-1")
    assert client["case_ids"] == [case["case_id"]]
    # A second CaseOpened would be in casework's store by now (the duplicate was handled):
    # once the relay has published what the store holds, it would be on the tap as well.
    relayed_so_far("casework")
    assert len([e for e in envelopes(broker(), "CaseOpened")
                if e["data"]["contact_id"] == contact]) == 1


def test_a_second_referral_of_the_same_person_is_linked_and_flagged(call):
    family = "Wiśniewska-" + letters()
    first = case_of(call, refer(call, {"given_name": "Zofia", "family_name": family},
                                "2016-06-01T10:00:00+02:00"))
    spelt_otherwise = {"given_name": "ZOFIA",
                       "family_name": family.upper().replace("Ś", "S")}
    second = case_of(call, refer(call, spelt_otherwise, "2016-06-20T10:00:00+02:00"))
    assert second["client_id"] == first["client_id"]
    assert (first["possible_duplicate"], second["possible_duplicate"]) == (False, True)
    # On the day of the second referral: the run's other possible duplicates, opened
    # later and listed first, may fill a page of their own.
    listed = call("casework", "list_cases", {"possible_duplicate": True, "page_size": 200,
                                             "from": "2016-06-20T00:00:00+00:00",
                                             "to": "2016-06-21T00:00:00+00:00"},
                  roles=("supervisor",), user="sup-1")
    assert second["case_id"] in [row["case_id"] for row in listed["items"]]
    review = call("casework", "get_case", {"case_id": second["case_id"],
                                           "purpose": "duplicate_review"},
                  roles=("supervisor",), user="sup-1")
    assert review["candidate_person"]["family_name"] == spelt_otherwise["family_name"]
    assert review["person"]["family_name"] == family  # the client as first registered


# -- erasure leaves no trace -----------------------------------------------------------------
NAME = {"given_name": "Yevheniia", "family_name": "Bondarchuk-Łaszewska-" + letters(),
        "phone": "+48 733 914 205", "address": "ul. Kwiatowa 9, Opole"}
NOTE = "hides with her sister near the Zalew Turawski lake"
WHY = "her sister in Dobrzeń Wielki called us"  # free text of a reason: personal too
CALLBACK = "+48 791 226 038"  # the number she left on a missed call before she got through
TELLING = [NAME["family_name"], "Yevheniia", "Łaszewska", "733 914 205", "Kwiatowa",
           "Zalew Turawski", "Dobrzeń Wielki", "791 226 038"]


def queued(cfg) -> list[bytes]:
    """Every message waiting in any queue of this run's vhost, dead letters included; each
    is put back (nothing is acknowledged)."""
    vhost = vhost_of(cfg.amqp_uri)
    names = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost,
                            "--no-table-headers", "name", "exclusive"], check=True,
                           capture_output=True, text=True).stdout.splitlines()
    # Exclusive queues belong to their connection (this test's own tap among them).
    names = [line.split()[0] for line in names if line.split()[1:] == ["false"]]
    connection = pika.BlockingConnection(pika.URLParameters(cfg.amqp_uri))
    bodies = []
    try:
        for name in names:
            channel = connection.channel()  # one a queue: a queue gone closes its channel
            try:
                while (message := channel.basic_get(name, auto_ack=False))[0] is not None:
                    bodies.append(message[2])
            except pika.exceptions.ChannelClosedByBroker as closed:
                if closed.reply_code != 404:
                    raise
                # Deleted since it was listed (an RPC proxy's reply queue, auto-deleted when
                # its caller left): it holds nothing any more.
    finally:
        connection.close()  # the unacknowledged go back to their queues
    return bodies


def test_after_an_approved_erasure_no_database_and_no_message_holds_the_person(
        call, broker, cfg, caplog):
    caplog.set_level(logging.DEBUG)  # every log line of both services, in this process
    missed = call("intake", "record_missed_call", {
        "missed_at": "2017-11-14T08:40:00+01:00", "callback_contact": CALLBACK})
    contact = refer(call, NAME, "2017-11-14T09:00:00+01:00")
    call("intake", "complete_callback", {"missed_call_id": missed["missed_call_id"],
                                         "contact_id": contact})
    case = case_of(call, contact)
    case_id, client_id = case["case_id"], case["client_id"]
    supervisor, caseworker = ("supervisor",), ("caseworker",)
    call("casework", "assign_caseworker", {"case_id": case_id, "caseworker_id": "cw-1"},
         roles=supervisor, user="sup-1")
    call("casework", "add_note", {"case_id": case_id, "text": NOTE,
                                  "reason": "new_information", "reason_detail": WHY},
         roles=caseworker, user="cw-1")
    call("casework", "record_service", {"case_id": case_id, "service_type": "social_counselling",
                                        "provided_at": "2017-11-15T10:00:00+01:00"},
         roles=caseworker, user="cw-1")
    read = call("casework", "get_case", {"case_id": case_id, "purpose": "case_work"},
                roles=caseworker, user="cw-1")
    assert read["notes"][0]["text"] == NOTE
    figures = call("casework", "casework_stats", {"month": "2017-11"}, roles=("ops",))
    assert figures["new_cases"] == 1 and figures["services_by_type"] == {"social_counselling": 1}
    # intake learned of the case from casework's CaseOpened, over the broker.
    linked = wait_for(lambda: call("intake", "get_contact", {"contact_id": contact})
                      ["case_reference"])
    assert linked == case["reference"]

    stores = {"intake": Intake, "casework": Casework}
    before = pg_dump(cfg)
    assert not [n for n in needles(*TELLING) if n in readable(before).lower()]  # sealed
    told = recoverable(before, cfg, TELLING, stores)  # control: with the keys, all of it
    assert [t for t in TELLING if not any(t.lower() in v.lower() for v in told)] == []

    call("casework", "request_erasure", {"client_id": client_id,
                                         "erasure_reason": "client_request"},
         roles=supervisor, user="sup-1")
    with pytest.raises(RuleViolated):
        call("casework", "approve_erasure", {"client_id": client_id}, roles=supervisor,
             user="sup-1")
    erased = call("casework", "approve_erasure", {"client_id": client_id}, roles=supervisor,
                  user="sup-2")
    assert erased["status"] == "erased" and erased["case_ids"] == [case_id]

    wait_for(lambda: [e for e in envelopes(broker(), "SubjectErased")
                      if e["data"]["client_id"] == client_id])
    assert call("casework", "casework_stats", {"month": "2017-11"}, roles=("ops",)) == figures
    after = call("casework", "get_case", {"case_id": case_id, "purpose": "data_subject_request"},
                 roles=supervisor, user="sup-2")
    assert after["person"]["family_name"] == ERASED and after["notes"][0]["text"] == ERASED
    assert after["services"][0]["service_type"] == "social_counselling"
    # What the person told the helpline goes with them: intake shreds the contact's key,
    # and the keys of the missed calls she was called back on.
    assert wait_for(lambda: call("intake", "get_contact", {"contact_id": contact})
                    ["summary"] == ERASED)

    # Every service's database, as a backup would hold it, with the master key beside it.
    dump = pg_dump(cfg)
    assert not [n for n in needles(*TELLING) if n in readable(dump).lower()]
    assert recoverable(dump, cfg, TELLING, stores) == []

    # Every message both services published in this test, as the broker carried it, and
    # every message still waiting anywhere (dead letters included).
    messages = broker()
    assert {exchange for exchange, _ in messages} == {"intake.events", "casework.events"}
    on_the_wire = b"\n".join([*(body for _, body in messages), *queued(cfg)]).lower()
    assert not [n for n in needles(*TELLING) if n in on_the_wire]
    referrals = [e for e in envelopes(messages, "ReferredToCasework")
                 if e["data"]["contact_id"] == contact]
    assert referrals and referrals[0]["data"]["person"].startswith(SEAL_PREFIX)
    live = PostgresKeyStore(_conninfo(cfg), cfg.schema("keys"))
    try:
        vault = KeyVault(live, cfg.master_key)  # a fresh cache, as another process has
        data = referrals[0]["data"]
        assert vault.unseal(data["person"], REFERRED_PERSON_SEALED_IN) == ERASED
        assert vault.unseal(data["blind_index"], REFERRED_BLIND_INDEX_SEALED_IN) == ERASED
    finally:
        live.close()
    # And no log line of either service, at any level, ever held them.
    leaked = [f"{r.name}:{r.getMessage()[:300]}" for r in caplog.records
              if any(n.decode() in r.getMessage().lower() for n in needles(*TELLING))]
    assert caplog.records and leaked == []
