"""The questions asked of casework's read models: the case list, the client list,
follow-ups to do, caseworkers' workload and the centre's monthly figures.

`settle` runs first: it applies what the log holds so far, so a desk sees the case it
has just opened. Times that decide "overdue" come in as `now` from the application's
clock. Months are UTC calendar months, "YYYY-MM".
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from services.casework.vocabulary import OPEN_STATUSES
from shared.countries import continent_of
from shared.projections import ReadModelStore
from shared.readstore import equal

Row = dict[str, Any]
_OPEN = ", ".join(f"'{s.value}'" for s in OPEN_STATUSES)  # fixed codes, not input
CASE_FILTERS = ("reference", "status", "caseworker_id", "urgency", "possible_duplicate")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    start = datetime.strptime(month + "-01", "%Y-%m-%d").replace(tzinfo=UTC)
    end = start.replace(year=start.year + 1, month=1) if start.month == 12 \
        else start.replace(month=start.month + 1)
    return start, end


class CaseworkViews:
    def __init__(self, store: ReadModelStore, settle: Callable[[], Any] = lambda: None):
        self.store, self.settle = store, settle

    # -- lists ---------------------------------------------------------------------------
    def _case(self, row: Row) -> Row:
        return {**row, "opened_at": self.store.when(row["opened_at"]),
                "closed_at": self.store.when(row["closed_at"]),
                "exploitation_types": row["exploitation_types"].split(),
                "methods_of_control": row["methods_of_control"].split(),
                "possible_duplicate": bool(row["possible_duplicate"]),
                "assignment_pending": bool(row["assignment_pending"]),
                "erased": bool(row["erased"])}

    def case_list(self, date_from: datetime | None = None, date_to: datetime | None = None,
                  country: str | None = None, exploitation_type: str | None = None,
                  page: int = 1, page_size: int = 50, **filters: Any) -> Row:
        """Newest first; `date_from` inclusive, `date_to` exclusive, on the opening time."""
        self.settle()
        found = self.store.page("cases", "opened_at DESC, case_id DESC", [
            *equal(CASE_FILTERS, filters), ("origin_country = %s", country),
            ("case_id IN (SELECT case_id FROM {case_exploitation} WHERE exploitation_type = %s)",
             exploitation_type),
            ("opened_at >= %s", date_from), ("opened_at < %s", date_to)], page, page_size)
        return {**found, "items": [self._case(r) for r in found["items"]]}

    def case_id_of(self, reference: str) -> str | None:
        """The id of the case with this reference (numbering issues each one once)."""
        self.settle()
        rows = self.store.query("SELECT case_id FROM {cases} WHERE reference = %s", [reference])
        return rows[0]["case_id"] if rows else None

    def client_list(self, page: int = 1, page_size: int = 50, **filters: Any) -> Row:
        self.settle()
        found = self.store.page("clients", "registered_at DESC, client_id",
                                equal(("citizenship", "gender", "erased"), filters),
                                page, page_size)
        return {**found, "items": [{**r, "registered_at": self.store.when(r["registered_at"]),
                                    "erased": bool(r["erased"])} for r in found["items"]]}

    def follow_ups(self, now: datetime, caseworker_id: str | None = None,
                   overdue_only: bool = False, due_before: datetime | None = None,
                   limit: int = 100) -> Row:
        """Follow-ups still to do on open cases, soonest first."""
        self.settle()
        where, params = [f"f.done_at IS NULL AND c.status IN ({_OPEN})"], []
        for clause, value in (("c.caseworker_id = %s", caseworker_id),
                              ("f.due_at < %s", now if overdue_only else None),
                              ("f.due_at < %s", due_before)):
            if value is not None:
                where.append(clause)
                params.append(value)
        rows = self.store.query(
            "SELECT f.follow_up_id, f.case_id, c.reference, c.caseworker_id, f.due_at,"
            " f.done_at FROM {follow_ups} f JOIN {cases} c ON c.case_id = f.case_id"
            f" WHERE {' AND '.join(where)} ORDER BY f.due_at, f.follow_up_id LIMIT %s",
            [*params, limit])
        items = []
        for r in rows:
            due = self.store.when(r["due_at"])
            assert due is not None
            items.append({**r, "due_at": due, "done_at": None, "overdue": due < now})
        return {"items": items}

    def review_queue(self, now: datetime, limit: int = 200) -> Row:
        """What waits for a supervisor: caseworkers to confirm on cases, possible duplicates
        to settle, emergency accesses to confirm or flag."""
        self.settle()

        def cases(condition: str) -> list[Row]:
            rows = self.store.query(f"SELECT * FROM {{cases}} WHERE {condition} AND status IN"
                                    f" ({_OPEN}) ORDER BY opened_at LIMIT %s", [limit])
            return [self._case(r) for r in rows]

        grants = self.store.query("SELECT * FROM {emergency_accesses} WHERE review IS NULL"
                                  " ORDER BY granted_at LIMIT %s", [limit])
        return {"pending_assignments": cases("assignment_pending"),
                "possible_duplicates": cases("possible_duplicate"),
                "emergency_accesses": [
                    {**g, "granted_at": self.store.when(g["granted_at"]),
                     "expires_at": self.store.when(g["expires_at"]),
                     "active": now < (self.store.when(g["expires_at"]) or now)}
                    for g in grants]}

    # -- figures ---------------------------------------------------------------------------
    def workload(self, now: datetime, caseworker_id: str | None = None) -> Row:
        """Open cases per caseworker, by status and urgency, and their overdue follow-ups."""
        self.settle()
        rows = self.store.query(f"SELECT caseworker_id, status, urgency, count(*) AS n"
                                f" FROM {{cases}} WHERE status IN ({_OPEN})"
                                " GROUP BY caseworker_id, status, urgency")
        overdue = {r["caseworker_id"]: r["n"] for r in self.store.query(
            "SELECT c.caseworker_id, count(*) AS n FROM {follow_ups} f JOIN {cases} c"
            f" ON c.case_id = f.case_id WHERE f.done_at IS NULL AND f.due_at < %s"
            f" AND c.status IN ({_OPEN}) GROUP BY c.caseworker_id", [now])}
        people: dict[str, Row] = {}
        unassigned = 0
        for r in rows:
            if r["caseworker_id"] is None:
                unassigned += r["n"]
                continue
            person = people.setdefault(r["caseworker_id"], {
                "caseworker_id": r["caseworker_id"], "open_cases": 0, "by_status": {},
                "by_urgency": {}, "overdue_follow_ups": overdue.get(r["caseworker_id"], 0)})
            person["open_cases"] += r["n"]
            for key, value in (("by_status", r["status"]), ("by_urgency", r["urgency"])):
                person[key][value] = person[key].get(value, 0) + r["n"]
        items = sorted(people.values(), key=lambda p: (-p["open_cases"], p["caseworker_id"]))
        if caseworker_id is not None:
            items = [p for p in items if p["caseworker_id"] == caseworker_id]
        return {"items": items, "unassigned_cases": unassigned}

    def monthly_figures(self, month: str, now: datetime) -> Row:
        """The centre's monthly casework report. The case counts add up:
        pending_cases + new_cases + reopened_cases - closed_cases = open_at_month_end
        (a case closed and reopened in the month counts in both, as it went)."""
        self.settle()
        start, end = month_bounds(month)
        cutoff = min(end, now)

        def count(sql: str, params: list[Any]) -> int:
            return int(self.store.query(sql, params)[0]["n"])

        open_at = ("SELECT count(DISTINCT case_id) AS n FROM {case_periods}"
                   " WHERE opened_at < %s AND (closed_at IS NULL OR closed_at >= %s)")
        return {
            "month": month,
            "new_cases": count("SELECT count(*) AS n FROM {cases} WHERE month = %s", [month]),
            "pending_cases": count(open_at, [start, start]),
            "open_at_month_end": count(open_at, [end, end]),
            "reopened_cases": count(
                "SELECT count(*) AS n FROM {case_periods} p WHERE p.opened_at >= %s"
                " AND p.opened_at < %s AND p.opened_at > (SELECT min(q.opened_at)"
                " FROM {case_periods} q WHERE q.case_id = p.case_id)", [start, end]),
            "closed_cases": count("SELECT count(*) AS n FROM {case_periods}"
                                  " WHERE closed_at >= %s AND closed_at < %s", [start, end]),
            "follow_ups": {
                "scheduled": count("SELECT count(*) AS n FROM {follow_ups}"
                                   " WHERE due_at >= %s AND due_at < %s", [start, end]),
                "done": count("SELECT count(*) AS n FROM {follow_ups}"
                              " WHERE done_at >= %s AND done_at < %s", [start, end]),
                "overdue": count("SELECT count(*) AS n FROM {follow_ups} WHERE due_at >= %s"
                                 " AND due_at < %s AND (done_at IS NULL OR done_at >= %s)",
                                 [start, cutoff, cutoff])},
            "services_by_type": {r["service_type"]: r["n"] for r in self.store.query(
                "SELECT service_type, count(*) AS n FROM {services} WHERE month = %s"
                " GROUP BY service_type", [month])},
            "crisis_interventions": self._crisis(month),
            "new_cases_by_origin": self._origins(
                "SELECT origin_country AS country, count(*) AS n FROM {cases}"
                " WHERE month = %s GROUP BY origin_country", [month]),
            "handled_cases_by_origin": self._origins(
                "SELECT c.origin_country AS country, count(DISTINCT c.case_id) AS n"
                " FROM {case_periods} p JOIN {cases} c ON c.case_id = p.case_id"
                " WHERE p.opened_at < %s AND (p.closed_at IS NULL OR p.closed_at >= %s)"
                " GROUP BY c.origin_country", [end, start]),
        }

    def _crisis(self, month: str) -> Row:
        seconds = [r["response_seconds"] for r in self.store.query(
            "SELECT response_seconds FROM {services} WHERE month = %s"
            " AND service_type = 'crisis_intervention'", [month])]
        return {"count": len(seconds), "median_response_minutes":
                round(statistics.median(seconds) / 60, 1) if seconds else None}

    def _origins(self, sql: str, params: list[Any]) -> dict[str, dict[str, int]]:
        """continent -> country -> cases, as the centre reports its clients' origins."""
        grouped: dict[str, dict[str, int]] = defaultdict(dict)
        for r in self.store.query(sql, params):
            grouped[continent_of(r["country"])][r["country"] or "unknown"] = r["n"]
        return {continent: dict(sorted(countries.items()))
                for continent, countries in sorted(grouped.items())}
