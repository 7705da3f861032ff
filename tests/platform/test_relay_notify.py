"""The relay wakes on PostgreSQL NOTIFY: another process's commit is published at once.

Every relay here polls only every 600 s (and answers the broker's heartbeats as rarely),
so an event it publishes within the tests' timeouts reached it through the notification its
commit sent (the recorder NOTIFYs in the insert's own transaction), not through a poll.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from shared.outbox import Relay
from shared.testing.plugin import eventually
from shared.wakeup import store_signal
from tests.platform.msg_apps import gather, source_app, tap

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NEVER = 600  # seconds: a poll that would outlast every timeout below


def quiet(amqp_uri: str) -> str:
    """The broker URI with heartbeats as rare as the polls: nothing else wakes a relay."""
    return amqp_uri + ("&" if "?" in amqp_uri else "?") + f"heartbeat={NEVER}"


def write_elsewhere(name: str, ledgers: int) -> None:
    """Store `ledgers` ledgers (2 published events each) from another process."""
    done = subprocess.run([sys.executable, "-m", "tests.platform.msg_write", name,
                           str(ledgers)], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


@contextmanager
def following(*relays: Relay) -> Iterator[None]:
    """The relays running, each listening for commits and asleep for its next one; the
    caller closes them."""
    stop = threading.Event()
    threads = [threading.Thread(target=relay.run_forever, args=(NEVER, stop))
               for relay in relays]
    for thread in threads:
        thread.start()
    try:
        eventually(lambda: all(relay.listening for relay in relays))
        # Each listener's first wake-up (for commits before it listened) has been taken.
        eventually(lambda: store_signal(relays[0].service).waiting >= len(relays))
        yield
    finally:
        stop.set()
        store_signal(relays[0].service).fire()
        for thread in threads:
            thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)


def notification_ids(messages: list) -> list[int]:
    return [json.loads(body)["notification_id"] for _, _, body in messages]


def test_another_processs_commit_wakes_the_relay(source, amqp_uri):
    relay = Relay(source, quiet(amqp_uri), fallback_interval=NEVER)
    try:
        with tap(amqp_uri, f"{source.name}.events") as received, following(relay):
            write_elsewhere(source.name, 1)
            first = gather(received, 2)
            # Written after the relay published the first: only its own NOTIFY can wake it.
            write_elsewhere(source.name, 1)
            second = gather(received, 2)
        assert relay.position() == 4
    finally:
        relay.close()
    assert notification_ids(first + second) == [1, 2, 3, 4]


def test_two_listening_replicas_publish_each_event_once(source, cfg, amqp_uri):
    replicas = [Relay(source_app(source.name)(cfg), quiet(amqp_uri), fallback_interval=NEVER)
                for _ in range(2)]
    try:
        with tap(amqp_uri, f"{source.name}.events") as received, following(*replicas):
            for _ in range(3):
                write_elsewhere(source.name, 2)
            messages = gather(received, 12)
        assert [r.position() for r in replicas] == [12, 12]  # stopped after their batches
    finally:
        for replica in replicas:
            replica.close()
            replica.app.close()
    assert notification_ids(messages) == list(range(1, 13))


def test_each_store_has_a_channel_of_its_own(source, cfg):
    other = source_app("msgsrc" + uuid.uuid4().hex[:8])(cfg)
    try:
        channels = {source.recorder.channel_name, other.recorder.channel_name}
    finally:
        other.close()
    assert len(channels) == 2
    assert all(cfg.schema_prefix in channel for channel in channels)
