"""Isolation for test runs: each run gets its own PostgreSQL schemas and RabbitMQ vhost.

Used by the pytest plugin (shared/testing/plugin.py) and by the benchmark, never by a
running service. Nothing here connects on import, and psycopg is imported only when a
schema is dropped: the plugin imports this package before it prepares the process.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from urllib.parse import quote, urlparse, urlunparse

import requests

from shared.config import Settings


def new_run_id() -> str:
    return "t" + uuid.uuid4().hex[:8]


def drop_schemas(cfg: Settings, prefix: str) -> None:
    import psycopg
    from psycopg import sql

    from shared.eventstore import _conninfo

    with psycopg.connect(_conninfo(cfg), autocommit=True) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)", (prefix,))]
        for name in names:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


def _management(uri: str) -> tuple[str, tuple[str, str]]:
    url = urlparse(uri)
    return (f"http://{url.hostname or '127.0.0.1'}:15672/api",
            (url.username or "guest", url.password or "guest"))


def create_vhost(amqp_uri: str, vhost: str) -> str:
    """Create `vhost` and return the AMQP URI that points into it."""
    url = urlparse(amqp_uri)
    user = url.username or "guest"
    if shutil.which("rabbitmqctl"):
        subprocess.run(["rabbitmqctl", "-q", "add_vhost", vhost], check=True,
                       capture_output=True)
        subprocess.run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user,
                        ".*", ".*", ".*"], check=True, capture_output=True)
    else:
        api, auth = _management(amqp_uri)
        requests.put(f"{api}/vhosts/{quote(vhost, safe='')}", auth=auth,
                     timeout=10).raise_for_status()
        requests.put(f"{api}/permissions/{quote(vhost, safe='')}/{user}", auth=auth,
                     json={"configure": ".*", "write": ".*", "read": ".*"},
                     timeout=10).raise_for_status()
    return vhost_uri(amqp_uri, vhost)


def vhost_uri(amqp_uri: str, vhost: str) -> str:
    """The AMQP URI that points into `vhost` (which need not exist yet)."""
    return urlunparse(urlparse(amqp_uri)._replace(path="/" + quote(vhost, safe="")))


def delete_vhost(amqp_uri: str, vhost: str) -> None:
    if shutil.which("rabbitmqctl"):
        subprocess.run(["rabbitmqctl", "-q", "delete_vhost", vhost], check=False,
                       capture_output=True)
    else:
        api, auth = _management(amqp_uri)
        requests.delete(f"{api}/vhosts/{quote(vhost, safe='')}", auth=auth, timeout=10)
