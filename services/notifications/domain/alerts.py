"""An alert: one rule's notice about one thing -- an emergency call, a case, a follow-up --
from the moment it is due until someone acknowledges it or the condition is gone.

    scheduled --fire--> sent --escalate (step 1, 2, ...)--> ... --acknowledge--> acknowledged
        \\________________________ resolve (follow-up done, call returned) ___/--> resolved

Every change that a timer brings (fire, escalate) carries the token the timer was set
with: a timer left over from before an acknowledgement, a move or a second worker's
claim finds the token stale and changes nothing, so expiring twice is harmless. Pure:
times come in as arguments.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.notifications.domain.errors import AccessDenied, NotYetSent
from shared.checks import moment

NEW, SCHEDULED, SENT, ACKNOWLEDGED, RESOLVED = (
    "new", "scheduled", "sent", "acknowledged", "resolved")
SUPERVISOR = "supervisor"
# One answer, whatever the reason -- and for an alert that does not exist (inbox.py): a
# caller cannot tell by trying which cases have an emergency alert.
NOT_YOURS = ("only a supervisor, the case's caseworker once a supervisor has confirmed them,"
             " or someone else it was sent to may acknowledge it")


def check_may_acknowledge(role: str, actor_id: str, addresses: list[str],
                          caseworker_id: str | None, unconfirmed: str | None = None,
                          reported: str | None = None) -> None:
    """Who may say "I have it": supervisors, the caseworker a supervisor confirmed on the
    case it is about (`caseworker_id`, shared.need_to_know), and whoever it was sent to by
    name or role (the caseworker on call, the matter's lawyer) -- except the case's
    caseworker no supervisor has confirmed yet (`unconfirmed`): anyone may take an
    unassigned case, and being told of it as its caseworker must not let them silence its
    emergency before a supervisor agrees -- nor as a supervisor, if they are one too: the
    rule is about the person. Nobody else silences an emergency. Nor does the member of
    staff whose own act the alert reports (`reported`: who broke the glass), in any role:
    a caseworker who is a supervisor as well would take the supervisors' notice of their
    own emergency access out of every supervisor's inbox."""
    if reported is not None and actor_id == reported:
        raise AccessDenied(NOT_YOURS)
    if unconfirmed is not None and actor_id == unconfirmed:
        raise AccessDenied(NOT_YOURS)
    if role == SUPERVISOR or (caseworker_id is not None and actor_id == caseworker_id):
        return
    if f"user:{actor_id}" in addresses or f"role:{role}" in addresses:
        return
    raise AccessDenied(NOT_YOURS)


class Alert(Aggregate):
    @classmethod
    def open(cls, alert_id: UUID, rule: str) -> Alert:
        return cls(id=alert_id, rule=rule)

    @event("AlertOpened")
    def __init__(self, id: UUID, rule: str):  # noqa: A002 - eventsourcing's name for it
        self.rule = rule
        self.status = NEW
        self.due_token = 0
        self.due_at: datetime | None = None
        self.category = self.severity = ""
        self.channels: list[str] = []
        self.to: list[str] = []  # recipients, as the rule names them: resolved when sent
        self.templates: dict[str, str] = {}  # the rule's text and link, filled when sent
        self.case_id: str | None = None
        self.facts: dict[str, str] = {}
        self.escalation: dict[str, Any] | None = None
        self.step = 0
        self.addresses: list[str] = []
        self.text = self.link = ""
        self.case_reference: str | None = None
        self.sent_at: datetime | None = None
        self.notified_at: datetime | None = None  # the last time it was sent or escalated
        self.acknowledged: dict[str, Any] | None = None
        self.resolved: dict[str, Any] | None = None

    # -- scheduling --------------------------------------------------------------------
    def schedule(self, *, thing: str, category: str, severity: str, channels: list[str],
                 to: list[str], templates: dict[str, str], case_id: str | None,
                 facts: dict[str, str], due_at: datetime, escalation: dict[str, Any] | None,
                 ongoing: bool = False) -> bool:
        """Due at `due_at`, with a fresh token: a reminder about something that moved (a
        hearing put off) fires again at the new time. The same time again changes nothing,
        and what is resolved stays resolved (its resolution may have come first). An
        ongoing condition is told once while it lasts, and again once it has ended."""
        due = moment(due_at, "due_at")
        if ongoing:
            if self.status not in (NEW, RESOLVED):
                return False
        elif self.status == RESOLVED or (self.status != NEW and due == self.due_at):
            return False
        self._schedule(rule=self.rule, thing=thing, category=category, severity=severity,
                       channels=list(channels), to=list(to), templates=dict(templates),
                       case_id=case_id, facts=dict(facts), due_at=due,
                       escalation=escalation, token=self.due_token + 1)
        return True

    @event("AlertScheduled")
    def _schedule(self, rule: str, thing: str, category: str, severity: str, channels: list[str],
                  to: list[str], templates: dict[str, str], case_id: str | None,
                  facts: dict[str, str], due_at: datetime, escalation: dict[str, Any] | None,
                  token: int) -> None:
        self.category, self.severity, self.channels = category, severity, channels
        self.to, self.templates = to, templates
        self.case_id, self.facts, self.escalation = case_id, facts, escalation
        self.due_at, self.due_token, self.status = due_at, token, SCHEDULED
        self.step, self.acknowledged, self.resolved = 0, None, None

    # -- sending and escalating -----------------------------------------------------------
    def fire(self, token: int, *, addresses: list[str], text: str, link: str,
             case_reference: str | None, at: datetime) -> bool:
        """Send it, if the timer that asks is still the current one."""
        if self.status != SCHEDULED or token != self.due_token:
            return False
        at = moment(at, "at")
        escalation = self.escalation
        self._send(addresses=sorted(set(addresses)), text=text, link=link,
                   case_reference=case_reference, category=self.category,
                   severity=self.severity, case_id=self.case_id, sent_at=at, token=token,
                   escalation_due_at=None if escalation is None
                   else at + timedelta(seconds=escalation["after"]))
        return True

    @event("AlertSent")
    def _send(self, addresses: list[str], text: str, link: str, case_reference: str | None,
              category: str, severity: str, case_id: str | None, sent_at: datetime,
              token: int, escalation_due_at: datetime | None) -> None:
        self.addresses, self.text, self.link = addresses, text, link
        self.case_reference, self.sent_at, self.status = case_reference, sent_at, SENT
        self.notified_at = sent_at

    def escalate(self, token: int, step: int, *, addresses: list[str],
                 at: datetime) -> list[str] | None:
        """Escalation step `step` (1, 2, ...) of the sending `token` made: the addresses it
        tells, or None when its timer is stale (acknowledged, resolved, moved, or this step
        already taken). `addresses` are whom the rule names at `at` -- the case's caseworker
        now, the caseworker on call now -- and whom it escalates to: someone moved off the
        case since the alert was sent is told no more."""
        escalation = self.escalation
        if self.status != SENT or escalation is None or token != self.due_token \
                or step != self.step + 1 or step > escalation["times"]:
            return None
        at = moment(at, "at")
        told = sorted(set(addresses))
        self._escalate(step=step, addresses=told, escalated_at=at, token=token,
                       next_due_at=at + timedelta(seconds=escalation["every"])
                       if step < escalation["times"] else None)
        return told

    @event("AlertEscalated")
    def _escalate(self, step: int, addresses: list[str], escalated_at: datetime, token: int,
                  next_due_at: datetime | None) -> None:
        self.step, self.addresses, self.notified_at = step, addresses, escalated_at

    # -- ending -------------------------------------------------------------------------
    def acknowledge(self, *, by: str, role: str, at: datetime,
                    caseworker_id: str | None, unconfirmed: str | None = None) -> bool:
        """Someone has it: escalation stops. Asking again (or after someone else) changes
        nothing; the alert says who acknowledged it, and when. `caseworker_id`: the
        caseworker a supervisor confirmed on the alert's case, if it is about one."""
        check_may_acknowledge(role, by, self.addresses, caseworker_id, unconfirmed,
                              reported=self.facts.get("actor_id"))
        if self.status in (NEW, SCHEDULED):
            raise NotYetSent("the alert has not been sent yet")
        if self.status != SENT:
            return False
        self._acknowledge(by=by, role=role, at=moment(at, "at"))
        return True

    @event("AlertAcknowledged")
    def _acknowledge(self, by: str, role: str, at: datetime) -> None:
        self.acknowledged, self.status = {"by": by, "role": role, "at": at}, ACKNOWLEDGED

    def resolve(self, reason: str, at: datetime) -> bool:
        """The condition is gone (the callback was made, the case closed): pending timers
        go stale and the inbox shows why. Resolving twice changes nothing."""
        if self.status == RESOLVED:
            return False
        self._resolve(reason=reason, at=moment(at, "at"))
        return True

    @event("AlertResolved")
    def _resolve(self, reason: str, at: datetime) -> None:
        self.resolved, self.status = {"reason": reason, "at": at}, RESOLVED
