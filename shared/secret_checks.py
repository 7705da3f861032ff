"""What a process refuses to start with: settings fail closed, each refusal naming its variable.

HAVEN_ENV must say `production` or `development`: a typo ("prod") or nothing at all must
not quietly mean "development" on a server holding victims' data. In production every
secret that is set is checked: no template placeholder, not the development key of this
repository (public, so anyone could use it), 32 random bytes at least, and no key equal
to another (the master key least of all). Which secrets a process must have is
`Settings.require_production_secrets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlparse

from shared.signing import decode_base64, private_seed, public_raw

ENVIRONMENTS = ("production", "development")
PLACEHOLDER = "REPLACE-ME"  # what deploy/compose.env.example and the k8s template hold
RANDOM_BYTES = 32
# 32 random bytes hold ~30 distinct values; fewer than 16 by chance is less likely than
# guessing the key. "AAAA...", a repeated word or a counter shows up here.
MIN_DISTINCT_BYTES = 16

SYMMETRIC = ("HAVEN_MASTER_KEY", "HAVEN_BLIND_INDEX_KEY")
SIGNING = ("HAVEN_TOKEN_SIGNING_KEY", "HAVEN_CHECKPOINT_SIGNING_KEY")
PUBLIC = ("HAVEN_TOKEN_PUBLIC_KEY", "HAVEN_CHECKPOINT_PUBLIC_KEY")
PREVIOUS = "HAVEN_PREVIOUS_MASTER_KEYS"
URLS = ("HAVEN_POSTGRES_URL", "HAVEN_AUDIT_POSTGRES_URL", "HAVEN_KEYS_POSTGRES_URL",
        "HAVEN_AMQP_URI")
RETIRED = {"HAVEN_TOKEN_SECRET": "tokens are no longer signed with a shared secret: remove"
                                 " it, and give the issuer HAVEN_TOKEN_SIGNING_KEY and every"
                                 " process HAVEN_TOKEN_PUBLIC_KEY"}


class SettingsRefused(SystemExit):
    """Unsafe settings. Uncaught, the process exits with status 1 and this message."""


def environment_of(value: str | None) -> str:
    """HAVEN_ENV's value, if it is one of ENVIRONMENTS."""
    if value is None or value not in ENVIRONMENTS:
        raise SettingsRefused(f"HAVEN_ENV must be set to production or development (it is"
                              f" {'unset' if value is None else repr(value)}): refusing to"
                              " start")
    return value


def refuse_unsafe(env: Mapping[str, str], development: Mapping[str, bytes]) -> None:
    """Production: raise SettingsRefused naming the first unsafe secret.

    `development`: the repository's development value of each key variable (raw bytes;
    for a public key, the development public key)."""
    for name, why in RETIRED.items():
        if name in env:
            raise SettingsRefused(f"{name} is set: {why}")
    for name, value in sorted(env.items()):
        if name.startswith("HAVEN_") and PLACEHOLDER.lower() in value.lower():
            raise SettingsRefused(f"{name} still holds the placeholder {PLACEHOLDER}: generate"
                                  " a value (deploy/README.md, Secrets)")
    keys = {name: _secret(name, env[name], development.get(name))
            for name in (*SYMMETRIC, *SIGNING, *PUBLIC) if env.get(name)}
    for n, value in enumerate(v for v in env.get(PREVIOUS, "").split(",") if v.strip()):
        keys[f"{PREVIOUS} (key {n + 1})"] = _secret(PREVIOUS, value,
                                                   development.get("HAVEN_MASTER_KEY"))
    _refuse_shared(keys)
    for name in URLS:
        url = urlparse(env.get(name, ""))
        if url.scheme.startswith("amqp") and url.username in ("guest", None):
            raise SettingsRefused(f"{name} logs in as RabbitMQ's default user: give each"
                                  " service its own broker user (deploy/README.md, Broker)")


def _refuse_shared(keys: Mapping[str, bytes]) -> None:
    """One key doing two jobs: whoever holds it for one (the blind index in a service, a
    retired master key) holds the other. The master key is named first when it is one."""
    names = sorted(keys, key=lambda name: name != "HAVEN_MASTER_KEY")
    for i, name in enumerate(names):
        for other in names[i + 1:]:
            if keys[name] == keys[other]:
                raise SettingsRefused(f"{name} equals {other}: every key must be a key of"
                                      " its own (deploy/README.md, Secrets)")


def _secret(name: str, value: str, development: bytes | None) -> bytes:
    try:
        raw = public_raw(value) if name in PUBLIC else (
            private_seed(value) if name in SIGNING else decode_base64(value))
    except ValueError as exc:
        if name in PUBLIC or name in SIGNING:
            raise SettingsRefused(f"{name} cannot be read ({exc})") from None
        raw = b""  # not even base64: no better than a short key
    if development is not None and raw == development:
        raise SettingsRefused(f"{name} is the development key of this repository, which is"
                              " public: generate one (deploy/README.md, Secrets)")
    if name in PUBLIC:
        return raw
    if len(raw) < RANDOM_BYTES or len(set(raw)) < MIN_DISTINCT_BYTES:
        raise SettingsRefused(f"{name} is not {RANDOM_BYTES} random bytes, url-safe base64"
                              " encoded: generate one (deploy/README.md, Secrets)")
    return raw
