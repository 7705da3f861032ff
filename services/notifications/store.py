"""What every part of notifications' application stands on: its store, its rules and
channels, whom a rule's recipients name right now, and queuing an alert's messages.

The application (application.py) is this base plus one part per concern: reacting to
other services' events (reacting.py), doing due work -- reminders, escalations, sends
(firing.py, sending.py) --, the inbox and the rosters (inbox.py), the dead-letter watch
(watch.py). Each part is a class of methods: go-to-definition reaches the rule.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking

from services.notifications.channels.email import SmtpSender
from services.notifications.channels.webhooks import WebhookSender
from services.notifications.domain import Alert, CaseFile, Delivery, DeskShift, WebhookTarget
from services.notifications.domain.ids import case_file_id, desk_shift_id, target_id
from services.notifications.domain.rules import (
    CASEWORKER,
    DESK,
    ON_CALL,
    SUPERVISORS,
    display,
    render,
)
from services.notifications.ruleset import load_rules
from services.notifications.settings import NotificationSettings
from services.notifications.views import NotificationViews
from shared.audit import CommandContext
from shared.config import Settings
from shared.eventstore import HavenApplication
from shared.metrics import NOTIFICATIONS_SENT

SYSTEM = "service:notifications"
EVERY_SUPERVISOR = "role:supervisor"
FALLBACK = " Nobody it names could be found: sent to supervisors."
A = TypeVar("A", bound=Aggregate)


def system(command: str) -> CommandContext:
    """The service acting on its own authority (a timer, a watch)."""
    return CommandContext(actor_id=SYSTEM, actor_role="system", command=command)


class Batch:
    """The aggregates one reaction or one piece of due work reads and changes, saved
    together (`NotificationsStore.commit`); what it has changed is read from here."""

    def __init__(self, app: NotificationsStore):
        self.app = app
        self.held: dict[UUID, Aggregate] = {}
        self.fired: list[Alert] = []  # sent now: counted once saved

    def _get(self, kind: type[A], aggregate_id: UUID, make: Callable[[], A]) -> A:
        found = self.held.get(aggregate_id)
        if not isinstance(found, kind):
            found = self.app.find(kind, aggregate_id) or make()
            self.held[aggregate_id] = found
        return found

    def alert(self, alert_id: UUID, rule: str) -> Alert:
        return self._get(Alert, alert_id, lambda: Alert.open(alert_id, rule))

    def case(self, case_id: str) -> CaseFile:
        return self._get(CaseFile, case_file_id(case_id), lambda: CaseFile.start(case_id))

    def desk_shift(self, shift_id: str, operator_id: str) -> DeskShift:
        return self._get(DeskShift, desk_shift_id(shift_id),
                         lambda: DeskShift.start(shift_id, operator_id))

    def known_case(self, case_id: str | None) -> CaseFile | None:
        found = None if case_id is None else self.held.get(case_file_id(case_id))
        return found if isinstance(found, CaseFile) else self.app.case_file(case_id)

    def add(self, *aggregates: Aggregate) -> None:
        self.held.update({a.id: a for a in aggregates})

    def changed(self) -> list[Aggregate]:
        return [a for a in self.held.values() if a.pending_events]


class NotificationsStore(HavenApplication):
    views: NotificationViews

    def __init__(self, cfg: Settings | None = None, env: dict[str, str] | None = None):
        super().__init__(cfg, env)
        self.configure(NotificationSettings.from_env())

    def configure(self, options: NotificationSettings) -> None:
        """Rules and channels from `options`; refuses (RulesInvalid) a rule file that fails."""
        self.options = options
        self.rules = load_rules(options.rules_file)
        self.email = SmtpSender(options)
        self.webhooks = WebhookSender(options, self.rules.webhooks)

    def commit(self, batch: Batch, ctx: CommandContext, tracking: Tracking | None = None) -> None:
        changed = batch.changed()
        if changed:
            self.save(*changed, ctx=ctx, tracking=tracking)
        for alert in batch.fired:
            NOTIFICATIONS_SENT.labels("inbox", alert.category).inc(len(alert.addresses))

    # -- whom to tell ------------------------------------------------------------------------
    def case_file(self, case_id: str | None) -> CaseFile | None:
        return None if case_id is None else self.find(CaseFile, case_file_id(case_id))

    def addresses_for(self, specs: list[str], alert: Alert, at: datetime,
                      case: CaseFile | None) -> tuple[list[str], bool]:
        """The addresses `specs` name at `at`, and whether nobody was found, in which case
        it goes to supervisors: an emergency is never told to no one."""
        found = sorted({a for spec in specs for a in self._named(spec, alert, at, case)})
        return (found, False) if found else ([EVERY_SUPERVISOR], True)

    def _named(self, spec: str, alert: Alert, at: datetime,
               case: CaseFile | None) -> list[str]:
        if spec == ON_CALL:
            return [f"user:{shift['user_id']}" for shift in self.views.on_call(at)]
        if spec == CASEWORKER:
            return [f"user:{case.caseworker_id}"] if case and case.caseworker_id else []
        if spec == DESK:  # the operators on duty, else whoever of the desk reads the inbox
            return [f"user:{o}" for o in self.views.at_the_desk(at)] or ["role:helpline_operator"]
        if spec == SUPERVISORS:
            return [EVERY_SUPERVISOR]
        kind, _, name = spec.partition(":")
        if kind == "staff":  # one member of staff, or a list ("a, b": ids hold no spaces)
            staff = alert.facts.get(name) or "-"
            return [f"user:{s}" for s in staff.split(", ") if s != "-"]
        return [spec]  # role:<role>, user:<id>

    # -- sending ------------------------------------------------------------------------------
    def fire_alert(self, alert: Alert, token: int, at: datetime,
                   case: CaseFile | None) -> list[Any]:
        """Send a due alert: to whom its recipients name now, its text with the case's
        reference; answers the messages that go with it ([] if the token is stale)."""
        addresses, nobody = self.addresses_for(alert.to, alert, at, case)
        reference = case.reference if case is not None else None
        values = {**alert.facts, "case_reference": reference or "-",
                  "category": alert.category, "due": display(alert.due_at)}
        text = render(alert.templates["text"], values) + (FALLBACK if nobody else "")
        if not alert.fire(token, addresses=addresses, text=text,
                          link=render(alert.templates["link"], values),
                          case_reference=reference, at=at):
            return []
        return self.deliveries_for(alert, 0, addresses, at)

    def deliveries_for(self, alert: Alert, step: int, addresses: list[str],
                       at: datetime) -> list[Any]:
        """The e-mails and webhook calls that go with a notice (the inbox needs none):
        only over channels set up here, to recipients who have a mailbox."""
        queued: list[Any] = []
        for channel in alert.channels:
            kind, _, target = channel.partition(":")
            if kind == "email" and self.email.enabled:
                queued += [Delivery.queue(alert_id=alert.id, token=alert.due_token, step=step,
                                          channel=kind, address=a, queued_at=at)
                           for a in addresses if self.rules.email_address(a)]
            elif kind == "webhook" and self.webhooks.usable(target) \
                    and not self.target_disabled(target):
                queued.append(Delivery.queue(alert_id=alert.id, token=alert.due_token,
                                             step=step, channel=channel, address=target,
                                             queued_at=at))
        return queued

    def target_disabled(self, name: str) -> bool:
        target = self.find(WebhookTarget, target_id(name))
        return target is not None and target.disabled_at is not None
