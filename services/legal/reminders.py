"""Reminders, computed from what is stored: the service's timer asks every few seconds
which are due (a table the read models keep from the hearings' and deadlines' events),
and records each as an event the notifications service reads.

Nothing waits in memory for a moment to come: a reminder that fell due while legal was
stopped is found by the first poll after it starts again. Every replica polls; a due row
is claimed for a short lease (FOR UPDATE SKIP LOCKED, so replicas take different rows),
and the aggregate itself refuses a reminder it has already recorded or whose hearing has
moved since -- so each is recorded exactly once, even if a claim outlives its process.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from services.legal.domain import Hearing, Matter
from services.legal.store import LegalStore
from shared.audit import CommandContext
from shared.metrics import LEGAL_REMINDERS

REMINDER_POLL_SECONDS = 2.0
BATCH = 50


class Reminders(LegalStore):
    def send_due_reminders(self, limit: int = BATCH) -> int:
        """Record the reminders due now; returns how many were recorded."""
        now = self.clock()
        sent = 0
        for due in self.views.claim_due_reminders(now, limit):
            if self.retrying(partial(self._remind, due, now)):
                LEGAL_REMINDERS.labels(due["reminder"]).inc()
                sent += 1
            self.views.reminder_done(due["reminder_id"], now)
        return sent

    def _remind(self, due: dict[str, Any], now: Any) -> bool:
        ctx = CommandContext(actor_id=f"service:{self.name}", actor_role="system",
                             command="send_due_reminders")
        if due["item_kind"] == "hearing":
            hearing = self.find(Hearing, due["aggregate_id"], sealed=True)
            if hearing is None or not hearing.remind(due["reminder"], due["token"], now):
                return False
            self.save(hearing, ctx=ctx)
            return True
        matter = self.find(Matter, due["aggregate_id"], sealed=True)
        if matter is None or not matter.remind_of_deadline(due["item_id"], due["reminder"],
                                                           due["token"], now):
            return False
        self.save(matter, ctx=ctx)
        return True
