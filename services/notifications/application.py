"""Notifications' application: rules over every service's events -> alerts to staff, in
their inbox, by e-mail and by signed webhook; reminders and escalations on durable timers;
the on-call roster. Its parts, each a class of its own (store.py lists them):

    reacting.py   other services' events -> what they say about cases and the desk, the rules
    firing.py     the poll: reminders falling due, escalation steps, sends (sending.py)
    inbox.py      the inbox and acknowledgement, the on-call roster, reports for ops
    watch.py      dead letters anywhere -> ops

It holds no personal data: alerts keep ids, codes and times; messages say a category, a
case reference and a link (ruleset.py is where that is enforced). Time is read here
(`clock`), never in the domain, so a test can move it.
"""

from __future__ import annotations

from services.notifications.firing import Firing
from services.notifications.inbox import Inbox
from services.notifications.watch import Watch


class Notifications(Watch, Firing, Inbox):
    name = "notifications"  # type: ignore[misc]  # eventsourcing declares it per instance
