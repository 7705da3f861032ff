"""The channels against real peers: signed webhooks checked by the Standard Webhooks
reference verifier, a receiver's answers (503 retried, 410 disabling), the SSRF-safe
allow-list; e-mail over STARTTLS to a server that demands it."""

from __future__ import annotations

import pytest
from cryptography import x509
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from services.intake.contracts import CONTACT_LOGGED
from services.notifications.channels.webhooks import refusal
from services.notifications.tests.conftest import (
    SUPERVISOR,
    WEBHOOK_SECRET,
    contact,
    on_call,
    poll,
    reconfigure,
    self_signed,
)
from shared.audit import CommandContext
from tests.notifications.support import deliver

OPS = CommandContext(actor_id="ops-1", actor_role="ops", command="test")


def webhook_deliveries(app) -> list[dict]:
    return [d for d in app.deliveries(SUPERVISOR)["items"] if d["channel"].startswith("webhook")]


# -- webhooks ----------------------------------------------------------------------------------
def test_a_webhook_verifies_with_the_reference_verifier_and_a_tampered_body_does_not(
        app, receiver):
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    ((headers, body),) = receiver.requests
    verifier = Webhook(WEBHOOK_SECRET)
    payload = verifier.verify(body, headers)
    assert payload["type"] == "alert.sent"
    assert payload["data"]["category"] == "emergency_contact"
    assert payload["data"]["link"].startswith("https://haven.example/api/v1/contacts/")
    (sent,) = webhook_deliveries(app)
    assert headers["webhook-id"] == sent["delivery_id"] and sent["status"] == "delivered"
    with pytest.raises(WebhookVerificationError):
        verifier.verify(body.replace(b"emergency_contact", b"routine_contact"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(body, headers)  # someone else's secret


def test_a_receiver_that_fails_is_called_again_after_the_back_off_with_the_same_id(
        app, clock, receiver):
    receiver.statuses = [503]
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    clock.advance(seconds=30)
    poll(app)
    first, second = receiver.requests
    assert first[0]["webhook-id"] == second[0]["webhook-id"]
    Webhook(WEBHOOK_SECRET).verify(second[1], second[0])
    (sent,) = webhook_deliveries(app)
    assert (sent["status"], sent["attempts"]) == ("delivered", 2)


def test_a_receiver_gone_with_410_is_not_called_again_until_ops_enable_it(app, receiver):
    receiver.statuses = [410]
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    assert len(receiver.requests) == 1
    (gone,) = webhook_deliveries(app)
    assert (gone["status"], gone["last_code"], gone["last_reason"]) == ("failed", 410, "gone")
    app.enable_webhook_target(OPS, "ops-pager")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    assert len(receiver.requests) == 2


def test_a_target_named_by_a_host_that_resolves_inside_the_network_is_refused(
        app, monkeypatch, receiver):
    inside = f"http://localhost:{receiver.port}"
    reconfigure(app, monkeypatch, inside + "/haven", HAVEN_WEBHOOK_ALLOW=inside)
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    assert receiver.requests == []
    (refused,) = webhook_deliveries(app)
    assert (refused["status"], refused["last_reason"]) == (
        "failed", "resolves to a private address")


def test_a_name_answering_inside_when_looked_up_again_is_called_where_it_was_checked(
        app, monkeypatch, receiver):
    """DNS rebinding: the pager's name answers with a public address when it is checked,
    and with the receiver's inside address to any later lookup. The call must go to the
    address checked (the outside world here: a fake DNS and a public host refusing), never
    to the inside one."""
    import socket

    import urllib3.util.connection

    public, name = "8.8.8.8", "pager.example.org"
    target = f"http://{name}:{receiver.port}"
    lookups: list[str] = []
    real_lookup, real_connect = socket.getaddrinfo, urllib3.util.connection.create_connection

    def dns(host, port, *args, **kwargs):
        if host != name:
            return real_lookup(host, port, *args, **kwargs)
        lookups.append(host)
        answer = public if len(lookups) == 1 else "127.0.0.1"
        return real_lookup(answer, port, *args, **kwargs)

    connected: list[tuple[str, int]] = []

    def connect(address, *args, **kwargs):
        connected.append(address)
        if address[0] == public:
            raise ConnectionRefusedError("the public host refuses (no network here)")
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", dns)
    monkeypatch.setattr(urllib3.util.connection, "create_connection", connect)
    reconfigure(app, monkeypatch, target + "/haven", HAVEN_WEBHOOK_ALLOW=target)
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    assert receiver.requests == []
    assert connected == [(public, receiver.port)]
    (attempted,) = webhook_deliveries(app)
    assert attempted["status"] != "delivered"


_POST_AS_THE_SERVICE = """
import sys
from shared.process import prepare_service_process
prepare_service_process()  # as `haven run notifications` does, before anything else
import certifi
if sys.argv[1]:
    certifi.where = lambda: sys.argv[1]
from services.notifications.channels.webhooks import post_pinned
try:
    print(post_pinned(sys.argv[2], "127.0.0.1", b"{}", {}))
except Exception as exc:
    print(type(exc).__name__)
"""


@pytest.mark.no_servers
def test_over_https_the_address_checked_is_called_and_verified_against_the_urls_name(
        tmp_path):
    """Connecting to the checked address must not weaken TLS: the certificate is still
    verified, against the name in the URL (SNI and Host name it too). The sender runs in a
    process prepared as the service's is (eventlet): this test process patched eventlet in
    after urllib3 was imported, which breaks urllib3's TLS contexts here and only here."""
    import ssl
    import subprocess
    import sys

    from tests.notifications.support import WebhookReceiver

    cert, key = map(str, self_signed(tmp_path, x509.DNSName("pager.example.org"), "pager"))
    receiver = WebhookReceiver()
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    receiver.server.socket = tls.wrap_socket(receiver.server.socket, server_side=True)
    receiver.start()

    def post(url: str, roots: str = "") -> str:
        done = subprocess.run([sys.executable, "-c", _POST_AS_THE_SERVICE, roots, url],
                              capture_output=True, text=True, timeout=120, check=True)
        return done.stdout.strip()

    try:
        ours, other = (f"https://{name}:{receiver.port}/haven"
                       for name in ("pager.example.org", "other.example.org"))
        assert post(ours) == "SSLError"  # the public roots do not know the receiver's CA
        assert post(ours, roots=cert) == "200"  # its CA trusted: delivered
        headers = {k.lower(): v for k, v in receiver.requests[0][0].items()}
        assert headers["host"] == f"pager.example.org:{receiver.port}"
        assert post(other, roots=cert) == "SSLError"  # a certificate for another name
        assert len(receiver.requests) == 1
    finally:
        receiver.stop()


def test_a_target_off_the_allow_list_is_never_called(app, monkeypatch, receiver):
    reconfigure(app, monkeypatch, receiver.url, HAVEN_WEBHOOK_ALLOW="https://pager.example.org")
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    assert receiver.requests == [] and webhook_deliveries(app) == []


@pytest.mark.no_servers
@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1:9/x", None),  # an IP literal on the list: meant as written
    ("http://127.0.0.1:10/x", "not on the allow-list"),
    ("http://user:pw@127.0.0.1:9/x", "credentials in the URL"),
    ("ftp://127.0.0.1:9/x", "not an http(s) URL"),
    ("http://169.254.169.254/latest/meta-data", "not on the allow-list"),
    ("http://localhost:9/x", "resolves to a private address"),
])
def test_the_allow_list_and_the_address_check(url, why):
    allowed = ("http://127.0.0.1:9", "http://localhost:9")
    assert refusal(url, allowed) == why


# -- e-mail over STARTTLS ------------------------------------------------------------------------
STARTTLS = pytest.mark.parametrize("smtp", ["starttls"], indirect=True)


@STARTTLS
def test_with_starttls_configured_mail_goes_encrypted_to_a_server_that_demands_it(
        app, monkeypatch, receiver, smtp, certificate):
    reconfigure(app, monkeypatch, receiver.url, HAVEN_SMTP_STARTTLS="true",
                HAVEN_SMTP_CA_FILE=str(certificate[0]))
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    assert len(smtp.to("cw-7@haven.example")) == 1


@STARTTLS
def test_without_starttls_a_server_that_demands_it_gets_nothing_in_clear(app, smtp):
    on_call(app, "cw-7")
    deliver(app, CONTACT_LOGGED, contact())
    poll(app)
    assert smtp.received == []
    (refused,) = [d for d in app.deliveries(SUPERVISOR)["items"] if d["channel"] == "email"]
    assert (refused["status"], refused["last_code"]) == ("failed", 530)  # 5yz: not retried
