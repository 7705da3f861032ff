"""Legal's application: the lawyer's and caseworkers' commands and queries, its policies
for casework's facts, its reminders, and what it publishes. Each concern is a part of its
own (store.py lists them); this class puts them together and answers from the read models.

Commands take the caller's CommandContext (who, in which role, why) and plain values the
schemas have validated; they load, ask the aggregates, save. Time is read here (`clock`),
never in the domain. Writes load aggregates still sealed: no command decrypts personal
data it does not need.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from services.legal import contracts as c
from services.legal.casework_facts import CaseworkFacts
from services.legal.domain import (
    CaseRecord,
    Disclosure,
    Hearing,
    Letter,
    Matter,
    Session,
    StaffCalendar,
)
from services.legal.hearings import Hearings
from services.legal.letters import Letters
from services.legal.matters import Matters
from services.legal.queries import LegalViews, week_of
from services.legal.reminders import Reminders
from services.legal.sessions import Sessions
from services.legal.store import Fields
from services.legal.vocabulary import CENTRE_TIME_ZONE
from shared.audit import CommandContext
from shared.contracts import Publications

CENTRE = ZoneInfo(CENTRE_TIME_ZONE)
DEADLINES_AHEAD = timedelta(days=14)


def _filters(ctx: CommandContext, mine: bool, given: dict[str, Any]) -> dict[str, Any]:
    """Ids as the read models keep them (text); `mine`: what concerns the caller -- a
    lawyer's matters, a caseworker's cases."""
    filters = {k: v if v is None or isinstance(v, str) else str(v) for k, v in given.items()}
    if mine and ctx.actor_role in ("lawyer", "caseworker"):
        filters[f"{ctx.actor_role}_id"] = ctx.actor_id
    return filters


class Legal(Matters, Hearings, Sessions, Letters, CaseworkFacts, Reminders):
    name = "legal"  # type: ignore[misc]  # eventsourcing declares it per instance
    views: LegalViews
    publishes = Publications(c, Matter, Hearing, Session, Letter, Disclosure)
    # A person's calendar and legal's record of a case gain an event with every booking,
    # consent fact or read: snapshots keep loading them short, however long they run.
    snapshotting_intervals = {StaffCalendar: 50, CaseRecord: 50}  # noqa: RUF012

    # -- read models ----------------------------------------------------------------------
    def hearings_this_week(self, ctx: CommandContext, week_of_day: date | None = None,
                           mine: bool = False, include_cancelled: bool = False,
                           **filters: Any) -> Fields:
        """The week (Monday to Sunday, centre time) holding `week_of_day`, today by default."""
        start, end = week_of(week_of_day or self.clock().astimezone(CENTRE).date(), CENTRE)
        return self.views.hearings(start, end, include_cancelled=include_cancelled,
                                   **_filters(ctx, mine, filters))

    def deadlines_due(self, ctx: CommandContext, until: date | None = None, mine: bool = False,
                      **filters: Any) -> Fields:
        today = self.clock().astimezone(CENTRE).date()
        return self.views.deadlines(today, until or today + DEADLINES_AHEAD,
                                    **_filters(ctx, mine, filters))

    def matter_list(self, ctx: CommandContext, page: int = 1, page_size: int = 50,
                    **filters: Any) -> Fields:
        return self.views.matters(page, page_size, **_filters(ctx, False, filters))

    def matter_figures(self, ctx: CommandContext) -> Fields:
        return self.views.matter_figures()

    def session_list(self, ctx: CommandContext, date_from: datetime, date_to: datetime,
                     **filters: Any) -> Fields:
        """Sessions in [from, to): `status=done` and `kind=accompaniment` are the
        accompaniments done."""
        return self.views.sessions(date_from, date_to, **_filters(ctx, False, filters))

    def disclosure_list(self, ctx: CommandContext, **filters: Any) -> Fields:
        return self.views.disclosures(**_filters(ctx, False, filters))
