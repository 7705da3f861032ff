"""A notification rule as the domain applies it: which event, under which condition, tells
whom, over which channels, when, and how it escalates while nobody acknowledges it.

Pure: the rule file is read and checked against the producers' contracts in ruleset.py;
here a rule meets one event at one instant (`now` comes in as an argument).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from services.notifications.domain.ids import alert_id

CRITICAL, NORMAL = "critical", "normal"
# A reminder about a calendar day (a reflection period's last day) counts from 08:00 UTC.
MORNING = time(8, 0, tzinfo=UTC)
# Recipients named by what they are to the event; the others are role:<role>, user:<id>
# and staff:<field> (the member of staff an event field names, e.g. the assigned caseworker).
ON_CALL, CASEWORKER, DESK, SUPERVISORS = "on_call", "caseworker", "desk", "supervisors"


@dataclass(frozen=True)
class Condition:
    """`field` must be one of `one_of`, no older than `within`, or within the bounds."""

    field: str
    one_of: tuple[Any, ...] = ()
    within: timedelta | None = None
    at_most: float | None = None
    at_least: float | None = None

    def holds(self, value: Any, now: datetime) -> bool:
        if self.one_of and value not in self.one_of:
            return False
        if self.within is not None:
            when = moment_of(value)
            if when is None or when < now - self.within:
                return False
        if self.at_most is not None and (value is None or value > self.at_most):
            return False
        return self.at_least is None or (value is not None and value >= self.at_least)


@dataclass(frozen=True)
class Escalation:
    """Not acknowledged `after` the first notice: tell `to`, and again every `every`, at
    most `times` times (Grafana OnCall's chain: wait, notify, repeat up to a limit)."""

    after: timedelta
    every: timedelta
    times: int
    to: tuple[str, ...]

    def as_state(self) -> dict[str, Any]:
        return {"after": int(self.after.total_seconds()), "every": int(self.every.total_seconds()),
                "times": self.times, "to": list(self.to)}


@dataclass(frozen=True)
class Rule:
    name: str
    on: tuple[str, ...]  # "source.EventType", as the producers' contracts name them
    category: str
    severity: str
    to: tuple[str, ...]
    channels: tuple[str, ...]  # "inbox", "email", "webhook:<target>"
    text: str  # placeholders: safe event fields and the built-ins (see ruleset.BUILT_INS)
    link: str  # a path of the platform's API
    facts: tuple[str, ...] = ()  # the event fields the alert keeps: ids, codes, times
    when: tuple[Condition, ...] = ()
    key: tuple[str, ...] = ()  # fields naming the thing; none: each event is its own thing
    at: str | None = None  # the field with the time it is about; none: the event's arrival
    before: tuple[timedelta, ...] = ()  # reminders ahead of `at`
    after: timedelta = timedelta(0)  # or one, this long after `at`
    escalate: Escalation | None = None
    resolve_on: tuple[str, ...] = ()  # events that end it: the condition is gone
    resolve_by: tuple[str, ...] = ()  # the key's leading fields they carry; () = the key
    # A state, not a happening (a shelter with no bed free): told once while it lasts,
    # resolved by the first event of the same thing for which it no longer holds.
    ongoing: bool = False

    def holds(self, data: Mapping[str, Any], now: datetime) -> bool:
        return all(c.holds(data.get(c.field), now) for c in self.when)

    def plan(self, event: str, data: Mapping[str, Any], identity: str,
             now: datetime) -> list[Planned]:
        """The alerts this event schedules, one per reminder offset; none if it does not
        match, or if what a reminder is about has already passed."""
        if event not in self.on or not self.holds(data, now):
            return []
        anchor = now if self.at is None else moment_of(data.get(self.at))
        if anchor is None:
            return []
        if self.before:
            if anchor <= now:
                return []
            dues = [(label(offset), anchor - offset) for offset in self.before]
        else:
            dues = [("", anchor + self.after)]
        facts = {name: display(data.get(name)) for name in self.facts}
        thing = self.key_of(data, identity)
        return [Planned(alert_id(self.name, thing, offset), self, due, facts, thing)
                for offset, due in dues]

    def resolved_by(self, event: str, data: Mapping[str, Any], now: datetime) -> Resolution:
        """What this event resolves: the follow-up was done, the call returned, the hearing
        moved, or an ongoing condition no longer holds. An event that names the thing in
        full names its alerts (kept even if they come later); one that carries only the
        key's first fields (`resolve_by`: a hearing's, not its reminder's) resolves every
        open alert of this rule about it."""
        gone = self.ongoing and event in self.on and not self.holds(data, now)
        if event not in self.resolve_on and not gone:
            return Resolution()
        if self.resolve_by and self.resolve_by != self.key:
            return Resolution(about="/".join(str(data[name]) for name in self.resolve_by) + "/")
        thing = self.key_of(data, "")
        return Resolution(alert_ids=[alert_id(self.name, thing, label(offset))
                                     for offset in self.before or [None]])

    def key_of(self, data: Mapping[str, Any], identity: str) -> str:
        """The thing an alert is about, as its key's values: "hearing-id/hearing_24h"."""
        return "/".join(str(data.get(name)) for name in self.key) if self.key else identity


@dataclass(frozen=True)
class Planned:
    alert_id: UUID
    rule: Rule
    due_at: datetime
    facts: dict[str, str]
    thing: str  # what it is about: the rule's key values


@dataclass(frozen=True)
class Resolution:
    alert_ids: list[UUID] = field(default_factory=list)
    about: str | None = None  # or: every open alert of the rule whose thing starts so


def moment_of(value: Any) -> datetime | None:
    """A time an event carries; a calendar day counts from the morning of that day."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, MORNING)
    return None


def label(offset: timedelta | None) -> str:
    """"2d", "90m", "45s": a reminder offset, as it names one of an alert's reminders."""
    if offset is None:
        return ""
    seconds = int(offset.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def display(value: Any) -> str:
    """An event value as a message shows it."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, list | tuple):
        return ", ".join(display(v) for v in value) or "-"
    return value.isoformat() if isinstance(value, date) else str(value)


def render(template: str, values: Mapping[str, str]) -> str:
    """A rule's text or link with its placeholders filled (the rule file was checked to
    name only plain fields it may show)."""
    return template.format_map(values)
