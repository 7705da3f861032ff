"""Signed webhooks, as the Standard Webhooks specification says: the headers webhook-id,
webhook-timestamp and webhook-signature (v1, HMAC-SHA256 over "id.timestamp.payload"),
made by the specification's own library (standardwebhooks), so any receiver can verify
them with its reference verifier. The id is the delivery's: a retry is recognisably the
same message; the timestamp is the real time of the attempt, which receivers check
against their clocks.

Only targets on the allow-list (HAVEN_WEBHOOK_ALLOW: origins, scheme://host[:port]) are
called, and a target named by a host name must resolve to public addresses only: a name
pointed at the cluster's own network (the metadata service, the database) is refused
(SSRF). An address written as an IP literal on the allow-list is taken as meant. Redirects
are never followed. A 410 Gone disables the target until ops enable it again.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import requests
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
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http(s) URL"
    if parts.username or parts.password:
        return "credentials in the URL"
    if origin_of(url) not in {origin_of(a) for a in allowed}:
        return "not on the allow-list"
    try:
        ipaddress.ip_address(parts.hostname)
        return None  # an IP literal on the allow-list: meant as written
    except ValueError:
        pass
    try:
        found = {info[4][0] for info in socket.getaddrinfo(parts.hostname, parts.port or 443)}
    except OSError:
        return "does not resolve"
    if not found or not all(ipaddress.ip_address(str(a).split("%")[0]).is_global for a in found):
        return "resolves to a private address"
    return None


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
        refused = refusal(target.url, self.options.webhook_allow)
        if refused is not None or not secret:
            return Attempt(ok=False, permanent=True, reason=refused or "no secret")
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True)
        now = datetime.fromtimestamp(int(time.time()), UTC)
        headers = {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
                   "webhook-signature": Webhook(secret).sign(message_id, now, body),
                   "content-type": "application/json", "user-agent": "haven-notifications"}
        try:
            response = requests.post(target.url, data=body.encode(), headers=headers,
                                     timeout=TIMEOUT_SECONDS, allow_redirects=False)
        except requests.RequestException as exc:
            return Attempt(ok=False, reason=type(exc).__name__)
        return http_attempt(response.status_code)
