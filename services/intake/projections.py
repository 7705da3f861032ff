"""Intake's read models: the contact log, pending callbacks and the duty roster,
plus the queries the helpline desk and the dashboards ask of them.

Only ids, codes and times are kept: no summary, no callback number, no name.
Months are UTC calendar months ("YYYY-MM" of the start time). Monthly figures
are counted from the contact log itself (one row per contact, indexed by month):
at ~700 contacts a month a GROUP BY is instant, and counts cannot drift from
the log they summarise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from services.intake.domain import Contact, MissedCall, Shift
from services.intake.outreach_projections import OutreachLog, OutreachViews
from shared.projections import (
    Cursor,
    Projection,
    ReadModelSet,
    ReadModelStore,
    handles,
    month_of,
    stream_id,
)
from shared.readstore import equal
from shared.row_updates import RowUpdates, from_event

Row = dict[str, Any]
# A contact linked to its case, or the link corrected: the same columns either way.
LINKED = {"case_id": from_event.case_id, "case_reference": from_event.case_reference}


class ContactLog(Projection):
    name, version = "contact_log", 1
    tables = {"contact_log": (
        "contact_id text PRIMARY KEY, month text NOT NULL, channel text NOT NULL,"
        " direction text NOT NULL, started_at {timestamp} NOT NULL, ended_at {timestamp},"
        " language text NOT NULL, interpreter_used boolean NOT NULL, caller_type text NOT NULL,"
        " topic text NOT NULL, urgency text NOT NULL, operator_id text NOT NULL,"
        " status text NOT NULL, outcome text, assessment text, referred boolean NOT NULL,"
        " case_id text, case_reference text")}
    indexes = ("CREATE INDEX IF NOT EXISTS contact_log_started ON {contact_log}"
               " (started_at DESC, contact_id DESC)",
               "CREATE INDEX IF NOT EXISTS contact_log_month ON {contact_log} (month)")

    @handles(Contact, "ContactLogged")
    def logged(self, e: Any, cur: Cursor) -> None:
        cur.execute(
            "INSERT INTO {contact_log} (contact_id, month, channel, direction, started_at,"
            " ended_at, language, interpreter_used, caller_type, topic, urgency, operator_id,"
            " status, referred) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " 'open', false)",
            (stream_id(e), month_of(e.started_at), e.channel, e.direction, e.started_at, e.ended_at,
             e.language, e.interpreter_used, e.caller_type, e.topic, e.urgency, e.operator_id))

    row_updates = RowUpdates("contact_log", "contact_id", Contact, {
        "ContactScreened": {"assessment": from_event.assessment},
        "ContactClosed": {"status": "closed", "outcome": from_event.outcome,
                          "ended_at": from_event.ended_at},
        "ReferredToCasework": {"referred": True},
        "ContactLinkedToCase": LINKED,
        "ContactLinkCorrected": LINKED,
    })


class Callbacks(Projection):
    name, version = "callbacks", 1
    tables = {"callbacks": (
        "missed_call_id text PRIMARY KEY, month text NOT NULL, channel text NOT NULL,"
        " missed_at {timestamp} NOT NULL, has_callback_contact boolean NOT NULL,"
        " contact_id text, done_at {timestamp}")}
    indexes = ("CREATE INDEX IF NOT EXISTS callbacks_missed ON {callbacks} (missed_at)",)

    @handles(MissedCall, "CallMissed")
    def missed(self, e: Any, cur: Cursor) -> None:
        # Whether a number was left, not the number: it stays sealed in the event store.
        cur.execute("INSERT INTO {callbacks} (missed_call_id, month, channel, missed_at,"
                    " has_callback_contact) VALUES (%s, %s, %s, %s, %s)",
                    (stream_id(e), month_of(e.missed_at), e.channel, e.missed_at,
                     e.callback_contact is not None))

    @handles(MissedCall, "CallbackDone")
    def done(self, e: Any, cur: Cursor) -> None:
        cur.update("callbacks", ("missed_call_id", stream_id(e)), contact_id=e.contact_id,
                   done_at=e.done_at)


class DutyRoster(Projection):
    name, version = "duty_roster", 1
    tables = {"shifts": ("shift_id text PRIMARY KEY, operator_id text NOT NULL,"
                         " started_at {timestamp} NOT NULL, ended_at {timestamp}")}
    indexes = ("CREATE INDEX IF NOT EXISTS shifts_started ON {shifts} (started_at)",)

    @handles(Shift, "ShiftStarted")
    def started(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {shifts} (shift_id, operator_id, started_at)"
                    " VALUES (%s, %s, %s)", (stream_id(e), e.operator_id, e.started_at))

    @handles(Shift, "ShiftEnded")
    def ended(self, e: Any, cur: Cursor) -> None:
        cur.update("shifts", ("shift_id", stream_id(e)), ended_at=e.ended_at)


def projections() -> list[Projection]:
    return [ContactLog(), Callbacks(), DutyRoster(), OutreachLog()]


# -- queries -----------------------------------------------------------------------
CONTACT_FILTERS = ("channel", "topic", "language", "urgency", "status")


class IntakeViews(OutreachViews):
    """Read-model queries. `settle` runs first: it applies what the log holds so far,
    so a desk sees the contact it has just logged."""

    def __init__(self, store: ReadModelStore, settle: Callable[[], Any] = lambda: None):
        self.store, self.settle = store, settle

    def _contact(self, row: Row) -> Row:
        started, ended = self.store.when(row["started_at"]), self.store.when(row["ended_at"])
        return {**row, "started_at": started, "ended_at": ended,
                "interpreter_used": bool(row["interpreter_used"]),
                "referred": bool(row["referred"]),
                "duration_seconds": int((ended - started).total_seconds())
                if started and ended else None}

    def contact_log(self, date_from: datetime | None = None, date_to: datetime | None = None,
                    page: int = 1, page_size: int = 50, **filters: Any) -> Row:
        """Newest first; `date_from` inclusive, `date_to` exclusive, on the start time."""
        self.settle()
        found = self.store.page(
            "contact_log", "started_at DESC, contact_id DESC",
            [("started_at >= %s", date_from), ("started_at < %s", date_to),
             *equal(CONTACT_FILTERS, filters)], page, page_size)
        return {**found, "items": [self._contact(r) for r in found["items"]]}

    def pending_callbacks(self, limit: int = 100) -> list[Row]:
        """Oldest first: whoever has waited longest is called back first."""
        self.settle()
        rows = self.store.query("SELECT missed_call_id, channel, missed_at, has_callback_contact"
                                " FROM {callbacks} WHERE contact_id IS NULL"
                                " ORDER BY missed_at, missed_call_id LIMIT %s", [limit])
        return [{**r, "missed_at": self.store.when(r["missed_at"]),
                 "has_callback_contact": bool(r["has_callback_contact"])} for r in rows]

    def _shifts(self, condition: str, params: list[Any]) -> list[Row]:
        rows = self.store.query(f"SELECT * FROM {{shifts}} WHERE {condition}"
                                " ORDER BY started_at, shift_id", params)
        return [{**r, "started_at": self.store.when(r["started_at"]),
                 "ended_at": self.store.when(r["ended_at"])} for r in rows]

    def on_duty(self, at: datetime) -> Row:
        """Who is on duty at `at`: started at or before it, not yet ended."""
        self.settle()
        on_duty = self._shifts("started_at <= %s AND (ended_at IS NULL OR ended_at > %s)",
                               [at, at])
        return {"at": at, "on_duty": on_duty, "covered": bool(on_duty)}

    def coverage(self, date_from: datetime, date_to: datetime) -> Row:
        """The stretches of [from, to) with nobody on duty. A shift not yet ended
        counts as running: its operator is on duty until they end it."""
        self.settle()
        gaps, reached = [], date_from
        overlapping = self._shifts("started_at < %s AND (ended_at IS NULL OR ended_at > %s)",
                                   [date_to, date_from])
        for shift in overlapping:
            start = max(shift["started_at"], date_from)
            if start > reached:
                gaps.append((reached, start))
            reached = max(reached, min(shift["ended_at"] or date_to, date_to))
        if reached < date_to:
            gaps.append((reached, date_to))
        seconds = [int((end - start).total_seconds()) for start, end in gaps]
        return {"date_from": date_from, "date_to": date_to,
                "covered_seconds": int((date_to - date_from).total_seconds()) - sum(seconds),
                "gaps": [{"start": s, "end": e, "seconds": n}
                         for (s, e), n in zip(gaps, seconds, strict=True)]}

    def helpline_stats(self, month: str) -> Row:
        self.settle()

        def counts(column: str) -> dict[str, int]:
            rows = self.store.query(f"SELECT coalesce({column}, 'open') AS k, count(*) AS n"
                                    f" FROM {{contact_log}} WHERE month = %s GROUP BY 1",
                                    [month])
            return {r["k"]: r["n"] for r in rows}

        by_channel = counts("channel")
        missed = self.store.query("SELECT count(*) AS n, count(contact_id) AS done"
                                  " FROM {callbacks} WHERE month = %s", [month])[0]
        return {"month": month, "contacts": sum(by_channel.values()), "by_channel": by_channel,
                "by_topic": counts("topic"), "by_language": counts("language"),
                "by_outcome": counts("outcome"), "missed_calls": missed["n"],
                "callbacks_done": missed["done"]}


READ_MODELS = ReadModelSet(projections, IntakeViews)
