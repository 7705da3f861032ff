"""`haven broker definitions`: the broker's users, permissions and exchanges as a RabbitMQ
definitions file, for docker-compose (rabbitmq.conf `load_definitions`) and Kubernetes (a
Secret mounted the same way, or `rabbitmqctl import_definitions`).

Each service's password comes from HAVEN_BROKER_PASSWORD_<SERVICE> (the same secret its
processes put in their HAVEN_AMQP_URI); the file holds only salted hashes, as RabbitMQ
stores them, never a password.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from collections.abc import Mapping
from typing import Any

import click

HASHING = "rabbit_password_hashing_sha256"
MIN_PASSWORD_LENGTH = 32


def password_variable(service: str) -> str:
    return f"HAVEN_BROKER_PASSWORD_{service.upper()}"


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's stored form: base64(salt || SHA-256(salt || password)), 4-byte salt."""
    salt = secrets.token_bytes(4) if salt is None else salt
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def passwords_from(env: Mapping[str, str], services: tuple[str, ...]) -> dict[str, str]:
    """Every service's broker password; refused (naming the variable) if one is missing or
    shorter than MIN_PASSWORD_LENGTH characters."""
    found = {}
    for service in services:
        variable = password_variable(service)
        value = env.get(variable, "")
        if len(value) < MIN_PASSWORD_LENGTH:
            raise click.ClickException(
                f"{variable} is {'not set' if not value else 'too short'}: each service's"
                f" broker password must be at least {MIN_PASSWORD_LENGTH} random characters")
        found[service] = value
    return found


def hashed_definitions(vhost: str, env: Mapping[str, str]) -> dict[str, Any]:
    """shared.broker's definitions for every service of the manifest, passwords hashed."""
    from shared.broker import definitions
    from shared.manifest import manifest

    # Settings.broker_user's rule, without the rest of the settings (the keys): whoever
    # writes the broker's definitions holds no key of the services.
    prefix = env.get("HAVEN_BROKER_USER_PREFIX", "haven-")
    names = manifest().names
    users = {s: f"{prefix}{s}" for s in names}
    passwords = passwords_from(env, names)
    defined = definitions(vhost, users, passwords, manifest().stores)
    for user in defined["users"]:
        service = next(s for s, name in users.items() if name == user["name"])
        del user["password"]
        user.update(password_hash=password_hash(passwords[service]), hashing_algorithm=HASHING)
    return defined


@click.group(help="RabbitMQ: one user per service, limited to its own exchanges and queues.")
def broker_cli() -> None:
    pass


@broker_cli.command("definitions")
@click.option("--vhost", default="/", show_default=True, help="The vhost Haven runs in.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write here (mode 0600) instead of standard output.")
def definitions_command(vhost: str, output: str | None) -> None:
    """Users (HAVEN_BROKER_PASSWORD_<SERVICE>, hashed), permissions and exchanges."""
    text = json.dumps(hashed_definitions(vhost, os.environ), indent=2, sort_keys=True) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(text)
