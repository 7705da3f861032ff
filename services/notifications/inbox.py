"""What staff do with notifications: read their inbox, acknowledge an alert (who, when),
keep the on-call roster; and what supervisors and ops look at: alerts still waiting for
someone, deliveries that failed, a webhook target to enable again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from services.notifications.domain import Alert, OnCallShift, WebhookTarget
from services.notifications.domain.alerts import NOT_YOURS, SUPERVISOR
from services.notifications.domain.errors import AccessDenied, InvalidValue
from services.notifications.domain.ids import target_id
from services.notifications.store import NotificationsStore
from shared.audit import CommandContext
from shared.commands import changing
from shared.errors import NotFound, domain_refusals

Fields = dict[str, Any]


def _state(alert: Alert) -> Fields:
    ack = alert.acknowledged or {}
    return {"alert_id": str(alert.id), "status": alert.status, "category": alert.category,
            "case_reference": alert.case_reference, "step": alert.step,
            "acknowledged_by": ack.get("by"), "acknowledged_at": ack.get("at")}


class Inbox(NotificationsStore):
    # -- the inbox ---------------------------------------------------------------------
    def inbox(self, ctx: CommandContext, unread_only: bool = True, category: str | None = None,
              page: int = 1, page_size: int = 50) -> Fields:
        """What was sent to the caller, by name or to the role they act in."""
        return self.views.inbox([f"user:{ctx.actor_id}", f"role:{ctx.actor_role}"],
                                unread_only, category, page, page_size)

    def acknowledge(self, ctx: CommandContext, alert_id: UUID) -> Fields:
        """"I have it": escalation stops, and everyone it went to sees who and when. A
        supervisor, the caseworker a supervisor confirmed on the case it is about, or
        someone else it was sent to may say so -- not the case's caseworker while no
        supervisor has confirmed them (domain/alerts.py).
        Alert ids are derived from what they are about, so anyone but a supervisor gets
        the same refusal for an alert that does not exist as for one not theirs."""

        def attempt() -> Alert:
            alert = self.find(Alert, alert_id)
            if alert is None:
                if ctx.actor_role != SUPERVISOR:
                    raise AccessDenied(NOT_YOURS)
                raise NotFound(f"no alert {alert_id}")
            case = self.case_file(alert.case_id)
            confirmed = case.confirmed_caseworker_id if case else None
            pending = case.caseworker_id if case and case.caseworker_id != confirmed else None
            if alert.acknowledge(by=ctx.actor_id, role=ctx.actor_role, at=self.clock(),
                                 caseworker_id=confirmed, unconfirmed=pending):
                self.save(alert, ctx=ctx)
            return alert

        with domain_refusals():
            return _state(self.retrying(attempt))

    def open_alerts(self, ctx: CommandContext, severity: str | None = None, page: int = 1,
                    page_size: int = 50) -> Fields:
        """Sent and nobody has acknowledged them yet, oldest first."""
        return self.views.open_alerts(severity, page, page_size)

    # -- the on-call roster ----------------------------------------------------------------
    def put_on_call(self, ctx: CommandContext, user_id: str, starts_at: datetime,
                    ends_at: datetime) -> Fields:
        with domain_refusals():
            shift = OnCallShift.put(user_id=user_id, starts_at=starts_at, ends_at=ends_at)
            self.save(shift, ctx=ctx)
        return {"shift_id": str(shift.id)}

    def end_on_call(self, ctx: CommandContext, shift_id: UUID,
                    at: datetime | None = None) -> Fields:
        with changing(self, OnCallShift, shift_id, ctx) as shift:
            shift.end(at or self.clock())
        return {"shift_id": str(shift.id)}

    def on_call(self, ctx: CommandContext, at: datetime | None = None) -> Fields:
        """Who is on call at `at` (now): emergencies go to them first."""
        when = at or self.clock()
        shifts = self.views.on_call(when)
        return {"at": when, "on_call": shifts, "covered": bool(shifts)}

    # -- for ops ---------------------------------------------------------------------------------
    def deliveries(self, ctx: CommandContext, status: str | None = None,
                   channel: str | None = None, page: int = 1, page_size: int = 50) -> Fields:
        """E-mails and webhook calls, newest first: what failed, and why (a reply code)."""
        return self.views.deliveries(status, channel, page, page_size)

    def enable_webhook_target(self, ctx: CommandContext, target: str) -> Fields:
        """Call a target again that had answered 410 Gone (ops fixed it)."""
        if target not in self.rules.webhooks:
            raise InvalidValue("target", "not a webhook target of the rules") from None
        found = self.find(WebhookTarget, target_id(target))
        if found is not None and found.enable(self.clock()):
            self.save(found, ctx=ctx)
        return {"target": target, "enabled": True}
