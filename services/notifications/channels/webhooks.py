"""Signed webhooks, as the Standard Webhooks specification says: the headers webhook-id,
webhook-timestamp and webhook-signature (v1, HMAC-SHA256 over "id.timestamp.payload"),
made by the specification's own library (standardwebhooks), so any receiver can verify
them with its reference verifier. The id is the delivery's: a retry is recognisably the
same message; the timestamp is the real time of the attempt, which receivers check
against their clocks.

Only targets on the allow-list (HAVEN_WEBHOOK_ALLOW: origins, scheme://host[:port]) are
called, and a target named by a host name must resolve to public addresses only: a name
pointed at the cluster's own network (the metadata service, the database) is refused
(SSRF), and the call goes to an address checked, never to the name looked up again
(DNS rebinding). An address written as an IP literal on the allow-list is taken as meant.
Redirects are never followed. A 410 Gone disables the target until ops enable it again.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import certifi
import urllib3
from standardwebhooks import Webhook

from services.notifications.domain.deliveries import Attempt, http_attempt
from services.notifications.ruleset import WebhookConfig
from services.notifications.settings import NotificationSettings

TIMEOUT_SECONDS = 10


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{(parts.hostname or '').lower()}{port}"


def refusal(url: str, allowed: tuple[str, ...]) -> str | None:
    """Why `url` may not be called, or None."""
    return checked(url, allowed)[0]


def checked(url: str, allowed: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """Why `url` may not be called, or None and the addresses it may be called at: those
    the name resolved to when it was checked, and only those (a name resolved again when
    connecting could answer with an inside address the second time: DNS rebinding)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL", ()
    if parts.username or parts.password:
        return "credentials in the URL", ()
    if origin_of(url) not in {origin_of(a) for a in allowed}:
        return "not on the allow-list", ()
    try:
        ipaddress.ip_address(parts.hostname)
        return None, (parts.hostname,)  # an IP literal on the allow-list: meant as written
    except ValueError:
        pass
    try:
        found = {str(info[4][0]).split("%")[0]
                 for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError:
        return "does not resolve", ()
    if not found or not all(ipaddress.ip_address(a).is_global for a in found):
        return "resolves to a private address", ()
    return None, tuple(sorted(found))


def post_pinned(url: str, address: str, body: bytes, headers: dict[str, str]) -> int:
    """POST `body` to `url` connecting to `address` (a checked one), never following a
    redirect; TLS is still verified against the URL's host name. Its status code."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    options: dict[str, Any] = {"timeout": urllib3.Timeout(TIMEOUT_SECONDS), "retries": False,
                               "maxsize": 1}
    pool: urllib3.HTTPConnectionPool
    if parts.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            address, port, server_hostname=parts.hostname, assert_hostname=parts.hostname,
            cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(), **options)
    else:
        pool = urllib3.HTTPConnectionPool(address, port, **options)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    with pool:
        response = pool.urlopen("POST", path, body=body, headers={**headers, "host": parts.netloc},
                                redirect=False, retries=False)
        return int(response.status)


class WebhookSender:
    def __init__(self, options: NotificationSettings, targets: dict[str, WebhookConfig]):
        self.options, self.targets = options, targets

    def secret(self, name: str) -> str | None:
        target = self.targets.get(name)
        return self.options.environ.get(target.secret_env) if target else None

    def usable(self, name: str) -> bool:
        """Configured here: on the allow-list, with its secret set."""
        target = self.targets.get(name)
        return target is not None and bool(self.secret(name)) \
            and origin_of(target.url) in {origin_of(a) for a in self.options.webhook_allow}

    def send(self, name: str, message_id: str, payload: dict[str, Any]) -> Attempt:
        target, secret = self.targets[name], self.secret(name)
        refused, addresses = checked(target.url, self.options.webhook_allow)
        if refused is not None or not secret:
            return Attempt(ok=False, permanent=True, reason=refused or "no secret")
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True)
        now = datetime.fromtimestamp(int(time.time()), UTC)
        headers = {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": Webhook(secret).sign(message_id, now, body),
                   "content-type": "application/json", "user-agent": "haven-notifications"}
        try:
            status = post_pinned(target.url, addresses[0], body.encode(), headers)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            return Attempt(ok=False, reason=type(exc).__name__)
        return http_attempt(status)
