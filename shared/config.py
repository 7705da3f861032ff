"""Settings, read from the environment in one place.

Every HAVEN_* variable the platform understands is named here, so an operator
can find them all by reading one file.
"""

from __future__ import annotations

import base64
import hashlib
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from shared import secret_checks
from shared.secret_checks import SettingsRefused
from shared.signing import decode_base64, development_seed, private_seed, public_of, public_raw

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"

# Development-only secrets, public in this repository: production refuses them even when
# set explicitly (shared.secret_checks), so they can never protect real victims' data.
_DEV_MASTER_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"haven-dev-master").digest()).decode()
_DEV_INDEX_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"haven-dev-index").digest()).decode()
DEVELOPMENT_KEYS = {
    "HAVEN_MASTER_KEY": hashlib.sha256(b"haven-dev-master").digest(),
    "HAVEN_BLIND_INDEX_KEY": hashlib.sha256(b"haven-dev-index").digest(),
    "HAVEN_TOKEN_SIGNING_KEY": development_seed("token"),
    "HAVEN_TOKEN_PUBLIC_KEY": public_of(development_seed("token")),
    "HAVEN_CHECKPOINT_SIGNING_KEY": development_seed("checkpoint"),
    "HAVEN_CHECKPOINT_PUBLIC_KEY": public_of(development_seed("checkpoint")),
}
# A revoked token is refused everywhere within this long (shared.revocations caches the list).
MAX_REVOCATION_DELAY_SECONDS = 60
_MADE_DATA_DIRS: set[Path] = set()  # made once per process, not looked for on each call


def _key(value: str, name: str) -> bytes:
    try:
        raw = decode_base64(value)
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise SettingsRefused(f"{name} must be 32 bytes, url-safe base64 encoded")
    return raw


@dataclass(frozen=True)
class Settings:
    store: str  # "postgres" or "sqlite"
    postgres_url: str
    amqp_uri: str
    data_dir: Path
    schema_prefix: str
    master_key: bytes
    blind_index_key: bytes
    http_port: int
    dev_secrets: bool
    environment: str  # "production" or "development" (HAVEN_ENV, required)
    # How often an idle relay looks for new notifications: the floor of propagation latency.
    # Measured (make bench): 0.5 s -> p99 550 ms to a consumer; 0.05 s -> p99 61 ms at 2.5%
    # of a core while idle.
    relay_poll_interval: float
    # How long the gateway waits for a service's answer (s). A request not taken by then
    # expires unread on the broker, so it never runs after its caller was told 503.
    rpc_deadline: float
    metrics_port: int  # /metrics, /health, /ready of a process; 0 = not served
    # Read-only credentials for auditors' tools (shared/audit_trail); default: postgres_url.
    audit_postgres_url: str
    # How long emergency ("break-the-glass") access to a person's data lasts.
    emergency_access_minutes: int = 60
    # Reports (shared/reports): a month's figures are taken as recorded this many days after
    # the month ends (late entries count); published tables show a cell under
    # `report_small_cells` (but not zero) as suppressed.
    report_cutoff_days: int = 7
    report_small_cells: int = 5
    # Retention per category in days (HAVEN_RETENTION_DAYS), for `haven gdpr retention`.
    retention_days: tuple[tuple[str, int], ...] = ()
    # Subject access exports name staff by role only, unless this is set (CJEU C-579/21:
    # the person is owed who received their data, not which employee read it).
    subject_access_staff_ids: bool = False
    # Master keys being retired: they still unwrap subject keys until `haven keys rotate`
    # has re-wrapped them all under master_key (HAVEN_PREVIOUS_MASTER_KEYS, comma-separated).
    previous_master_keys: tuple[bytes, ...] = ()
    # The key store's own database (own role, own backups: keep them for less time than
    # the erasure deadline). Default: the services' database, in a schema of its own.
    keys_postgres_url: str = ""
    # Connections each pool of a process may hold (event store: twice this, with overflow;
    # keys; read models). PostgreSQL's max_connections bounds the sum over all processes.
    postgres_pool_size: int = 4
    # The service connects as its writer role (shared.db_roles: INSERT and SELECT on its
    # history, never UPDATE/DELETE/TRUNCATE); its tables were made by `haven db grants`.
    postgres_least_privilege: bool = False
    # Tokens (shared.auth): only the issuer holds the signing key; every process verifies
    # with the public key. Checkpoints (shared.audit_trail.checkpoints): signed by the relays
    # with a key the database never sees, into a directory outside it; auditors verify.
    token_signing_key: bytes | None = None  # Ed25519 seed
    token_public_key: bytes | None = None
    checkpoint_signing_key: bytes | None = None
    checkpoint_public_key: bytes | None = None
    checkpoint_dir: Path | None = None
    token_revocation_cache_seconds: float = 30.0
    # Broker users are named `<prefix><service>`: a consumer accepts a service's events only
    # from that user (RabbitMQ validates the user-id property).
    broker_user_prefix: str = "haven-"
    # amqps://: the CA that signed the broker's certificate, and a client certificate if the
    # broker asks for one (PEM files).
    amqp_ca_file: str = ""
    amqp_cert_file: str = ""
    amqp_key_file: str = ""
    # The type of the durable queues a consumer declares (its event queues and their dead
    # letters, shared.consumers): "quorum" on a replicated RabbitMQ, so that losing a node
    # loses no queue and no message in it (a queue, once declared, keeps its type).
    queue_type: str = "classic"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        environment = secret_checks.environment_of(env.get("HAVEN_ENV"))
        if environment == "production":
            secret_checks.refuse_unsafe(env, DEVELOPMENT_KEYS)
        master = env.get("HAVEN_MASTER_KEY")
        data_dir = Path(env.get("HAVEN_DATA_DIR", "var"))
        token_key = _signing_key(env, "HAVEN_TOKEN_SIGNING_KEY", environment)
        checkpoint_key = _signing_key(env, "HAVEN_CHECKPOINT_SIGNING_KEY", environment)
        checkpoint_dir = env.get("HAVEN_CHECKPOINT_DIR") or (
            str(data_dir / "checkpoints") if environment == "development" else "")
        return cls(
            store=env.get("HAVEN_STORE", "postgres"),
            postgres_url=env.get("HAVEN_POSTGRES_URL", DEFAULT_POSTGRES_URL),
            # Production has no default broker: guest@localhost would be a shared user
            # (require_production_secrets refuses to start without one).
            amqp_uri=env.get("HAVEN_AMQP_URI")
            or (DEFAULT_AMQP_URI if environment == "development" else ""),
            data_dir=data_dir,
            schema_prefix=env.get("HAVEN_SCHEMA_PREFIX", ""),
            master_key=_key(master or _DEV_MASTER_KEY, "HAVEN_MASTER_KEY"),
            blind_index_key=_key(env.get("HAVEN_BLIND_INDEX_KEY", _DEV_INDEX_KEY),
                                 "HAVEN_BLIND_INDEX_KEY"),
            http_port=int(env.get("HAVEN_HTTP_PORT", "8080")),
            dev_secrets=master is None or "HAVEN_BLIND_INDEX_KEY" not in env,
            environment=environment,
            relay_poll_interval=float(env.get("HAVEN_RELAY_POLL_INTERVAL", "0.05")),
            rpc_deadline=float(env.get("HAVEN_RPC_DEADLINE", "10")),
            metrics_port=int(env.get("HAVEN_METRICS_PORT", "0")),
            audit_postgres_url=env.get("HAVEN_AUDIT_POSTGRES_URL")
            or env.get("HAVEN_POSTGRES_URL", DEFAULT_POSTGRES_URL),
            emergency_access_minutes=int(env.get("HAVEN_EMERGENCY_ACCESS_MINUTES", "60")),
            report_cutoff_days=int(env.get("HAVEN_REPORT_CUTOFF_DAYS", "7")),
            report_small_cells=int(env.get("HAVEN_REPORT_SMALL_CELLS", "5")),
            retention_days=_retention(env.get("HAVEN_RETENTION_DAYS", RETENTION_DAYS)),
            subject_access_staff_ids=env.get("HAVEN_SUBJECT_ACCESS_STAFF_IDS") == "1",
            postgres_pool_size=int(env.get("HAVEN_POSTGRES_POOL_SIZE", "4")),
            postgres_least_privilege=env.get("HAVEN_POSTGRES_LEAST_PRIVILEGE", "") in ("1", "true"),
            previous_master_keys=tuple(_key(k.strip(), "HAVEN_PREVIOUS_MASTER_KEYS") for k in
                                       env.get("HAVEN_PREVIOUS_MASTER_KEYS", "").split(",")
                                       if k.strip()),
            keys_postgres_url=env.get("HAVEN_KEYS_POSTGRES_URL", ""),
            token_signing_key=token_key,
            token_public_key=_public_key(env, "HAVEN_TOKEN_PUBLIC_KEY", token_key),
            checkpoint_signing_key=checkpoint_key,
            checkpoint_public_key=_public_key(env, "HAVEN_CHECKPOINT_PUBLIC_KEY",
                                              checkpoint_key),
            checkpoint_dir=Path(checkpoint_dir) if checkpoint_dir else None,
            token_revocation_cache_seconds=_revocation_delay(env),
            broker_user_prefix=env.get("HAVEN_BROKER_USER_PREFIX", "haven-"),
            amqp_ca_file=env.get("HAVEN_AMQP_CA_FILE", ""),
            amqp_cert_file=env.get("HAVEN_AMQP_CERT_FILE", ""),
            amqp_key_file=env.get("HAVEN_AMQP_KEY_FILE", ""),
            queue_type=_queue_type(env),
        )

    def require_production_secrets(self, keys: bool = True) -> None:
        """In production, refuse to start a service or relay without the secrets it needs
        (`keys`: it reads personal data), or holding one only the token issuer may hold.
        What is set was checked when the settings were read (shared.secret_checks)."""
        if self.environment != "production":
            return
        if self.token_signing_key is not None:
            raise SettingsRefused("HAVEN_TOKEN_SIGNING_KEY is set: only the token issuer holds"
                                  " it, never a service or a relay (they verify with"
                                  " HAVEN_TOKEN_PUBLIC_KEY)")
        if not self.amqp_uri:
            raise SettingsRefused("HAVEN_AMQP_URI is not set: in production a process never"
                                  " falls back to RabbitMQ's guest@localhost; give it its"
                                  " service's broker user (deploy/README.md, Broker)")
        missing = ["HAVEN_TOKEN_PUBLIC_KEY"] if self.token_public_key is None else []
        if keys and self.dev_secrets:
            missing.append("HAVEN_MASTER_KEY and HAVEN_BLIND_INDEX_KEY")
        if missing:
            raise SettingsRefused(f"HAVEN_ENV=production but {', '.join(missing)} not set: "
                                  "refusing to run on the development secrets")

    @property
    def development_tokens(self) -> bool:
        """Tokens are signed, and checked, with the public development pair (so anyone can
        mint them): the only tokens `haven dev` prints."""
        return (self.token_signing_key == DEVELOPMENT_KEYS["HAVEN_TOKEN_SIGNING_KEY"]
                and self.token_public_key == DEVELOPMENT_KEYS["HAVEN_TOKEN_PUBLIC_KEY"])

    def broker_user(self, service: str) -> str:
        """The broker user a service connects, and publishes its events, as."""
        return f"{self.broker_user_prefix}{service}"

    def amqp_tls(self) -> dict[str, Any] | None:
        """nameko's AMQP_SSL (kombu's `ssl`) for an amqps:// URI: the broker's certificate is
        checked against HAVEN_AMQP_CA_FILE (default: the system's CAs) and its host name."""
        if not self.amqp_uri.startswith("amqps://"):
            return None
        host = urlparse(self.amqp_uri).hostname
        if self.amqp_cert_file:  # a client certificate: py-amqp's own TLS options
            return {"cert_reqs": ssl.CERT_REQUIRED, "ca_certs": self.amqp_ca_file or None,
                    "certfile": self.amqp_cert_file, "keyfile": self.amqp_key_file or None,
                    "server_hostname": host}
        return {"context": {"cafile": self.amqp_ca_file or None, "check_hostname": True},
                "server_hostname": host}

    def schema(self, service: str) -> str:
        """The PostgreSQL schema that belongs to one service and no other."""
        return f"{self.schema_prefix}{service}"

    def postgres_params(self, which: str | None = None) -> dict[str, str]:
        url = urlparse(which or self.postgres_url)
        return {
            "dbname": (url.path or "/postgres").lstrip("/") or "postgres",
            "host": url.hostname or "127.0.0.1",
            "port": str(url.port or 5432),
            "user": unquote(url.username or "postgres"),
            "password": unquote(url.password or ""),
        }

    def sqlite_path(self, name: str) -> Path:
        if self.data_dir not in _MADE_DATA_DIRS:  # asked on every call by some (revocations)
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _MADE_DATA_DIRS.add(self.data_dir)
        return self.data_dir / f"{name}.sqlite"


def _signing_key(env: dict[str, str], name: str, environment: str) -> bytes | None:
    """The seed of a signing key; in development the public development one by default."""
    value = env.get(name)
    if not value:
        return DEVELOPMENT_KEYS[name] if environment == "development" else None
    try:
        return private_seed(value)
    except ValueError as exc:
        raise SettingsRefused(f"{name} cannot be read ({exc})") from None


def _public_key(env: dict[str, str], name: str, signing: bytes | None) -> bytes | None:
    value = env.get(name)
    if not value:
        return public_of(signing) if signing is not None else None
    try:
        return public_raw(value)
    except ValueError as exc:
        raise SettingsRefused(f"{name} cannot be read ({exc})") from None


def _revocation_delay(env: dict[str, str]) -> float:
    seconds = float(env.get("HAVEN_TOKEN_REVOCATION_CACHE_SECONDS", "30"))
    if not 0 <= seconds <= MAX_REVOCATION_DELAY_SECONDS / 2:
        # Half the bound: a list whose refresh fails is still used until it is twice as old.
        raise SettingsRefused(f"HAVEN_TOKEN_REVOCATION_CACHE_SECONDS must be 0 to"
                              f" {MAX_REVOCATION_DELAY_SECONDS // 2}: a revoked token must be"
                              f" refused within {MAX_REVOCATION_DELAY_SECONDS} s")
    return seconds


QUEUE_TYPES = ("classic", "quorum")


def _queue_type(env: dict[str, str]) -> str:
    value = env.get("HAVEN_QUEUE_TYPE", "classic")
    if value not in QUEUE_TYPES:
        raise SettingsRefused(f"HAVEN_QUEUE_TYPE must be {' or '.join(QUEUE_TYPES)}, not"
                              f" {value!r}")
    return value


def settings() -> Settings:
    return Settings.from_env()


# Closed cases: ten years after closure; helpline contacts never linked to a case: two years.
RETENTION_DAYS = "closed_cases=3653,helpline_contacts=730"


def _retention(value: str) -> tuple[tuple[str, int], ...]:
    """"closed_cases=3653,helpline_contacts=730" -> (("closed_cases", 3653), ...)."""
    pairs = (item.partition("=") for item in value.split(",") if item.strip())
    return tuple((name.strip(), int(days)) for name, _, days in pairs)
