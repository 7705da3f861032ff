"""The questions asked of legal's read models: hearings in a week, deadlines due, matters
by kind and stage, sessions (accompaniments done), disclosures -- and the reminder poll's
claim on the due-time table.

`settle` runs first: it applies what the log holds so far, so a lawyer sees the hearing
just set, and the poll sees a reminder planned a moment ago.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.projections import ReadModelStore
from shared.readstore import equal

Row = dict[str, Any]
LEASE = timedelta(minutes=2)  # a claimed reminder another poll may take once this passes
_TIMES = ("starts_at", "ends_at", "done_at", "opened_at", "closed_at", "prepared_at",
          "made_at", "due_at")
_FLAGS = ("interpreter_needed", "accompaniment_needed", "erased")
_LISTS = ("measures_requested", "measures_granted")


class LegalViews:
    def __init__(self, store: ReadModelStore, settle: Callable[[], Any] = lambda: None):
        self.store, self.settle = store, settle

    def _row(self, row: Row) -> Row:
        out = dict(row)
        for name in _TIMES:
            if name in out:
                out[name] = self.store.when(out[name])
        for name in _FLAGS:
            if name in out:
                out[name] = bool(out[name])
        for name in _LISTS:
            if name in out:
                out[name] = out[name].split()
        return out

    def _rows(self, sql: str, conditions: list[tuple[str, Any]], order: str,
              limit: int | None = None) -> list[Row]:
        """`conditions`: a clause with its one parameter, applied when the value is not
        None (a clause without a parameter is given the value True)."""
        chosen = [(clause, value) for clause, value in conditions if value is not None]
        where = " AND ".join(["true", *(clause for clause, _ in chosen)])
        params = [value for clause, value in chosen if "%s" in clause]
        tail = "" if limit is None else " LIMIT %s"
        rows = self.store.query(f"{sql} WHERE {where} ORDER BY {order}{tail}",
                                [*params, *([] if limit is None else [limit])])
        return [self._row(r) for r in rows]

    def _of_matters(self, table: str, conditions: list[tuple[str, Any]], order: str) -> list[Row]:
        """Rows of `table` (as x) with their matter (m) and case (c): the case reference,
        and the lawyer and caseworker a list may be filtered by."""
        return self._rows(
            "SELECT x.*, m.kind AS matter_kind, m.lawyer_id, c.reference AS case_reference,"
            f" c.caseworker_id FROM {{{table}}} x JOIN {{matters}} m ON m.matter_id ="
            " x.matter_id LEFT JOIN {cases} c ON c.case_id = x.case_id", conditions, order)

    # -- the diary ------------------------------------------------------------------------
    def hearings(self, date_from: datetime, date_to: datetime, lawyer_id: str | None = None,
                 caseworker_id: str | None = None, case_id: str | None = None,
                 include_cancelled: bool = False) -> Row:
        """Hearings starting in [from, to), soonest first, with the case reference."""
        self.settle()
        items = self._of_matters(
            "hearings", [("x.starts_at >= %s", date_from), ("x.starts_at < %s", date_to),
                         ("m.lawyer_id = %s", lawyer_id), ("c.caseworker_id = %s", caseworker_id),
                         ("x.case_id = %s", case_id),
                         ("x.status <> 'cancelled'", None if include_cancelled else True)],
            "x.starts_at, x.hearing_id")
        return {"date_from": date_from, "date_to": date_to, "items": items}

    def sessions(self, date_from: datetime, date_to: datetime, staff_id: str | None = None,
                 kind: str | None = None, status: str | None = None) -> Row:
        """Sessions starting in [from, to), with how many of each kind were done."""
        self.settle()
        items = self._rows("SELECT s.*, c.reference AS case_reference FROM {sessions} s"
                           " LEFT JOIN {cases} c ON c.case_id = s.case_id",
                           [("s.starts_at >= %s", date_from), ("s.starts_at < %s", date_to),
                            ("s.staff_id = %s", staff_id), ("s.kind = %s", kind),
                            ("s.status = %s", status)], "s.starts_at, s.session_id")
        done: dict[str, int] = {}
        for item in items:
            if item["status"] == "done":
                done[item["kind"]] = done.get(item["kind"], 0) + 1
        return {"date_from": date_from, "date_to": date_to, "items": items, "done": done}

    # -- deadlines and matters ------------------------------------------------------------
    def deadlines(self, today: date, until: date, lawyer_id: str | None = None,
                  caseworker_id: str | None = None, case_id: str | None = None) -> Row:
        """Open deadlines due by `until` (the overdue ones first), with the case reference."""
        self.settle()
        items = self._of_matters(
            "deadlines", [("x.outcome IS NULL", True), ("m.status = 'open'", True),
                          ("x.due_on <= %s", until.isoformat()), ("m.lawyer_id = %s", lawyer_id),
                          ("c.caseworker_id = %s", caseworker_id), ("x.case_id = %s", case_id)],
            "x.due_on, x.deadline_id")
        return {"items": [{**item, "due_on": date.fromisoformat(item["due_on"]),
                           "overdue": item["due_on"] < today.isoformat()} for item in items]}

    def matters(self, page: int = 1, page_size: int = 50, **filters: Any) -> Row:
        self.settle()
        found = self.store.page("matters", "opened_at DESC, matter_id",
                                equal(("kind", "stage", "status", "lawyer_id", "case_id"),
                                      filters), page, page_size)
        return {**found, "items": [self._row(r) for r in found["items"]]}

    def matter_figures(self) -> Row:
        """Open matters by kind and stage; closed ones by kind and outcome."""
        self.settle()
        figures: Row = {"open": {}, "closed": {}}
        for r in self.store.query("SELECT kind, status, stage, outcome, count(*) AS n"
                                  " FROM {matters} GROUP BY kind, status, stage, outcome"):
            key = r["stage"] if r["status"] == "open" else r["outcome"]
            figures[r["status"]].setdefault(r["kind"], {})[key] = r["n"]
        return figures

    def disclosures(self, case_id: str | None = None, matter_id: str | None = None,
                    status: str | None = None) -> Row:
        self.settle()
        return {"items": self._rows("SELECT * FROM {disclosures}",
                                    [("case_id = %s", case_id), ("matter_id = %s", matter_id),
                                     ("status = %s", status)], "prepared_at, disclosure_id")}

    # -- the reminder poll ----------------------------------------------------------------
    def claim_due_reminders(self, now: datetime, limit: int) -> list[Row]:
        """Lease the due rows no one holds; replicas skip each other's (SKIP LOCKED)."""
        self.settle()
        lock = self.store.for_update + (" SKIP LOCKED" if self.store.for_update else "")
        rows = self.store.query(
            "UPDATE {reminders} SET claimed_until = %s WHERE reminder_id IN (SELECT reminder_id"
            " FROM {reminders} WHERE fired_at IS NULL AND due_at <= %s AND (claimed_until IS"
            f" NULL OR claimed_until < %s) ORDER BY due_at LIMIT %s{lock}) RETURNING *",
            [now + LEASE, now, now, limit])
        return sorted((self._row(r) for r in rows), key=lambda r: r["due_at"])

    def reminder_done(self, reminder_id: str, now: datetime) -> None:
        self.store.query("UPDATE {reminders} SET fired_at = coalesce(fired_at, %s)"
                         " WHERE reminder_id = %s RETURNING reminder_id", [now, reminder_id])


def week_of(day: date, zone: Any) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) of the week holding `day`, in `zone`, as UTC."""
    monday = day - timedelta(days=day.weekday())
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    # Aware arithmetic is wall-clock: a week later is Monday 00:00 across a DST change too.
    return start.astimezone(UTC), (start + timedelta(days=7)).astimezone(UTC)
