"""HAVEN_QUEUE_TYPE=quorum: a consumer declares its event queues and their dead-letter
queues as quorum queues (replicated on every node of a RabbitMQ cluster), against the
machine's RabbitMQ. A queue keeps the type it was first declared with, so each test
consumes from a source and a service of its own."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid

import pytest

from shared.config import Settings
from shared.consumers import DEAD_SUFFIX
from shared.secret_checks import SettingsRefused
from shared.testing import vhost_of
from shared.testing.plugin import eventually
from tests.platform.msg_apps import Sink, get_all, publish_envelopes, queue_depth, sink_service
from tests.platform.test_consumers import envelope

EVENTS = ("LedgerOpened", "on_opened"), ("LedgerCredited", "on_credited")


def queue_types(amqp_uri: str) -> dict[str, str]:
    """Every queue of the vhost `amqp_uri` points into: its name -> its type."""
    assert shutil.which("rabbitmqctl"), "rabbitmqctl (rabbitmq-server) is needed to read a" \
        " queue's type: install it, or run the tests where the broker runs"
    listing = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost_of(amqp_uri),
                              "--no-table-headers", "name", "type"], capture_output=True,
                             text=True, timeout=60, check=True).stdout
    return dict(line.split("\t") for line in listing.splitlines() if line.strip())


@pytest.fixture
def sink(cfg):
    app = Sink(cfg)
    yield app
    app.close()


@pytest.mark.parametrize("queue_type", ["quorum", "classic"])
def test_a_consumer_declares_its_queues_of_the_configured_type_and_consumes_from_them(
        queue_type, monkeypatch, sink, amqp_uri, start_service):
    if queue_type == "quorum":
        monkeypatch.setenv("HAVEN_QUEUE_TYPE", "quorum")
    else:
        monkeypatch.delenv("HAVEN_QUEUE_TYPE", raising=False)  # the default
    source = "qsrc" + uuid.uuid4().hex[:8]
    service = f"sink_{source}"
    start_service(sink_service(source, service, max_attempts=2))
    queues = [f"evt-{source}-{event}--{service}.{method}" for event, method in EVENTS]
    types = queue_types(amqp_uri)
    for queue in queues:
        assert types[queue] == queue_type, queue
        assert types[queue + DEAD_SUFFIX] == queue_type, queue + DEAD_SUFFIX

    # Delivered, retried at the back of its own queue, dead-lettered: the republisher
    # declares the dead-letter queue with the same arguments the consumer did.
    publish_envelopes(amqp_uri, envelope(source, 1, "LedgerOpened"), envelope(source, 2),
                      envelope(source, 3, poison=True))
    eventually(lambda: sink.effects(source) == {1: 1, 2: 1})
    dead = queues[1] + DEAD_SUFFIX
    eventually(lambda: queue_depth(amqp_uri, dead) == 1)
    [(_, _, body)] = get_all(amqp_uri, dead)
    assert json.loads(body)["notification_id"] == 3
    assert queue_types(amqp_uri)[dead] == queue_type


@pytest.mark.no_servers
def test_a_queue_type_other_than_classic_or_quorum_is_refused():
    base = {"HAVEN_ENV": "development"}
    assert Settings.from_env(base).queue_type == "classic"
    assert Settings.from_env({**base, "HAVEN_QUEUE_TYPE": "quorum"}).queue_type == "quorum"
    for bogus in ("bogus", "Quorum", "stream", ""):
        with pytest.raises(SettingsRefused, match="^HAVEN_QUEUE_TYPE must be classic or quorum"):
            Settings.from_env({**base, "HAVEN_QUEUE_TYPE": bogus})
