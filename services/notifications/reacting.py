"""Reacting to the other services' events: note what they say about cases and the desk,
then apply the rules -- schedule alerts, send those due now, resolve those whose condition
is gone -- all saved with the message's tracking row, in one transaction.

So a message delivered twice has one effect (the tracking row, and alert ids derived from
rule and thing); and since every event type has a queue of its own, facts may arrive out
of order: a resolution that comes before what it resolves is kept, and the late schedule
finds the alert resolved.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from services.casework.contracts import (
    ASSIGNMENT_CONFIRMED,
    CASE_CLOSED,
    CASE_OPENED,
    CASEWORKER_ASSIGNED,
    SUBJECT_ERASED,
)
from services.intake.contracts import SHIFT_ENDED, SHIFT_STARTED
from services.notifications.rulecheck import named
from services.notifications.store import Batch, NotificationsStore
from shared.audit import CommandContext
from shared.consumers import policy_context
from shared.messaging import Envelope

Fields = dict[str, Any]


class Reacting(NotificationsStore):
    def react(self, data: Fields, envelope: Envelope, tracking: Tracking) -> None:
        """Policy for every event notifications consumes (service.py)."""
        event = f"{envelope.source}.{envelope.type}"
        identity = f"{envelope.source}:{envelope.notification_id}"
        ctx = policy_context(envelope, self.name, "react")
        self.retrying(lambda: self._react(event, data, identity, ctx, tracking), tracking)

    def _react(self, event: str, data: Fields, identity: str, ctx: CommandContext,
               tracking: Tracking) -> None:
        now, batch = self.clock(), Batch(self)
        self.note(event, data, now, batch)
        self.apply_rules(event, data, identity, now, batch)
        self.commit(batch, ctx, tracking)

    # -- what the events say about cases and the desk -------------------------------------
    def note(self, event: str, data: Fields, now: datetime, batch: Batch) -> None:
        if event == named(CASE_OPENED):
            batch.case(str(data["case_id"])).note_opened(
                data["reference"], data["caseworker_id"], data["opened_at"], data["version"])
        elif event == named(CASEWORKER_ASSIGNED):
            batch.case(str(data["case_id"])).note_assigned(
                data["caseworker_id"], data["assigned_at"], data["version"])
        elif event == named(ASSIGNMENT_CONFIRMED):
            batch.case(str(data["case_id"])).note_confirmed(
                data["caseworker_id"], data["confirmed_at"], data["version"])
        elif event in (named(SHIFT_STARTED), named(SHIFT_ENDED)):
            batch.desk_shift(str(data["shift_id"]), data["operator_id"]).note(
                started_at=data.get("started_at"), ended_at=data.get("ended_at"))
        elif event == named(CASE_CLOSED):
            self._resolve_case_alerts([data["case_id"]], "case closed", now, batch)
        elif event == named(SUBJECT_ERASED):
            self._resolve_case_alerts(data["case_ids"], "client erased", now, batch)

    def _resolve_case_alerts(self, case_ids: list[Any], reason: str, now: datetime,
                             batch: Batch) -> None:
        """Nothing more to remind anyone of: the case is closed, or its client erased."""
        for alert_id in self.views.open_alerts_of_cases([str(c) for c in case_ids]):
            batch.alert(UUID(alert_id), "").resolve(reason, now)

    # -- the rules ------------------------------------------------------------------------------
    def apply_rules(self, event: str, data: Fields, identity: str, now: datetime,
                    batch: Batch) -> None:
        for rule in self.rules.rules:
            resolution = rule.resolved_by(event, data, now)
            about = [] if resolution.about is None else [
                UUID(a) for a in self.views.open_alerts_about(rule.name, resolution.about)]
            for alert_id in (*resolution.alert_ids, *about):
                batch.alert(alert_id, rule.name).resolve(event.partition(".")[2], now)
            for planned in rule.plan(event, data, identity, now):
                alert = batch.alert(planned.alert_id, rule.name)
                case_id = str(data["case_id"]) if data.get("case_id") else None
                scheduled = alert.schedule(
                    thing=planned.thing, category=rule.category, severity=rule.severity,
                    channels=list(rule.channels), to=list(rule.to),
                    templates={"text": rule.text, "link": rule.link},
                    case_id=case_id, facts=planned.facts, due_at=planned.due_at,
                    escalation=rule.escalate.as_state() if rule.escalate else None,
                    ongoing=rule.ongoing)
                if scheduled and planned.due_at <= now:
                    batch.add(*self.fire_alert(alert, alert.due_token, now,
                                               batch.known_case(case_id)))
                    batch.fired.append(alert)
