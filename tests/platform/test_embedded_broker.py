"""`haven dev`'s broker lives in its process. The tests run several platforms in one
process, and pytest keeps a package-scoped fixture imported elsewhere alive to the end of
the session: each platform must have a broker of its own, or one's consumers take the
other's messages (its casework took the other's referrals and could not open them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import kombu
import pytest

from services.casework.domain import Case
from services.casework.domain.ids import referral_case_id
from shared.audit import CommandContext
from shared.bootstrap import build_application
from shared.config import Settings
from shared.embedded import Platform, adapt_memory_transport, memory_virtual_host
from shared.testing.plugin import eventually
from tests.conftest import EMBEDDED
from tests.gateway_fixtures import free_port

QUEUE = "evt-intake-ContactRecorded--notifications.on_contact"
OPERATOR = CommandContext(actor_id="op-1", actor_role="helpline_operator", command="test")


def _leave_an_event(uri: str) -> None:
    with kombu.Connection(uri) as conn:
        exchange = kombu.Exchange("intake.events", type="topic", durable=True)
        queue = kombu.Queue(QUEUE, exchange=exchange, routing_key="#")(conn.default_channel)
        queue.declare()
        conn.Producer().publish({"notification_id": 1}, exchange=exchange,
                                routing_key="ContactRecorded", serializer="json")


def _waiting(uri: str) -> int:
    with kombu.Connection(uri) as conn:
        channel = conn.default_channel
        return channel._size(QUEUE) if channel._has_queue(QUEUE) else 0


@pytest.fixture
def unset(monkeypatch) -> None:
    for name in EMBEDDED:  # a platform sets these; put back as they were afterwards
        monkeypatch.delenv(name, raising=False)


def test_a_virtual_host_of_the_memory_broker_is_a_broker_of_its_own(tmp_path):
    adapt_memory_transport()
    one = f"memory:///{memory_virtual_host(str(tmp_path / 'one'))}"
    other = f"memory:///{memory_virtual_host(str(tmp_path / 'other'))}"
    _leave_an_event(one)
    assert (_waiting(one), _waiting(other)) == (1, 0)


def test_a_platform_made_again_on_its_data_dir_starts_on_an_empty_broker(tmp_path, unset):
    Platform(str(tmp_path), free_port())
    uri = f"memory:///{memory_virtual_host(str(tmp_path))}"
    _leave_an_event(uri)
    Platform(str(tmp_path), free_port())
    assert _waiting(uri) == 0


def _refer_someone(cfg: Settings) -> str:
    intake = build_application("intake", cfg)
    try:
        at = datetime.now(UTC) - timedelta(minutes=30)
        contact = intake.log_contact(
            OPERATOR, channel="phone", direction="inbound", started_at=at,
            ended_at=at + timedelta(minutes=20), language="uk", interpreter_used=False,
            caller_type="potential_victim", topic="victim_support", urgency="urgent",
            summary="Asks for help", callback_contact=None)["contact_id"]
        intake.screen_contact(OPERATOR, contact, indicators=["deception"],
                              assessment="presumed_victim")
        intake.refer_to_casework(OPERATOR, contact, person={"given_name": "Olena",
                                                            "family_name": "Kowal"},
                                 birth_year=1990, gender="Female", citizenship="UA",
                                 languages=["uk"], exploitation_types=[], urgency=None,
                                 referred_at=at + timedelta(minutes=20))
        return str(contact)
    finally:
        intake.close()


@pytest.fixture
def two_platforms(tmp_path, unset) -> Iterator[list[Settings]]:
    platforms = []
    try:
        for name in ("one", "other"):
            platform = Platform(str(tmp_path / name), free_port())
            platform.start()
            platforms.append(platform)
        yield [platform.cfg for platform in platforms]
    finally:
        for platform in platforms:
            platform.stop()


@pytest.mark.slow
def test_two_platforms_running_in_one_process_each_open_their_own_referrals(two_platforms):
    referred = {cfg.data_dir: _refer_someone(cfg) for cfg in two_platforms}
    for cfg in two_platforms:
        casework = build_application("casework", cfg)
        try:
            case_id = referral_case_id(referred[cfg.data_dir])
            eventually(lambda casework=casework, case_id=case_id:
                       casework.find(Case, case_id, sealed=True), timeout=120)
        finally:
            casework.close()


def test_a_message_wakes_only_the_consumers_of_its_queue(tmp_path):
    """Each put wakes the connections consuming that queue, not every connection in the
    process: with one signal for all, every service's consumers looked through all their
    queues for each message."""
    from shared.embedded import _arrivals_of

    adapt_memory_transport()
    uri = f"memory:///{memory_virtual_host(str(tmp_path))}"
    exchange = kombu.Exchange("intake.events", type="topic", durable=True)
    with kombu.Connection(uri) as mine, kombu.Connection(uri) as theirs:
        wakes = {}
        for name, conn, key in (("mine", mine, "ContactRecorded"), ("theirs", theirs, "Other")):
            queue = kombu.Queue(f"evt-{name}", exchange=exchange, routing_key=key)
            consumer = kombu.Consumer(conn.default_channel, [queue], accept=["json"])
            consumer.consume()
            wakes[name] = _arrivals_of(conn.transport)
        before = {name: signal.seen for name, signal in wakes.items()}
        with kombu.Connection(uri) as producer:
            producer.Producer().publish({"n": 1}, exchange=exchange,
                                        routing_key="ContactRecorded", serializer="json")
        assert wakes["mine"].seen > before["mine"]
        assert wakes["theirs"].seen == before["theirs"]
