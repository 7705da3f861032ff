"""Settings, read from the environment in one place.

Every HAVEN_* variable the platform understands is named here, so an operator
can find them all by reading one file.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP_URI = "amqp://guest:guest@127.0.0.1:5672/"

# Development-only secrets. `Settings.require_production_secrets` refuses to run
# a production store with them, so they can never protect real victims' data.
_DEV_MASTER_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"haven-dev-master").digest()).decode()
_DEV_INDEX_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"haven-dev-index").digest()).decode()
_DEV_TOKEN_SECRET = "haven-dev-token-secret-change-me-0123456789"  # noqa: S105 - refused in production


def _key(value: str) -> bytes:
    raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    if len(raw) != 32:
        raise ValueError("keys must be 32 bytes, url-safe base64 encoded")
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
    token_secret: str
    http_port: int
    dev_secrets: bool
    environment: str  # "production" refuses the development secrets
    # How often an idle relay looks for new notifications: the floor of propagation latency.
    # Measured (make bench): 0.5 s -> p99 550 ms to a consumer; 0.05 s -> p99 61 ms at 2.5%
    # of a core while idle.
    relay_poll_interval: float
    metrics_port: int  # /metrics, /health, /ready of a process; 0 = not served
    # Read-only credentials for auditors' tools (shared/audit_trail); default: postgres_url.
    audit_postgres_url: str
    # How long emergency ("break-the-glass") access to a person's data lasts.
    emergency_access_minutes: int = 60
    # Connections each pool of a process may hold (event store: twice this, with overflow;
    # keys; read models). PostgreSQL's max_connections bounds the sum over all processes.
    postgres_pool_size: int = 4

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        master = env.get("HAVEN_MASTER_KEY")
        return cls(
            store=env.get("HAVEN_STORE", "postgres"),
            postgres_url=env.get("HAVEN_POSTGRES_URL", DEFAULT_POSTGRES_URL),
            amqp_uri=env.get("HAVEN_AMQP_URI", DEFAULT_AMQP_URI),
            data_dir=Path(env.get("HAVEN_DATA_DIR", "var")),
            schema_prefix=env.get("HAVEN_SCHEMA_PREFIX", ""),
            master_key=_key(master or _DEV_MASTER_KEY),
            blind_index_key=_key(env.get("HAVEN_BLIND_INDEX_KEY", _DEV_INDEX_KEY)),
            token_secret=env.get("HAVEN_TOKEN_SECRET", _DEV_TOKEN_SECRET),
            http_port=int(env.get("HAVEN_HTTP_PORT", "8080")),
            dev_secrets=master is None or "HAVEN_BLIND_INDEX_KEY" not in env,
            environment=env.get("HAVEN_ENV", "development"),
            relay_poll_interval=float(env.get("HAVEN_RELAY_POLL_INTERVAL", "0.05")),
            metrics_port=int(env.get("HAVEN_METRICS_PORT", "0")),
            audit_postgres_url=env.get("HAVEN_AUDIT_POSTGRES_URL")
            or env.get("HAVEN_POSTGRES_URL", DEFAULT_POSTGRES_URL),
            emergency_access_minutes=int(env.get("HAVEN_EMERGENCY_ACCESS_MINUTES", "60")),
            postgres_pool_size=int(env.get("HAVEN_POSTGRES_POOL_SIZE", "4")),
        )

    def require_production_secrets(self, keys: bool = True) -> None:
        """In production, refuse to start on the development secrets of this repository."""
        if self.environment != "production":
            return
        missing = []
        if self.token_secret == _DEV_TOKEN_SECRET:
            missing.append("HAVEN_TOKEN_SECRET")
        if keys and self.dev_secrets:
            missing.append("HAVEN_MASTER_KEY and HAVEN_BLIND_INDEX_KEY")
        if missing:
            raise SystemExit(f"HAVEN_ENV=production but {', '.join(missing)} not set: "
                             "refusing to run on the development secrets")

    def schema(self, service: str) -> str:
        """The PostgreSQL schema that belongs to one service and no other."""
        return f"{self.schema_prefix}{service}"

    def postgres_params(self) -> dict[str, str]:
        url = urlparse(self.postgres_url)
        return {
            "dbname": (url.path or "/postgres").lstrip("/") or "postgres",
            "host": url.hostname or "127.0.0.1",
            "port": str(url.port or 5432),
            "user": unquote(url.username or "postgres"),
            "password": unquote(url.password or ""),
        }

    def sqlite_path(self, name: str) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir / f"{name}.sqlite"


def settings() -> Settings:
    return Settings.from_env()
