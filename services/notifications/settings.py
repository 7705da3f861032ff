"""Notifications' own settings, from the environment: where the rules are, how often due
work is polled, the SMTP server, which webhook targets may be called, the platform's URL.

Beside shared/config.py (the platform's settings) because only this service reads them.
Secrets (the SMTP password, webhook secrets) come from the environment only, never from
the rule file, which ships in the image.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class NotificationSettings:
    rules_file: Path | None  # None: the shipped rules.toml
    poll_seconds: float  # how often each process looks for due reminders, escalations, sends
    platform_url: str  # links in messages point here
    smtp_host: str | None  # None: e-mail is not sent (the inbox still is)
    smtp_port: int
    smtp_starttls: bool  # upgrade with STARTTLS, verifying the server's certificate
    smtp_ca_file: str | None  # a CA to trust besides the system's (a private relay)
    smtp_user: str | None
    smtp_password: str | None
    smtp_timeout: float
    webhook_allow: tuple[str, ...]  # origins (scheme://host[:port]) webhooks may be sent to
    watch_seconds: float  # how often every service's dead-letter queues are counted; 0: never
    environ: Mapping[str, str]  # where the webhook secrets are read, by the names the rules give

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> NotificationSettings:
        env = dict(os.environ if env is None else env)
        rules = env.get("HAVEN_NOTIFICATIONS_RULES")
        return cls(
            rules_file=Path(rules) if rules else None,
            poll_seconds=float(env.get("HAVEN_NOTIFICATIONS_POLL_SECONDS", "2")),
            platform_url=env.get("HAVEN_PLATFORM_URL", "http://127.0.0.1:8080").rstrip("/"),
            smtp_host=env.get("HAVEN_SMTP_HOST") or None,
            smtp_port=int(env.get("HAVEN_SMTP_PORT", "25")),
            smtp_starttls=_flag(env.get("HAVEN_SMTP_STARTTLS")),
            smtp_ca_file=env.get("HAVEN_SMTP_CA_FILE") or None,
            smtp_user=env.get("HAVEN_SMTP_USER") or None,
            smtp_password=env.get("HAVEN_SMTP_PASSWORD") or None,
            smtp_timeout=float(env.get("HAVEN_SMTP_TIMEOUT", "20")),
            webhook_allow=tuple(o.strip().rstrip("/") for o in
                                env.get("HAVEN_WEBHOOK_ALLOW", "").split(",") if o.strip()),
            watch_seconds=float(env.get("HAVEN_NOTIFICATIONS_WATCH_SECONDS", "30")),
            environ=env,
        )
