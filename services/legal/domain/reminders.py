"""When reminders fall due: computed from what is stored, never waited for.

A reminder is a fact with a due time (hearing in 48 h and in 24 h, deadline in 3 days),
kept with the hearing or the deadline it is about. Whatever process polls after that
time -- the one running then, or the first one up after a stop -- records it, once: the
aggregate refuses a reminder already given, or one whose hearing or deadline has moved
(its token, the time it was computed for, is stale). Pure: times come in as arguments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.legal.vocabulary import CENTRE_TIME_ZONE, Reminder

HEARING_REMINDERS = {Reminder.HEARING_48H.value: timedelta(hours=48),
                     Reminder.HEARING_24H.value: timedelta(hours=24)}
DEADLINE_REMINDER = Reminder.DEADLINE_3D.value
DEADLINE_NOTICE = timedelta(days=3)
MORNING = time(8)  # a deadline reminder comes at the start of the centre's working day


def hearing_reminders(starts_at: datetime, now: datetime) -> dict[str, datetime]:
    """The reminders still ahead: one whose time passed before the hearing was set (or
    moved) would tell people what they were just told."""
    return {kind: starts_at - before for kind, before in HEARING_REMINDERS.items()
            if starts_at - before > now}


def deadline_reminder(due_on: date, now: datetime) -> datetime | None:
    """Three calendar days before the due day, at eight in the morning, centre time."""
    local = datetime.combine(due_on - DEADLINE_NOTICE, MORNING, ZoneInfo(CENTRE_TIME_ZONE))
    at = local.astimezone(UTC)
    return at if at > now else None


def token(value: date | datetime) -> str:
    """What a reminder was computed for: a reminder with another token is stale."""
    return value.isoformat()
