"""Isolation for test runs: each run gets its own PostgreSQL schemas and RabbitMQ vhost.

The vhost is set up as production's broker is (shared.broker): a user per service of the
manifest, each allowed its own exchanges and queues only, so tests that connect a service
as its user exercise the real permissions. One more user, the run's own, may do anything
and publish as any service (RabbitMQ's `impersonator` tag): the harness's stand-in for
every relay and publisher a test starts under a made-up service name.

Used by the pytest plugin (shared/testing/plugin.py) and by the benchmark, never by a
running service. Nothing here connects on import, and psycopg is imported only when a
schema is dropped: the plugin imports this package before it prepares the process.
"""

from __future__ import annotations

import itertools
import json
import secrets
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlparse, urlunparse

import requests

from shared.config import Settings


def haven_script() -> str:
    """The `haven` console script beside this interpreter: what a test starts a process with."""
    return str(Path(sys.executable).with_name("haven"))


def delivered_ids() -> Iterator[int]:
    """Notification ids for messages a test hands to a consumer itself: far above any a
    real store numbers, so that the consumer, which remembers (source, id), never takes one
    for a message it already handled from a real relay -- nor skips a real one later."""
    return itertools.count(10**12 + secrets.randbelow(10**9) * 10**3)


def vhost_of(amqp_uri: str) -> str:
    """The vhost an AMQP URI points into (as rabbitmqctl's -p takes it)."""
    return unquote(urlparse(amqp_uri).path.lstrip("/")) or "/"


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


@dataclass(frozen=True)
class BrokerRun:
    """A test run's vhost and users: `<prefix><service>` for each service, `run_user` for
    the harness; one password (the run's, random) for all of them."""

    server_uri: str  # the broker's own administrator (guest), outside any run
    vhost: str
    prefix: str
    run_user: str
    password: str

    @classmethod
    def named(cls, server_uri: str, name: str) -> BrokerRun:
        """Vhost `name`, users `<name>-<service>` and `name`, a fresh random password."""
        return cls(server_uri, name, prefix=f"{name}-", run_user=name,
                   password=secrets.token_hex(16))

    def uri(self, user: str) -> str:
        url = urlparse(vhost_uri(self.server_uri, self.vhost))
        netloc = f"{quote(user, safe='')}:{self.password}@{url.hostname}:{url.port or 5672}"
        return urlunparse(url._replace(netloc=netloc))

    def service_uri(self, service: str) -> str:
        """The URI `service`'s processes connect with, as in production."""
        return self.uri(self.prefix + service)

    def users(self) -> dict[str, str]:
        from shared.manifest import manifest

        return {name: self.prefix + name for name in manifest().names}

    def definitions(self) -> dict[str, Any]:
        from shared.broker import definitions
        from shared.manifest import manifest

        users = self.users()
        defined = definitions(self.vhost, users, dict.fromkeys(users, self.password),
                              manifest().stores)
        admin = urlparse(self.server_uri).username or "guest"
        defined["users"].append({"name": self.run_user, "password": self.password,
                                 "tags": ["impersonator"]})
        defined["permissions"] += [{"user": user, "vhost": self.vhost, "configure": ".*",
                                    "write": ".*", "read": ".*"}
                                   for user in (self.run_user, admin)]
        return defined


def create_broker_run(run: BrokerRun) -> None:
    """The run's vhost, its users and their permissions, and the services' exchanges."""
    body = json.dumps(run.definitions())
    if shutil.which("rabbitmqctl"):
        subprocess.run(["rabbitmqctl", "-q", "import_definitions", "--format", "json"],
                       input=body.encode(),
                       check=True, capture_output=True)
    else:
        api, auth = _management(run.server_uri)
        requests.post(f"{api}/definitions", auth=auth, data=body, timeout=30,
                      headers={"content-type": "application/json"}).raise_for_status()


def delete_broker_run(run: BrokerRun) -> None:
    delete_vhost(run.server_uri, run.vhost)
    for user in (*run.users().values(), run.run_user):
        if shutil.which("rabbitmqctl"):
            subprocess.run(["rabbitmqctl", "-q", "delete_user", user], check=False,
                           capture_output=True)
        else:
            api, auth = _management(run.server_uri)
            requests.delete(f"{api}/users/{quote(user, safe='')}", auth=auth, timeout=10)


def create_vhost(amqp_uri: str, vhost: str) -> str:
    """Create `vhost`, open to the user of `amqp_uri`, and return the AMQP URI into it (for
    the raw broker baselines, which have no services)."""
    user = urlparse(amqp_uri).username or "guest"
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
