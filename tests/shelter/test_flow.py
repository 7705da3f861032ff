"""Casework and the shelters together over the real broker: a caseworker's request at
night becomes a held bed, an admission, a discharge; the case shows each, and its audit
history holds the stay. And the shelter's address goes nowhere it must not: no event on the
broker, no log line, no read model, nothing in clear in a dump; an erasure takes the
resident's data out of the shelters' stores.

Every message published on the run's vhost is seen through RabbitMQ's firehose, RPC
requests and replies included.
"""

from __future__ import annotations

import functools
import json
import logging
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import eventlet
import pika
import psycopg
import pytest
from nameko.runners import ServiceRunner
from psycopg import sql

from services.casework.service import CaseworkService
from services.shelter.application import Shelters
from services.shelter.projections import projections
from services.shelter.service import ShelterService
from shared.audit_trail import case_history
from shared.bootstrap import build_relay
from shared.crypto import ERASED, SEAL_PREFIX
from shared.errors import NotFound
from shared.eventstore import _conninfo
from shared.runner import nameko_config
from shared.testing import vhost_of
from shared.testing.plugin import eventually
from tests.dumps import pg_dump, readable
from tests.dumps import recoverable as recoverable_in
from tests.shelter.processes import call_one

ADDRESS = "ul. Jaśminowa 14, 62-002 Suchy Las, the green gate"
TELLING = ["Jaśminowa", "Jasminowa", "Suchy Las", "green gate", "62-002"]
KNOWN_AS = "Oksana Wierzbicka-" + uuid.uuid4().hex[:6]
POLICE_REFERENCE = "KWP-PZ-" + uuid.uuid4().hex[:8]
Call = Callable[..., Any]


@pytest.fixture
def firehose(own_schemas) -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Every message published on the vhost from now on: exchange, routing key, body."""
    vhost = vhost_of(own_schemas.amqp_uri)  # this test's own
    subprocess.run(["rabbitmqctl", "-q", "trace_on", "-p", vhost], check=True)
    connection = pika.BlockingConnection(pika.URLParameters(own_schemas.amqp_uri))
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "amq.rabbitmq.trace", routing_key="publish.#")
    seen: list[dict[str, Any]] = []

    def drain() -> list[dict[str, Any]]:
        while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
            headers = message[1].headers or {}
            seen.append({"exchange": headers.get("exchange_name"),
                         "routing_key": (headers.get("routing_keys") or [""])[0],
                         "body": message[2]})
        return seen

    yield drain
    connection.close()
    subprocess.run(["rabbitmqctl", "-q", "trace_off", "-p", vhost], check=True)


@pytest.fixture
def platform(own_schemas, firehose):
    """casework and the shelters, each with its outbox relay, on this test's schemas."""
    runner = ServiceRunner(nameko_config(own_schemas))
    for service in (CaseworkService, ShelterService):
        runner.add_service(service)
    runner.start()
    relays = [build_relay(name, own_schemas) for name in ("casework", "shelter")]
    stop = threading.Event()
    relaying = eventlet.spawn(relay_all, relays, stop)
    try:
        yield own_schemas
    finally:
        stop.set()
        relaying.wait()
        for relay in relays:
            relay.app.close()
            relay.close()
        runner.stop()


def relay_all(relays: list[Any], stop: threading.Event) -> None:
    """Both services' outboxes onto the broker, as their relay processes do."""
    while not stop.is_set():
        if not sum(relay.run_once() for relay in relays):
            stop.wait(0.02)


@pytest.fixture
def call(platform) -> Call:
    return functools.partial(call_one, platform)


def telling(blob: bytes) -> list[str]:
    text = blob.decode("utf-8", "replace").lower()
    forms = {f for t in TELLING for f in (t, json.dumps(t)[1:-1])}
    return [f for f in forms if f.lower() in text]


def read_model_text(cfg) -> str:
    """Every value of every read-model table of the shelters (not the event store)."""
    tables = [t for p in projections() for t in p.tables] + ["projection_positions"]
    with psycopg.connect(_conninfo(cfg)) as conn:
        return "\n".join(str(value) for table in tables for row in conn.execute(
            sql.SQL("SELECT * FROM {}.{}").format(sql.Identifier(cfg.schema("shelter")),
                                                  sql.Identifier(table))) for value in row)


def test_a_night_request_from_casework_to_discharge_and_the_address_stays_secret(
        call, platform, firehose, caplog):
    caplog.set_level(logging.INFO)  # as services run: nameko logs RPC replies at DEBUG
    sup, cw, staff = ("sup-1", "supervisor"), ("cw-1", "caseworker"), ("staff-1", "shelter_staff")
    shelter = call("shelter", "register_shelter", {
        "code": "JAS", "name": "Garden House", "address": ADDRESS,
        "rooms": [{"name": "A", "tags": ["women_only"], "beds": ["1", "2"]}]}, *sup)
    shelter_id = shelter["shelter_id"]
    call("shelter", "assign_staff", {"shelter_id": shelter_id, "staff_id": "staff-1"}, *sup)
    opened = call("casework", "open_case", {
        "client": {"given_name": "Oksana", "family_name": "W", "birth_year": 1996,
                   "gender": "Female"}, "origin_country": "UA", "urgency": "emergency"}, *cw)
    case_id = opened["case_id"]
    request_id = call("casework", "request_shelter_placement", {"case_id": case_id}, *cw)[
        "request_id"]

    def standing() -> str | None:
        items = call("casework", "case_placements", {"case_id": case_id}, *cw)["items"]
        return items[0]["status"] if items else None

    assert eventually(lambda: standing() == "held", timeout=30)
    stay = eventually(lambda: call("shelter", "get_stay", {"stay_id": request_id,
                                                          "purpose": "case_work"}, *cw))
    assert stay["shelter_address"] == ADDRESS and stay["status"] == "held"  # 1 reply
    other = call("shelter", "get_shelter", {"shelter_id": shelter_id, "purpose": "case_work"},
                 "cw-2", "caseworker")
    assert other["address"] is None and other["personal_data"] == "withheld"
    boss = call("shelter", "get_shelter", {"shelter_id": shelter_id, "purpose": "supervision"},
                *sup)
    assert boss["address"] is None  # supervisors run shelters, never learn where they are
    call("shelter", "admit_resident", {"stay_id": request_id, "known_as": KNOWN_AS}, *staff)
    assert eventually(lambda: standing() == "resident", timeout=30)
    assert call("shelter", "get_shelter", {"shelter_id": shelter_id, "purpose": "safety"},
                *staff)["address"] == ADDRESS  # 1 reply
    call("shelter", "discharge_resident", {"stay_id": request_id,
                                           "discharge_reason": "independent_living"}, *staff)
    assert eventually(lambda: standing() == "discharged", timeout=30)

    history = case_history(opened["reference"], platform)
    lines = {(line.service, line.event) for line in history.lines}
    assert {("shelter", "PlacementHeld"), ("shelter", "ResidentAdmitted"),
            ("shelter", "BedOccupied"), ("shelter", "ResidentDischarged"),
            ("casework", "ShelterPlacementUpdated")} <= lines
    assert not telling(json.dumps([line.data for line in history.lines]).encode())

    # The address crossed the broker only in the supervisor's registration and the two
    # replies to those who may see it; never in an event, on no exchange of events.
    messages = firehose()
    carrying = [m for m in messages if telling(m["body"])]
    assert [m for m in messages if m["exchange"] == "shelter.events"]
    assert not [m for m in carrying if (m["exchange"] or "").endswith(".events")]
    requests = [m for m in carrying if m["routing_key"].startswith("shelter.")]
    assert [m["routing_key"] for m in requests] == ["shelter.register_shelter"]
    assert len(carrying) == 3, [(m["exchange"], m["routing_key"]) for m in carrying]
    assert not [r for r in caplog.records if telling(r.getMessage().encode())]
    assert not telling(read_model_text(platform).encode())
    assert SEAL_PREFIX not in read_model_text(platform)
    assert not telling(readable(pg_dump(platform)))


def test_an_erasure_takes_the_residents_data_out_of_the_shelters_stores(call, platform):
    sup, cw, staff = ("sup-1", "supervisor"), ("cw-1", "caseworker"), ("staff-1", "shelter_staff")
    shelter_id = call("shelter", "register_shelter", {
        "code": "ER", "name": "River House", "address": ADDRESS,
        "rooms": [{"name": "A", "beds": ["1"]}]}, *sup)["shelter_id"]
    call("shelter", "assign_staff", {"shelter_id": shelter_id, "staff_id": "staff-1"}, *sup)
    stay_id = call("shelter", "night_intake", {
        "gender": "Female", "referred_by": "police", "known_as": KNOWN_AS,
        "police_reference": POLICE_REFERENCE}, *staff)["stay_id"]
    call("shelter", "admit_resident", {"stay_id": stay_id}, *staff)
    call("shelter", "report_incident", {
        "shelter_id": shelter_id, "kind": "threat_received", "severity": "high",
        "stay_ids": [stay_id], "note": f"{KNOWN_AS} was called by her former boss"}, *staff)
    opened = call("casework", "open_case", {
        "client": {"given_name": "Oksana", "family_name": "W" + uuid.uuid4().hex[:6],
                   "birth_year": 1996}, "origin_country": "UA", "urgency": "emergency"}, *cw)

    def linked() -> Any:  # once the shelters know the case (casework's CaseOpened)
        try:
            return call("shelter", "link_to_case", {"stay_id": stay_id,
                                                    "case_id": opened["case_id"]}, *sup)
        except NotFound:
            return None

    eventually(linked, timeout=30)
    assert call("shelter", "get_stay", {"stay_id": stay_id, "purpose": "safety"},
                *staff)["known_as"] == KNOWN_AS
    secrets = [KNOWN_AS, POLICE_REFERENCE]
    before = pg_dump(platform)
    assert not [s for s in secrets if s.encode() in readable(before)]  # sealed at rest
    assert recoverable(before, platform, secrets)  # control: with the keys, it tells

    call("casework", "request_erasure", {"client_id": opened["client_id"],
                                         "erasure_reason": "client_request"}, *sup)
    call("casework", "approve_erasure", {"client_id": opened["client_id"]}, "sup-2",
         "supervisor")
    after = eventually(lambda: (read := call("shelter", "get_stay", {
        "stay_id": stay_id, "purpose": "safety"}, *staff))["known_as"] == ERASED and read,
        timeout=30)
    assert after["police_reference"] == ERASED and after["case_id"] == opened["case_id"]
    assert recoverable(pg_dump(platform), platform, secrets) == []
    assert not [s for s in secrets if s in read_model_text(platform)]  # nor kept beside
    assert call("shelter", "census", {"from": after["admitted_at"][:10],
                                      "to": after["admitted_at"][:10]}, *sup)  # stays counted


def recoverable(dump: bytes, cfg, secrets: list[str]) -> list[str]:
    """Every field of the shelters' stored events that the dump's keys and the master key
    still open and that holds one of the secrets: an attacker's reading of the backup."""
    return recoverable_in(dump, cfg, secrets, stores={"shelter": Shelters})
