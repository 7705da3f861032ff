"""A delivery: one message of an alert on one channel (e-mail, a webhook) to one recipient,
tried until delivered or given up -- every attempt recorded, so ops can see what failed.

A transient failure (SMTP 4yz, a connection refused, HTTP 5xx or 429) is tried again after
the next pause of the back-off; a permanent one (SMTP 5yz, HTTP 4xx, a webhook gone with
410) is not (RFC 5321 4.2.5, the Standard Webhooks specification). A delivery given up is
the notifications' dead letter: recorded, counted, shown to ops. Pure: times come in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.notifications.domain.ids import delivery_id
from shared.checks import moment

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
GONE = 410  # the Standard Webhooks signal that an endpoint is gone for good


@dataclass(frozen=True)
class Attempt:
    """How one try went: `code` is the SMTP reply or HTTP status, when there was one;
    `reason` a short label (never the server's text: it may quote an address)."""

    ok: bool
    permanent: bool = False
    code: int | None = None
    reason: str = ""


def smtp_attempt(code: int | None, reason: str) -> Attempt:
    """2yz delivered, 4yz try again later, 5yz never (RFC 5321); no reply: try again."""
    if code is not None and 200 <= code < 300:
        return Attempt(ok=True, code=code, reason="accepted")
    return Attempt(ok=False, permanent=code is not None and code >= 500, code=code, reason=reason)


def http_attempt(status: int) -> Attempt:
    """2xx delivered; 408, 425, 429 and 5xx try again; any other answer (a redirect, which is
    never followed, a 4xx, 410 gone) never."""
    if 200 <= status < 300:
        return Attempt(ok=True, code=status, reason="accepted")
    transient = status in (408, 425, 429) or status >= 500
    return Attempt(ok=False, permanent=not transient, code=status,
                   reason="gone" if status == GONE else f"http {status}")


class Delivery(Aggregate):
    @classmethod
    def queue(cls, *, alert_id: UUID, token: int, step: int, channel: str, address: str,
              queued_at: datetime) -> Delivery:
        return cls(id=delivery_id(alert_id, token, step, channel, address),
                   alert_id=str(alert_id),
                   step=step, channel=channel, address=address,
                   queued_at=moment(queued_at, "queued_at"))

    @event("DeliveryQueued")
    def __init__(self, id: UUID, alert_id: str, step: int, channel: str,  # noqa: A002
                 address: str, queued_at: datetime):
        self.alert_id, self.step, self.channel, self.address = alert_id, step, channel, address
        self.status, self.attempts = PENDING, 0
        self.last: Attempt | None = None

    def record(self, number: int, attempt: Attempt, at: datetime,
               pauses: Sequence[timedelta]) -> bool:
        """Attempt `number` went as `attempt`; the next one waits `pauses[number - 1]`. False
        when this attempt was already recorded (a second worker, a crash before the claim
        was released): its outcome is not counted twice."""
        if self.status != PENDING or number != self.attempts + 1:
            return False
        at = moment(at, "at")
        if attempt.ok:
            self._delivered(attempt=number, code=attempt.code, at=at)
        elif attempt.permanent or number > len(pauses):
            self._give_up(attempt=number, code=attempt.code, reason=attempt.reason, at=at)
        else:
            self._retry(attempt=number, code=attempt.code, reason=attempt.reason, at=at,
                        retry_at=at + pauses[number - 1])
        return True

    @event("Delivered")
    def _delivered(self, attempt: int, code: int | None, at: datetime) -> None:
        self.attempts, self.status = attempt, DELIVERED

    @event("DeliveryRetryScheduled")
    def _retry(self, attempt: int, code: int | None, reason: str, at: datetime,
               retry_at: datetime) -> None:
        self.attempts, self.last = attempt, Attempt(False, False, code, reason)

    @event("DeliveryFailed")
    def _give_up(self, attempt: int, code: int | None, reason: str, at: datetime) -> None:
        self.attempts, self.status = attempt, FAILED
        self.last = Attempt(False, True, code, reason)
