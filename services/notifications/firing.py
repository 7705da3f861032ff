"""The poll: every notifications process, every few seconds (service.py), claims the due
work -- reminders that fall due, escalation steps, sends and their retries -- and does it.

Nothing waits in memory for a moment to come (Finding A Bed Tonight's expiry, done right):
each piece of work is a row of `due_work` with its due time, kept from the log
(projections.py). A row is claimed for a lease with FOR UPDATE SKIP LOCKED, so two
processes take different rows, and a process that dies leaves its rows to be claimed again
when the lease runs out. Whether the work is still current is the aggregate's decision,
by the token the row carries (Grafana OnCall's active-escalation id): a timer left over
from before an acknowledgement, or done already by another process, changes nothing. The
next step of an escalation is set by the event that records this one: only after commit.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from uuid import UUID

from services.notifications.domain import Alert
from services.notifications.projections import ESCALATE, FIRE
from services.notifications.sending import Sending
from services.notifications.store import Batch, system
from shared.metrics import (
    NOTIFICATION_ESCALATIONS,
    NOTIFICATION_OLDEST_UNACKNOWLEDGED,
    NOTIFICATION_TIMER_LAG,
)

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # longer than any one piece of work may take (an SMTP timeout)
BATCH = 50


class Firing(Sending):
    @cached_property
    def worker_id(self) -> str:
        """This process's name on the rows it claims."""
        return f"notifications-{uuid.uuid4().hex[:12]}"

    def do_due_work(self, limit: int = BATCH) -> int:
        """One round of the poll; returns how many rows it claimed."""
        claimed = self.views.claim_due(self.clock(), self.worker_id, LEASE, limit)
        if claimed:
            log.info("%s claimed %d piece(s) of due work", self.worker_id, len(claimed))
        for work in claimed:
            try:
                self._do(work, self.clock())
            except Exception as exc:  # noqa: BLE001 - one failing row must not stop the rest
                # Its lease runs out and it is tried again; the type only, never a message.
                log.error("due %s %s failed: %s", work["kind"], work["target_id"],
                          type(exc).__name__)
                continue
            self.views.done(work["work_id"], self.worker_id)
        now = self.clock()
        NOTIFICATION_TIMER_LAG.set(self.views.timer_lag(now))
        NOTIFICATION_OLDEST_UNACKNOWLEDGED.set(self.views.oldest_unacknowledged(now))
        return len(claimed)

    def _do(self, work: dict[str, Any], now: datetime) -> None:
        kind, target, token = work["kind"], UUID(work["target_id"]), work["token"]
        if kind == FIRE:
            self.retrying(lambda: self._fire(target, int(token), now))
        elif kind == ESCALATE:
            sent, _, step = token.partition("/")
            self.retrying(lambda: self._escalate(target, int(sent), int(step), now))
        else:
            self.deliver(target, int(token), now)

    def _fire(self, alert_id: UUID, token: int, now: datetime) -> None:
        alert = self.find(Alert, alert_id)
        if alert is None:
            return
        batch = Batch(self)
        batch.add(alert, *self.fire_alert(alert, token, now, self.case_file(alert.case_id)))
        if alert.pending_events:
            batch.fired.append(alert)
        self.commit(batch, system("fire_alert"))

    def _escalate(self, alert_id: UUID, token: int, step: int, now: datetime) -> None:
        alert = self.find(Alert, alert_id)
        if alert is None or alert.escalation is None:
            return
        # Whom the rule names now -- the case's caseworker after a reassignment, whoever
        # is on call by then -- and whom it escalates to; not who was told at first.
        addresses, _ = self.addresses_for([*alert.to, *alert.escalation["to"]], alert, now,
                                          self.case_file(alert.case_id))
        told = alert.escalate(token, step, addresses=addresses, at=now)
        if told is None:
            return
        self.save(alert, *self.deliveries_for(alert, step, told, now),
                  ctx=system("escalate_alert"))
        NOTIFICATION_ESCALATIONS.labels(alert.category).inc()
