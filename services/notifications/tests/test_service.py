"""NotificationsService end to end: intake's real relay over RabbitMQ, the service's own
poll (a nameko timer) on a controlled clock, RPC with the shell's tokens, e-mail to a
real SMTP server."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from nameko.containers import get_container_cls

from services.casework.contracts import ASSIGNMENT_CONFIRMED, CASE_OPENED, CASEWORKER_ASSIGNED
from services.casework.tests.conftest import Clock
from services.intake.application import Intake
from services.intake.contracts import CONTACT_LOGGED
from services.notifications.service import NotificationsService
from services.notifications.tests.conftest import T0, contact
from shared.audit import CommandContext
from shared.config import Settings
from shared.errors import Forbidden, InvalidInput
from shared.outbox import Relay
from shared.service import ServiceApplication
from shared.testing.plugin import eventually
from tests.notifications.support import Rpc, SmtpServer, publish, text_of

OPERATOR = CommandContext(actor_id="op-1", actor_role="helpline_operator", command="test")
SECRET_SUMMARY = "Ana is locked in the flat above the car wash on Polna street"


@pytest.fixture(scope="module")
def mail():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def clock():
    return Clock(T0)


@pytest.fixture(scope="module")
def settings(haven_run, mail):
    """Schemas of this module's own; e-mail to its SMTP server; a poll every 50 ms."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {"HAVEN_SCHEMA_PREFIX": haven_run.schema_prefix + "ntf_",
                            "HAVEN_SMTP_HOST": "127.0.0.1", "HAVEN_SMTP_PORT": str(mail.port),
                            "HAVEN_NOTIFICATIONS_POLL_SECONDS": "0.05",
                            "HAVEN_NOTIFICATIONS_WATCH_SECONDS": "0"}.items():
            patch.setenv(name, value)
        yield Settings.from_env()


@pytest.fixture(scope="module")
def service(settings, clock):
    """One container for the module, its clock the test's."""
    config = {"AMQP_URI": settings.amqp_uri, "SERIALIZER": "json"}
    container = get_container_cls(config)(NotificationsService, config)
    container.start()
    (provider,) = [d for d in container.dependencies if isinstance(d, ServiceApplication)]
    provider.app.clock = clock
    yield container
    container.kill()


@dataclass(frozen=True)
class Helpline:
    """Intake's store, and its real outbox relay: how the desk's calls reach the broker."""

    store: Intake
    relay: Relay


@pytest.fixture(scope="module")
def intake(settings):
    helpline = Helpline(Intake(settings), Relay(Intake(settings), settings.amqp_uri))
    yield helpline
    helpline.relay.close()
    helpline.store.close()


@pytest.fixture(scope="module")
def call(service, settings):
    return Rpc({"AMQP_URI": settings.amqp_uri, "SERIALIZER": "json"}, "notifications",
               roles=("caseworker",), user="cw-7")


def emergency_call(intake: Helpline, clock: Clock) -> str:
    logged = intake.store.log_contact(OPERATOR, channel="phone", direction="inbound",
                                started_at=clock.now - timedelta(minutes=2), language="uk",
                                caller_type="potential_victim", topic="emergency",
                                urgency="emergency", summary=SECRET_SUMMARY,
                                callback_contact="+48 511 222 333")
    intake.relay.run_once()  # to intake.events, as intake's relay process does
    return str(logged["contact_id"])


def alerts_about(call, contact_id: str, **who) -> list[dict]:
    items = call("inbox", {"page_size": 200}, **who)["items"]
    return [i for i in items if i["link"].endswith(contact_id)]


def test_an_emergency_call_over_the_broker_reaches_the_on_call_and_escalates(
        service, intake, call, clock, mail):
    supervisor = {"roles": ("supervisor",), "user": "sup-1"}
    call("put_on_call", {"user_id": "cw-7", "starts_at": clock.now.isoformat(),
                         "ends_at": (clock.now + timedelta(hours=12)).isoformat()},
         **supervisor)
    contact_id = emergency_call(intake, clock)
    (alert,) = eventually(lambda: alerts_about(call, contact_id))
    assert alert["category"] == "emergency_contact"
    eventually(lambda: mail.to("cw-7@haven.example"))
    assert alerts_about(call, contact_id, **supervisor) == []

    clock.advance(minutes=15)
    (escalated,) = eventually(lambda: alerts_about(call, contact_id, **supervisor))
    assert escalated["step"] == 1
    mails = eventually(lambda: [m for m in mail.to("supervisors@haven.example")
                                if contact_id in text_of(m)])
    assert "ESCALATED 1/4" in mails[0]["Subject"]

    acknowledged = call("acknowledge", {"alert_id": alert["alert_id"]}, **supervisor)
    assert acknowledged["acknowledged_by"] == "sup-1"
    clock.advance(minutes=15)
    eventually(lambda: call("open_alerts", {}, **supervisor)["total"] == 0)
    assert call("inbox", {}, **supervisor)["total"] == 0
    for message in mail.received:  # what the caller said never travels
        assert SECRET_SUMMARY not in text_of(message) and "511 222 333" not in text_of(message)


def test_the_same_message_delivered_twice_yields_one_notification_per_recipient(
        service, call, clock, mail, amqp_uri):
    supervisor = {"roles": ("supervisor",), "user": "sup-1"}
    for user in ("cw-11", "cw-12"):
        call("put_on_call", {"user_id": user, "starts_at": clock.now.isoformat(),
                             "ends_at": (clock.now + timedelta(hours=2)).isoformat()},
             **supervisor)
    logged = contact(started_at=clock.now - timedelta(minutes=1))
    publish(amqp_uri, CONTACT_LOGGED, logged, notification_id=900_001, times=2)
    publish(amqp_uri, CONTACT_LOGGED, logged, notification_id=900_002)  # a relay's retry
    contact_id = str(logged["contact_id"])
    for user in ("cw-11", "cw-12"):
        eventually(lambda user=user: alerts_about(call, contact_id, user=user))
        eventually(lambda user=user: mail.to(f"{user}@haven.example"))
    # A sentinel behind them on the same queue: once it is in, the copies have been handled.
    sentinel = contact(started_at=clock.now - timedelta(minutes=1))
    publish(amqp_uri, CONTACT_LOGGED, sentinel, notification_id=900_003)
    eventually(lambda: alerts_about(call, str(sentinel["contact_id"]), user="cw-11"))
    eventually(lambda: len(mail.to("cw-11@haven.example")) == 2)
    for user in ("cw-11", "cw-12"):
        assert len(alerts_about(call, contact_id, user=user)) == 1
        assert len([m for m in mail.to(f"{user}@haven.example")
                    if contact_id in text_of(m)]) == 1


def test_fields_a_producer_adds_beyond_its_contract_never_reach_a_message(
        service, call, clock, mail, amqp_uri):
    """The consumer reads with the producer's contract: anything else in the payload --
    a careless producer's free text -- is dropped before a rule sees it."""
    call("put_on_call", {"user_id": "cw-13", "starts_at": clock.now.isoformat(),
                         "ends_at": (clock.now + timedelta(hours=2)).isoformat()},
         roles=("supervisor",), user="sup-1")
    logged = contact(started_at=clock.now - timedelta(minutes=1))
    publish(amqp_uri, CONTACT_LOGGED, logged, notification_id=900_010,
            extra={"summary": SECRET_SUMMARY, "channel_note": SECRET_SUMMARY})
    (alert,) = eventually(lambda: alerts_about(call, str(logged["contact_id"]), user="cw-13"))
    assert SECRET_SUMMARY not in alert["text"]
    (message,) = eventually(lambda: mail.to("cw-13@haven.example"))
    assert SECRET_SUMMARY not in text_of(message)


def test_the_inbox_and_acknowledgement_refuse_who_may_not(service, intake, call, clock):
    call("put_on_call", {"user_id": "cw-14", "starts_at": clock.now.isoformat(),
                         "ends_at": (clock.now + timedelta(hours=2)).isoformat()},
         roles=("supervisor",), user="sup-1")
    contact_id = emergency_call(intake, clock)
    (alert,) = eventually(lambda: alerts_about(call, contact_id, user="cw-14"))
    assert alerts_about(call, contact_id, user="cw-15") == []  # another caseworker's inbox
    for who in ({"user": "cw-15"}, {"user": "law-1", "roles": ("lawyer",)},
                {"user": "ops-1", "roles": ("ops",)}):
        with pytest.raises(Forbidden):
            call("acknowledge", {"alert_id": alert["alert_id"]}, **who)
    with pytest.raises(Forbidden):
        call("inbox", {}, roles=("auditor",))
    with pytest.raises(Forbidden):
        call("put_on_call", {"user_id": "cw-15", "starts_at": clock.now.isoformat(),
                             "ends_at": (clock.now + timedelta(hours=1)).isoformat()})
    with pytest.raises(InvalidInput) as refused:
        call("acknowledge", {"alert_id": "not-an-id"})
    assert set(refused.value.errors) == {"alert_id"}
    with pytest.raises(InvalidInput) as refused:
        call("put_on_call", {"user_id": "cw-15", "starts_at": clock.now.isoformat(),
                             "ends_at": clock.now.isoformat()}, roles=("supervisor",))
    assert set(refused.value.errors) == {"ends_at"}
    assert [s["user_id"] for s in call("on_call", {})["on_call"]].count("cw-15") == 0
    assert call("acknowledge", {"alert_id": alert["alert_id"]},
                user="cw-14")["acknowledged_by"] == "cw-14"
    assert uuid.UUID(alert["alert_id"])


def test_a_supervisors_confirmation_over_the_broker_lets_the_caseworker_acknowledge(
        service, call, clock, amqp_uri):
    """casework's AssignmentConfirmed reaches notifications on a queue of its own: until
    it is in, the caseworker who took the case cannot silence its emergency."""
    case_id = uuid.uuid4()
    publish(amqp_uri, CASE_OPENED, {
        "case_id": case_id, "reference": "KC-2026-4242", "client_id": uuid.uuid4(),
        "contact_id": None, "source": "direct", "opened_at": clock.now - timedelta(minutes=1),
        "caseworker_id": None, "possible_duplicate": False, "origin_country": None,
        "exploitation_country": None, "exploitation_types": [], "methods_of_control": [],
        "recruitment": None, "relationship_to_trafficker": None, "urgency": "emergency",
        "version": 1}, notification_id=950_001)
    supervisor = {"roles": ("supervisor",), "user": "sup-1"}
    (alert,) = eventually(lambda: [a for a in call("open_alerts", {"page_size": 200},
                                                   **supervisor)["items"]
                                   if a["case_id"] == str(case_id)])
    with pytest.raises(Forbidden):
        call("acknowledge", {"alert_id": alert["alert_id"]}, user="cw-19")
    publish(amqp_uri, CASEWORKER_ASSIGNED, {
        "case_id": case_id, "caseworker_id": "cw-19", "previous_caseworker_id": None,
        "status": "Active", "assigned_at": clock.now, "version": 2}, notification_id=950_002)
    publish(amqp_uri, ASSIGNMENT_CONFIRMED, {
        "case_id": case_id, "caseworker_id": "cw-19", "confirmed_by": "sup-1",
        "confirmed_at": clock.now, "version": 3}, notification_id=950_003)

    def acknowledged() -> dict | None:
        try:
            return call("acknowledge", {"alert_id": alert["alert_id"]}, user="cw-19")
        except Forbidden:
            return None  # not yet heard: the facts travel on queues of their own

    assert eventually(acknowledged)["acknowledged_by"] == "cw-19"
