"""One broker user per service, against the real RabbitMQ: a service publishes only to its
own exchange, and a consumer believes an event only from its source's own broker user.

The attack these tests replay: a compromised gateway publishes a forged `SubjectErased` as
casework, to have the helpline's records of a person shredded irreversibly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker
from prometheus_client import REGISTRY

from services.intake.service import IntakeService
from shared.audit import CommandContext
from shared.config import settings
from shared.consumers import DEAD_SUFFIX, ERROR_HEADER, PUBLISHER_HEADER
from shared.crypto import ERASED
from shared.messaging import Envelope
from shared.registry import application_class
from shared.testing.plugin import BROKER, eventually
from tests.platform.msg_apps import get_all

ACCESS_REFUSED = 403
OPERATOR = CommandContext(actor_id="op-9", actor_role="helpline_operator", command="log_contact")
SUMMARY = "Caller says the foreman at the Ogrodowa farm keeps her passport"
CALL = {"channel": "phone", "direction": "inbound", "language": "uk",
        "caller_type": "potential_victim", "topic": "victim_support", "urgency": "urgent",
        "summary": SUMMARY}
ERASURE_QUEUE = "evt-casework-SubjectErased--intake.on_subject_erased"


def user(service: str) -> str:
    return settings().broker_user(service)


@pytest.fixture
def channel_of() -> Iterator[Any]:
    """`channel_of("gateway")`: a channel with publisher confirms, logged in as that
    service's broker user, as its processes are in production."""
    connections: list[pika.BlockingConnection] = []

    def open_channel(service: str) -> Any:
        connection = pika.BlockingConnection(pika.URLParameters(BROKER.service_uri(service)))
        connections.append(connection)
        channel = connection.channel()
        channel.confirm_delivery()
        return channel

    yield open_channel
    for connection in connections:
        if connection.is_open:
            connection.close()


@pytest.fixture
def intake(start_service) -> Iterator[Any]:
    """intake's service, connected as intake's broker user, and its application (same
    store) with one logged contact: (app, contact_id)."""
    start_service(IntakeService)
    app = application_class("intake")(settings())
    contact_id = app.log_contact(OPERATOR, **CALL)["contact_id"]
    yield app, contact_id
    app.close()


def erasure_of(contact_id: Any) -> tuple[Envelope, bytes]:
    """casework's `SubjectErased` naming the contact, with a notification id no real
    casework relay of this run reaches."""
    envelope = Envelope(
        source="casework", notification_id=10**12 + uuid.uuid4().int % 10**9,
        type="SubjectErased", version=1, occurred_at=datetime.now(UTC).isoformat(),
        correlation_id=str(uuid.uuid4()), causation_id=None,
        data={"client_id": str(uuid.uuid4()), "subject_ids": [str(uuid.uuid4())],
              "case_ids": [], "contact_ids": [str(contact_id)],
              "erased_at": datetime.now(UTC).isoformat()})
    return envelope, json.dumps(envelope.to_dict()).encode()


def properties(**extra: Any) -> pika.BasicProperties:
    return pika.BasicProperties(content_type="application/json", content_encoding="utf-8",
                                delivery_mode=2, **extra)


def forged(contact_id: Any) -> list[tuple[Any, Any, bytes]]:
    """Takes the dead letters of intake's erasure handler that name this contact."""
    return [(m, p, b) for m, p, b in get_all(BROKER.uri(BROKER.run_user),
                                              ERASURE_QUEUE + DEAD_SUFFIX)
            if str(contact_id) in json.loads(b)["data"]["contact_ids"]]


def refusal(publish: Any) -> int:
    with pytest.raises(ChannelClosedByBroker) as closed:
        publish()
    return closed.value.reply_code


def test_a_subject_erased_forged_by_the_gateway_is_refused_and_shreds_nothing(
        intake, channel_of):
    app, contact_id = intake
    _, body = erasure_of(contact_id)

    # 1. On casework's exchange: RabbitMQ refuses the gateway's user, whatever it claims.
    for claimed in ({}, {"user_id": user("gateway")}, {"user_id": user("casework")}):
        assert refusal(lambda claimed=claimed: channel_of("gateway").basic_publish(
            "casework.events", "SubjectErased", body, properties(**claimed))) == ACCESS_REFUSED

    # 2. Slipped straight into intake's erasure queue through the default exchange, as
    # the gateway (RabbitMQ allows no user_id but the login's) or with none at all.
    gateway = channel_of("gateway")
    for claimed in ({"user_id": user("gateway")}, {}):
        gateway.basic_publish("", ERASURE_QUEUE, erasure_of(contact_id)[1],
                              properties(**claimed), mandatory=True)
    dead: list[tuple[Any, Any, bytes]] = []
    eventually(lambda: dead.extend(forged(contact_id)) or len(dead) >= 2)
    assert len(dead) == 2
    for _, props, _ in dead:
        assert props.headers[PUBLISHER_HEADER] in (user("gateway"), None)
        assert props.headers[ERROR_HEADER].startswith("not published by casework's broker user")
    assert REGISTRY.get_sample_value("haven_consumer_messages_total", {
        "service": "intake", "source": "casework", "event": "SubjectErased",
        "outcome": "forged"}) >= 2

    # Nothing shredded: the contact still reads in clear.
    contact = app.repository.get(contact_id)
    assert contact.summary == SUMMARY and getattr(contact, "erased_at", None) is None


def test_the_same_erasure_from_caseworks_own_user_is_applied(intake, channel_of):
    """The control: what the consumer refused above was the publisher, not the message."""
    app, contact_id = intake
    _, body = erasure_of(contact_id)
    channel_of("casework").basic_publish("casework.events", "SubjectErased", body,
                                         properties(user_id=user("casework")), mandatory=True)
    erased = eventually(lambda: getattr(c := app.repository.get(contact_id), "erased_at",
                                        None) and c)
    assert erased.summary == ERASED and not forged(contact_id)


def test_a_service_user_cannot_claim_another_services_user_id(intake, channel_of):
    """Even where intake may write (its own exchange), it cannot publish as casework."""
    _, contact_id = intake
    _, body = erasure_of(contact_id)
    with pytest.raises(ChannelClosedByBroker) as closed:
        channel_of("intake").basic_publish("intake.events", "SubjectErased", body,
                                           properties(user_id=user("casework")))
    assert closed.value.reply_code == 406  # PRECONDITION_FAILED: user_id is not the login


@pytest.mark.parametrize(("service", "other"), [("gateway", "casework"),
                                                ("intake", "casework"),
                                                ("casework", "intake"),
                                                ("notifications", "shelter")])
def test_a_service_user_cannot_publish_to_nor_declare_another_services_exchange(
        service, other, channel_of):
    exchange = f"{other}.events"
    assert refusal(lambda: channel_of(service).basic_publish(
        exchange, "Anything", b"{}", properties(user_id=user(service)))) == ACCESS_REFUSED
    assert refusal(lambda: channel_of(service).exchange_declare(
        exchange, exchange_type="topic", durable=True)) == ACCESS_REFUSED
    assert refusal(lambda: channel_of(service).exchange_delete(exchange)) == ACCESS_REFUSED


def test_a_service_user_cannot_take_another_services_rpc_requests(channel_of):
    # rpc-casework carries casework's requests, personal data included.
    assert refusal(lambda: channel_of("intake").basic_get("rpc-casework")) == ACCESS_REFUSED
    assert refusal(lambda: channel_of("gateway").queue_declare(
        "rpc-casework", durable=True)) == ACCESS_REFUSED


def test_a_relay_publishes_to_its_own_exchange_as_its_own_user(channel_of):
    """The positive side of the permissions: what each relay does is allowed."""
    for service in ("intake", "casework", "shelter", "legal"):
        channel_of(service).basic_publish(f"{service}.events", "Nothing", b"{}",
                                          properties(user_id=user(service)))


def test_the_test_vhost_is_set_up_from_the_production_definitions():
    from shared.broker import definitions
    from shared.manifest import manifest

    users = BROKER.users()
    assert set(users) == set(manifest().names)
    produced = definitions(BROKER.vhost, users, dict.fromkeys(users, "x"), manifest().stores)
    run = BROKER.definitions()
    assert [p for p in run["permissions"] if p["user"] in users.values()] \
        == produced["permissions"]
    assert run["exchanges"] == produced["exchanges"]


# -- RPC: personal data in flight, never on the broker's disk ---------------------------
@pytest.fixture
def rpc_probe() -> Iterator[Any]:
    """A private queue bound to every routing key of nameko-rpc: a copy of every request
    and reply; yields a function that drains it."""
    connection = pika.BlockingConnection(pika.URLParameters(BROKER.uri(BROKER.run_user)))
    channel = connection.channel()
    queue = channel.queue_declare("", exclusive=True).method.queue
    channel.queue_bind(queue, "nameko-rpc", routing_key="#")

    def drain() -> list[tuple[Any, Any, bytes]]:
        got = []
        while (message := channel.basic_get(queue, auto_ack=True))[0] is not None:
            got.append(message)
        return got

    yield drain
    connection.close()


def test_rpc_requests_and_replies_are_not_persisted(intake, rpc_probe):
    from nameko.standalone.rpc import ClusterRpcProxy

    config = {"AMQP_URI": BROKER.uri(BROKER.run_user), "SERIALIZER": "json"}
    with ClusterRpcProxy(config) as rpc, pytest.raises(Exception, match="(?i)unauth|token"):
        rpc.intake.log_contact(payload=CALL)  # no token: refused, but request and reply travel
    seen: list[tuple[Any, Any, bytes]] = []
    eventually(lambda: seen.extend(rpc_probe()) or len(seen) >= 2)
    request = [body for method, _, body in seen if method.routing_key == "intake.log_contact"]
    assert request and SUMMARY.encode() in request[0]  # the personal data this protects
    assert len(seen) == 2 and {props.delivery_mode for _, props, _ in seen} == {1}


@pytest.mark.no_servers
@pytest.mark.parametrize("service", ["gateway", "intake", "audit"])
def test_every_service_process_sends_rpc_non_persistent(service):
    """In a process that has loaded only `service` (as `haven run` does), nameko's RPC
    publishers, the caller's and the responder's, are the non-persistent ones."""
    probe = ("from shared.process import prepare_service_process; prepare_service_process()\n"
             "from shared.manifest import manifest\n"
             f"manifest()[{service!r}].service_class\n"
             "from nameko import rpc\n"
             "print(rpc.MethodProxy.publisher_cls.delivery_mode,"
             " rpc.Responder.publisher_cls.delivery_mode)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert done.stdout.split() == ["1", "1"]


# -- amqps:// by configuration ------------------------------------------------------------
@pytest.fixture
def ca_file(tmp_path) -> str:
    """A CA certificate (PEM) as an operator would give in HAVEN_AMQP_CA_FILE."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Haven test broker CA")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now.replace(year=now.year + 1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    path = tmp_path / "ca.pem"
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(path)


@pytest.mark.no_servers
def test_the_relay_connects_over_tls_checking_the_brokers_certificate_and_name(ca_file):
    import ssl
    from dataclasses import replace

    from shared.outbox import PikaPublisher

    uri = "amqps://haven-intake:pw@rabbitmq.haven.internal/haven"
    cfg = replace(settings(), amqp_uri=uri, amqp_ca_file=ca_file)
    params = PikaPublisher(uri, cfg=cfg)._params
    assert params.port == 5671 and params.ssl_options is not None
    context = params.ssl_options.context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert params.ssl_options.server_hostname == "rabbitmq.haven.internal"
    assert [c["subject"] for c in context.get_ca_certs()] == [
        ((("commonName", "Haven test broker CA"),),)]  # ours, not the system's


@pytest.mark.no_servers
def test_services_connect_over_tls_checking_the_brokers_certificate_and_name(ca_file):
    """Settings.amqp_tls() is nameko's AMQP_SSL; py-amqp wraps the socket with it."""
    import socket
    import ssl
    from dataclasses import replace

    from amqp.transport import SSLTransport

    uri = "amqps://haven-intake:pw@rabbitmq.haven.internal/haven"
    tls = replace(settings(), amqp_uri=uri, amqp_ca_file=ca_file).amqp_tls()
    assert tls == {"context": {"cafile": ca_file, "check_hostname": True},
                   "server_hostname": "rabbitmq.haven.internal"}
    transport = SSLTransport("rabbitmq.haven.internal:5671", sslopts=tls)
    with socket.socket() as sock, transport._wrap_socket(sock, **tls) as wrapped:  # unconnected
        assert wrapped.context.verify_mode == ssl.CERT_REQUIRED
        assert wrapped.context.check_hostname
        assert wrapped.server_hostname == "rabbitmq.haven.internal"
    assert settings().amqp_tls() is None  # plain amqp:// here: no TLS options at all


# -- the definitions file for docker-compose and Kubernetes -------------------------------
def test_the_definitions_command_sets_up_a_broker_whose_users_log_in_with_their_passwords(
        tmp_path):
    import shutil

    from click.testing import CliRunner

    from shared import testing
    from shared.broker_cli import broker_cli, password_variable
    from shared.manifest import manifest

    prefix, vhost = f"{BROKER.prefix}cli-", f"{BROKER.vhost}-cli"
    passwords = {s: uuid.uuid4().hex + uuid.uuid4().hex for s in manifest().names}
    env = {"HAVEN_BROKER_USER_PREFIX": prefix,
           **{password_variable(s): p for s, p in passwords.items()}}
    output = tmp_path / "definitions.json"
    done = CliRunner().invoke(broker_cli, ["definitions", "--vhost", vhost, "--output",
                                           str(output)], env=env)
    assert done.exit_code == 0, done.output
    text = output.read_text()
    assert not any(p in text for p in passwords.values())  # hashes only
    assert oct(output.stat().st_mode & 0o777) == "0o600"
    assert shutil.which("rabbitmqctl"), "the broker's own tool imports the file"
    subprocess.run(["rabbitmqctl", "-q", "import_definitions", "--format", "json"],
                   input=text.encode(), check=True, capture_output=True)
    try:
        login = f"amqp://{prefix}casework:{passwords['casework']}@127.0.0.1:5672/" + vhost
        connection = pika.BlockingConnection(pika.URLParameters(login))
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish("casework.events", "Nothing", b"{}",
                              properties(user_id=f"{prefix}casework"))
        with pytest.raises(ChannelClosedByBroker) as closed:
            channel.basic_publish("intake.events", "Nothing", b"{}")
        assert closed.value.reply_code == ACCESS_REFUSED
        connection.close()
    finally:
        testing.delete_vhost(BROKER.server_uri, vhost)
        for service in passwords:
            subprocess.run(["rabbitmqctl", "-q", "delete_user", prefix + service],
                           check=False, capture_output=True)


@pytest.mark.no_servers
def test_the_definitions_command_refuses_a_missing_or_short_password():
    from click.testing import CliRunner

    from shared.broker_cli import broker_cli, password_variable
    from shared.manifest import manifest

    env = {password_variable(s): "x" * 40 for s in manifest().names}
    env[password_variable("casework")] = "short"
    done = CliRunner().invoke(broker_cli, ["definitions"], env=env)
    assert done.exit_code == 1 and "HAVEN_BROKER_PASSWORD_CASEWORK is too short" in done.output
    env[password_variable("casework")] = ""
    done = CliRunner().invoke(broker_cli, ["definitions"], env=env)
    assert done.exit_code == 1 and "HAVEN_BROKER_PASSWORD_CASEWORK is not set" in done.output
