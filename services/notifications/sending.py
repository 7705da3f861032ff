"""Sending one delivery -- an e-mail or a webhook call -- and recording how it went.

The network call happens outside any transaction, then the outcome is recorded on the
delivery, which refuses an attempt already recorded: a second worker, or a claim that
outlived a crashed process, cannot count one attempt twice. E-mail is sent at least once:
a crash after the server's 250 and before the record sends it again, with the same
Message-ID (and a webhook with the same webhook-id), so the duplicate is recognisable.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.notifications.channels.email import compose
from services.notifications.domain import Alert, Delivery, WebhookTarget
from services.notifications.domain.deliveries import GONE, PENDING, Attempt
from services.notifications.domain.ids import target_id
from services.notifications.domain.messages import notice_of, webhook_payload
from services.notifications.store import NotificationsStore, system
from shared.metrics import NOTIFICATION_FAILURES, NOTIFICATIONS_SENT


class Sending(NotificationsStore):
    def deliver(self, delivery_id: UUID, attempt: int, now: datetime) -> None:
        """Attempt number `attempt` of a delivery, unless that attempt is already done."""
        delivery = self.find(Delivery, delivery_id)
        if delivery is None or delivery.status != PENDING or attempt != delivery.attempts + 1:
            return
        alert = self.load(Alert, delivery.alert_id)
        outcome = self._attempt(delivery, alert, now)
        if self.retrying(lambda: self._record_attempt(delivery_id, attempt, outcome)):
            kind = delivery.channel.partition(":")[0]
            if outcome.ok:
                NOTIFICATIONS_SENT.labels(kind, alert.category).inc()
            else:
                given_up = outcome.permanent or attempt > len(self.rules.pauses)
                NOTIFICATION_FAILURES.labels(kind, alert.category,
                                             "failed" if given_up else "retrying").inc()

    def _attempt(self, delivery: Delivery, alert: Alert, now: datetime) -> Attempt:
        notice = notice_of(alert, delivery.step, self.options.platform_url)
        if delivery.channel == "email":
            to = self.rules.email_address(delivery.address)
            if to is None or not self.email.enabled:
                return Attempt(ok=False, permanent=True, reason="no mailbox")
            return self.email.send(compose(notice, sender=self.rules.sender, to=to,
                                           message_id=str(delivery.id), sent_at=now))
        return self.webhooks.send(delivery.address, str(delivery.id),
                                  webhook_payload(alert, delivery.step, notice))

    def _record_attempt(self, delivery_id: UUID, attempt: int, outcome: Attempt) -> bool:
        delivery, at = self.load(Delivery, delivery_id), self.clock()
        if not delivery.record(attempt, outcome, at, self.rules.pauses):
            return False
        changed: list[object] = [delivery]
        if outcome.code == GONE and delivery.channel.startswith("webhook:"):
            # The Standard Webhooks signal that the endpoint is gone: call it no more.
            target = self.find(WebhookTarget, target_id(delivery.address)) \
                or WebhookTarget.start(delivery.address)
            if target.disable(at):
                changed.append(target)
        self.save(*changed, ctx=system("deliver"))
        return True
