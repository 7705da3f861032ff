"""Notifications' tests: the platform's fixtures (cfg, app_factory, ...) come from
shared/testing/plugin.py; the real SMTP server and webhook receiver from
tests/notifications/support.py; these add notifications' own."""

from __future__ import annotations

import ipaddress
import ssl
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.casework.tests.conftest import Clock
from services.notifications.application import Notifications
from services.notifications.projections import READ_MODELS
from services.notifications.settings import NotificationSettings
from shared.audit import CommandContext
from shared.bootstrap import attach_read_models
from tests.notifications.support import SmtpServer, WebhookReceiver

T0 = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # a Monday night
SUPERVISOR = CommandContext(actor_id="sup-1", actor_role="supervisor", command="test")
WEBHOOK_SECRET = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # base64 of 24 bytes


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


def self_signed(directory: Path, subject: x509.GeneralName, stem: str) -> tuple[Path, Path]:
    """A self-signed certificate (its own CA) for `subject`, and its key, as files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"haven test {stem}")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([subject]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@pytest.fixture
def certificate(tmp_path):
    """A self-signed certificate for 127.0.0.1: (certificate file, key file)."""
    return self_signed(tmp_path, x509.IPAddress(ipaddress.ip_address("127.0.0.1")), "smtp")


@pytest.fixture
def smtp(request):
    """The SMTP server; parametrised indirectly with "starttls", one that demands STARTTLS.
    One at a time: asyncio keeps one running loop per OS thread, and under eventlet every
    server's loop would share the one."""
    options = {}
    if getattr(request, "param", None) == "starttls":
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*request.getfixturevalue("certificate"))
        options = {"tls_context": context, "require_starttls": True}
    server = SmtpServer(**options).start()
    yield server
    server.stop()


@pytest.fixture
def receiver():
    endpoint = WebhookReceiver().start()
    yield endpoint
    endpoint.stop()


@pytest.fixture
def env(monkeypatch, smtp, receiver):
    """Notifications' settings: e-mail to the test's SMTP server, webhooks to its receiver."""
    values = {"HAVEN_SMTP_HOST": "127.0.0.1", "HAVEN_SMTP_PORT": str(smtp.port),
              "HAVEN_WEBHOOK_ALLOW": f"http://127.0.0.1:{receiver.port}",
              "HAVEN_WEBHOOK_SECRET_OPS_PAGER": WEBHOOK_SECRET,
              "HAVEN_PLATFORM_URL": "https://haven.example"}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


@pytest.fixture
def make_app(app_factory, clock, env, receiver, cfg):
    """`make_app()`: the application on a store of its own, with its read models; calling
    it again is a restart of the same store."""
    made = []

    def make(of: Notifications | None = None) -> Notifications:
        app = app_factory(Notifications) if of is None else type(of)(cfg)
        app.clock = clock
        point_pager(app, receiver.url)
        made.append(attach_read_models(app, READ_MODELS))
        return app

    yield make
    for runner in made:
        runner.close()


def point_pager(app: Notifications, url: str) -> None:
    """The shipped rules, with their pager webhook pointed at `url`."""
    pager = app.rules.webhooks["ops-pager"]
    app.rules.webhooks["ops-pager"] = type(pager)(url, pager.secret_env)


def reconfigure(app: Notifications, monkeypatch, pager_url: str, **env: str) -> None:
    """Restart-free: the application re-reads its settings (and rules) with `env` set."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    app.configure(NotificationSettings.from_env())
    point_pager(app, pager_url)


@pytest.fixture
def app(make_app) -> Notifications:
    return make_app()


def on_call(app: Notifications, user: str, at: datetime = T0) -> None:
    app.put_on_call(SUPERVISOR, user_id=user, starts_at=at - timedelta(hours=1),
                    ends_at=at + timedelta(hours=11))


def contact(**overrides):
    """intake's ContactLogged, as intake holds it."""
    return {"contact_id": uuid.uuid4(), "channel": "phone", "direction": "inbound",
            "started_at": T0 - timedelta(minutes=3), "ended_at": None, "language": "uk",
            "interpreter_used": False, "caller_type": "potential_victim", "topic": "emergency",
            "urgency": "emergency", "operator_id": "op-1", **overrides}


def staff(user: str, role: str = "caseworker") -> CommandContext:
    return CommandContext(actor_id=user, actor_role=role, command="test")


def poll(app) -> int:
    """Run the poll until it finds nothing due (a step's sends are due once it is taken)."""
    total = 0
    for _ in range(10):
        done = app.do_due_work()
        total += done
        if not done:
            return total
    raise AssertionError("the poll keeps finding work")


def inbox(app, ctx: CommandContext, **filters) -> list[dict]:
    return app.inbox(ctx, **filters)["items"]
