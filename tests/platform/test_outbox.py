"""The outbox relay against real PostgreSQL and RabbitMQ (this run's vhost)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import uuid
from dataclasses import replace
from urllib.parse import unquote, urlparse

import kombu
import requests
from eventsourcing.persistence import Tracking
from prometheus_client import REGISTRY

from shared.audit import CommandContext
from shared.config import settings
from shared.consumers import has_handled
from shared.crypto import seal_context
from shared.outbox import PikaPublisher, Relay
from shared.testing.plugin import eventually
from tests.platform.msg_apps import (
    HOLDER,
    Ledger,
    Sink,
    gather,
    sink_service,
    source_app,
    tap,
)
from tests.platform.msg_relay import KILL_AT

CTX = CommandContext(actor_id="u-3", actor_role="caseworker", command="open_ledger")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def store_ledgers(app, count: int) -> list[Ledger]:
    """Per ledger: Opened, Credited (both published), Annotated (internal)."""
    ledgers = []
    for i in range(count):
        ledger = Ledger(holder_name=HOLDER, category="labour")
        ledger.credit(10 + i)
        ledger.annotate("internal remark")
        app.save(ledger, ctx=CTX)
        ledgers.append(ledger)
    return ledgers


def drain(relay: Relay) -> int:
    published = 0
    for _ in range(100):
        published += relay.run_once()
        if relay.drained:
            return published
    raise AssertionError("relay did not drain")


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_relay_publishes_every_integration_event_once_in_order_without_plaintext(
        source, amqp_uri):
    with tap(amqp_uri, f"{source.name}.events") as received:
        ledgers = store_ledgers(source, 3)
        relay = Relay(source, amqp_uri, batch_size=2)  # several batches
        assert relay.backlog() == 9
        assert metric("haven_outbox_backlog", service=source.name) == 9
        assert drain(relay) == 6
        messages = gather(received, 6)

    bodies = [json.loads(body) for _, _, body in messages]
    assert [b["notification_id"] for b in bodies] == [1, 2, 4, 5, 7, 8]
    assert [m.routing_key for m, _, _ in messages] == ["LedgerOpened", "LedgerCredited"] * 3
    assert all(p.delivery_mode == 2 and p.content_type == "application/json"
               for _, p, _ in messages)
    first = bodies[0]
    assert first["source"] == source.name and first["type"] == "LedgerOpened"
    assert first["version"] == 1 and first["correlation_id"] and first["occurred_at"]
    assert first["data"]["ledger_id"] == str(ledgers[0].id)
    # Personal data crosses the broker sealed, and it is the real ciphertext of the value.
    raw = b"".join(body for _, _, body in messages)
    assert HOLDER.encode() not in raw and b"Popescu" not in raw
    assert first["data"]["holder_name"].startswith("pd2:")
    assert source.vault.unseal(first["data"]["holder_name"],
                               seal_context(source.name, "Ledger", "holder_name")) == HOLDER
    # Published as the service's own broker user, which RabbitMQ checked against the login.
    assert {p.user_id for _, p, _ in messages} == {settings().broker_user(source.name)}
    # The trailing internal event advanced the position although nothing was published.
    assert relay.position() == 9
    relay.close()
    assert metric("haven_outbox_backlog", service=source.name) == 0
    assert metric("haven_outbox_published_total", service=source.name,
                  event="LedgerOpened") == 3
    # And the application's own reads still unseal: the relay used a mapper of its own.
    assert source.repository.get(ledgers[0].id).holder_name == HOLDER


def test_position_survives_a_restart(source, cfg, amqp_uri):
    store_ledgers(source, 2)
    first = Relay(source, amqp_uri)
    assert drain(first) == 4
    first.close()

    restarted_app = source_app(source.name)(cfg)
    with tap(amqp_uri, f"{source.name}.events") as received:
        restarted = Relay(restarted_app, amqp_uri)
        assert restarted.position() == 6
        assert drain(restarted) == 0, "nothing is published twice after a clean restart"
        ledger = Ledger(holder_name=HOLDER, category="sexual")
        restarted_app.save(ledger, ctx=CTX)
        assert drain(restarted) == 1
        messages = gather(received, 1)
        restarted.close()
    restarted_app.close()
    assert [json.loads(body)["notification_id"] for _, _, body in messages] == [7]


def run_relay_process(name: str, batch_size: int, kill_at: int | None = None):
    env = dict(os.environ)
    env.pop(KILL_AT, None)
    if kill_at:
        env[KILL_AT] = str(kill_at)
    return subprocess.run([sys.executable, "-m", "tests.platform.msg_relay", name,
                           str(batch_size)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_relay_killed_between_publish_and_commit_still_gives_each_event_one_effect(
        source, cfg, amqp_uri, start_service):
    start_service(sink_service(source.name, f"sink_{source.name}"))  # queues exist first
    store_ledgers(source, 3)  # nids 1..9: O C A | O C A | O C A
    published = [1, 2, 4, 5, 7, 8]

    # Batch 1 (nids 1-4) is committed; batch 2 (nids 5-8: 3 messages) is confirmed by
    # the broker, then the process dies before recording position 8.
    killed = run_relay_process(source.name, batch_size=4, kill_at=2)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    probe = Relay(source, amqp_uri)
    assert probe.position() == 4
    probe.close()

    restarted = run_relay_process(source.name, batch_size=4)
    assert restarted.returncode == 0, restarted.stderr
    assert restarted.stdout.split() == ["3"], "the restart republishes batch 2"

    sink = Sink(cfg)
    try:
        eventually(lambda: set(sink.effects(source.name)) == set(published))

        def consumed(outcome: str) -> float:
            return sum(metric("haven_consumer_messages_total", service="msgsink",
                              source=source.name, event=event, outcome=outcome)
                       for event in ("LedgerOpened", "LedgerCredited"))

        # All 9 deliveries (6 + the 3 republished) were consumed ...
        eventually(lambda: consumed("handled") + consumed("duplicate") >= 9)
        assert sink.effects(source.name) == {nid: 1 for nid in published}  # ... once each
        assert consumed("duplicate") == 3
        assert all(has_handled(sink, Tracking(source.name, nid)) for nid in published)
    finally:
        sink.close()


def test_embedded_mode_relays_over_kombu_memory_to_a_nameko_consumer(
        source, cfg, start_service):
    start_service(sink_service(source.name, f"sink_{source.name}"),
                  {"AMQP_URI": "memory://", "SERIALIZER": "json"})
    store_ledgers(source, 1)
    relay = Relay(source, "memory://")
    assert drain(relay) == 2
    relay.close()
    sink = Sink(cfg)
    try:
        eventually(lambda: sink.effects(source.name) == {1: 1, 2: 1})
    finally:
        sink.close()


def close_broker_connections(amqp_uri: str, connection_name: str) -> int:
    """Make the broker drop the named client connections, as a broker restart would."""
    assert shutil.which("rabbitmqctl"), "rabbitmqctl (rabbitmq-server) is needed to drop a" \
        " connection broker-side: install it, or run the tests where the broker runs"
    vhost = unquote(urlparse(amqp_uri).path.lstrip("/"))
    listing = subprocess.run(["rabbitmqctl", "-q", "list_connections", "pid", "vhost",
                              "client_properties"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    pids = [line.split("\t")[0] for line in listing.splitlines()
            if f"\t{vhost}\t" in line and f'"{connection_name}"' in line]
    for pid in pids:
        subprocess.run(["rabbitmqctl", "-q", "close_connection", pid, "test: broker loss"],
                       capture_output=True, timeout=30, check=True)
    return len(pids)


def test_relay_reconnects_after_losing_the_broker(source, amqp_uri):
    relay = Relay(source, amqp_uri)
    stop = threading.Event()
    runner = threading.Thread(target=relay.run_forever, args=(0.05, stop))
    got: list[int] = []
    with tap(amqp_uri, f"{source.name}.events") as received:
        store_ledgers(source, 1)
        runner.start()
        try:
            eventually(lambda: got.extend(json.loads(b)["notification_id"]
                                          for _, _, b in received()) or len(got) == 2)
            assert close_broker_connections(amqp_uri, f"haven-relay {source.name}") == 1
            store_ledgers(source, 1)
            eventually(lambda: got.extend(json.loads(b)["notification_id"]
                                          for _, _, b in received()) or len(got) >= 4)
        finally:
            stop.set()
            runner.join(timeout=10)
    relay.close()
    assert not runner.is_alive()
    assert got == [1, 2, 4, 5]


def broker_connections(amqp_uri: str) -> dict[str, str]:
    """{connection name: its client port} of the vhost's connections, as the broker sees
    them: a port that changes is a new connection."""
    vhost = unquote(urlparse(amqp_uri).path.lstrip("/"))
    listing = subprocess.run(["rabbitmqctl", "-q", "list_connections", "vhost", "peer_port",
                              "client_properties"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
    found = {}
    for line in listing.splitlines():
        if line.startswith(f"{vhost}\t") and (named := re.search(
                r'"connection_name","([^"]*)"', line)):
            found[named.group(1)] = line.split("\t")[1]
    return found


def test_an_idle_relay_keeps_its_connection_past_the_brokers_heartbeat_timeout(
        source, amqp_uri, caplog):
    uri = amqp_uri + ("&" if "?" in amqp_uri else "?") + "heartbeat=1"  # 2 s of silence
    relay = Relay(source, uri)
    name = f"haven-relay {source.name}"
    stop = threading.Event()
    runner = threading.Thread(target=relay.run_forever, args=(0.05, stop))
    silent = PikaPublisher(uri, f"silent {source.name}")
    got: list[int] = []
    with tap(amqp_uri, f"{source.name}.events") as received:
        store_ledgers(source, 1)
        runner.start()
        try:
            eventually(lambda: got.extend(json.loads(b)["notification_id"]
                                          for _, _, b in received()) or len(got) == 2)
            port = broker_connections(amqp_uri)[name]
            silent.keep_alive()  # nothing to keep: it has never connected
            silent._open()  # connected after the relay, and silent since
            eventually(lambda: f"silent {source.name}" in broker_connections(amqp_uri))
            # The broker drops a client it has not heard from in two heartbeats.
            eventually(lambda: f"silent {source.name}" not in broker_connections(amqp_uri))
            assert broker_connections(amqp_uri).get(name) == port  # the same connection
            store_ledgers(source, 1)
            eventually(lambda: got.extend(json.loads(b)["notification_id"]
                                          for _, _, b in received()) or len(got) >= 4)
        finally:
            stop.set()
            runner.join(timeout=10)
            silent.close()
    relay.close()
    assert got == [1, 2, 4, 5]
    assert "batch failed" not in caplog.text


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_haven_relay_process_publishes_serves_metrics_and_stops_on_sigterm(source, amqp_uri):
    port = free_port()
    with tap(amqp_uri, f"{source.name}.events") as received:
        store_ledgers(source, 1)
        process = subprocess.Popen([sys.executable, "-m", "tests.platform.msg_serve",
                                    source.name], cwd=ROOT, text=True,
                                   env={**os.environ, "HAVEN_METRICS_PORT": str(port)},
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            messages = gather(received, 2)
            # Served before the relay's first round: wait for the gauge, not for /metrics.
            drained = f'haven_outbox_backlog{{service="{source.name}"}} 0.0'
            eventually(lambda: drained in (_get(f"http://127.0.0.1:{port}/metrics") or ""),
                       timeout=120)
            process.send_signal(signal.SIGTERM)
            output, _ = process.communicate(timeout=120)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=5)
    assert process.returncode == 0, output
    assert "relay: stopped" in output
    assert [m.routing_key for m, _, _ in messages] == ["LedgerOpened", "LedgerCredited"]
    assert HOLDER not in output, "the relay never logs personal data"


def _get(url: str) -> str | None:
    try:
        return requests.get(url, timeout=10).text
    except requests.RequestException:  # not listening yet, or slow on a busy machine
        return None


def test_a_second_relay_of_the_same_service_skips_the_batch_the_first_holds(source, amqp_uri):
    store_ledgers(source, 1)
    first, second = Relay(source, amqp_uri), Relay(source, amqp_uri)
    with tap(amqp_uri, f"{source.name}.events") as received:
        assert first._store.begin() == 0  # first is mid-batch: publishing, not yet committed
        assert second.run_once() == 0
        first._store.rollback()
        assert drain(second) == 2
        assert len(gather(received, 2)) == 2
    first.close()
    second.close()


def test_embedded_sqlite_store_keeps_the_position_in_the_service_file(cfg, tmp_path):
    embedded = replace(cfg, store="sqlite", data_dir=tmp_path)
    name = "msgsrc" + uuid.uuid4().hex[:8]
    app = source_app(name)(embedded)
    with kombu.Connection("memory://") as conn:
        exchange = kombu.Exchange(f"{name}.events", type="topic", durable=True)
        tap_queue = kombu.Queue(f"tap-{name}", exchange=exchange, routing_key="#")(
            conn.default_channel)
        tap_queue.declare()
        store_ledgers(app, 1)
        relay = Relay(app, "memory://")
        assert drain(relay) == 2
        relay.close()
        bodies = []
        while (message := tap_queue.get(no_ack=True)) is not None:
            bodies.append(message.payload)
    app.close()
    assert [b["notification_id"] for b in bodies] == [1, 2]
    assert HOLDER not in json.dumps(bodies)
    with sqlite3.connect(tmp_path / f"{name}.sqlite") as db:
        assert db.execute("SELECT position FROM outbox_position").fetchall() == [(3,)]
    reopened = source_app(name)(embedded)
    assert Relay(reopened, "memory://").position() == 3
    reopened.close()
