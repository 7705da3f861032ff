"""Queries of notifications' read models (projections.py), and the claim on due work.

`settle` runs before a query: it applies what the log holds so far, so a caseworker sees
the alert that has just been sent, and the poll sees the timer just set.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from shared.readstore import ReadModelStore, equal

Row = dict[str, Any]
# An inbox item: the same for every address an alert went to.
_ITEM = ("alert_id, category, severity, case_id, case_reference, text, link, sent_at, status,"
         " step, acknowledged_by, acknowledged_role, acknowledged_at, resolved_at, resolution")


class NotificationViews:
    def __init__(self, store: ReadModelStore, settle: Callable[[], Any] = lambda: None):
        self.store, self.settle = store, settle

    def _times(self, row: Row, *names: str) -> Row:
        return {**row, **{n: self.store.when(row[n]) for n in names}}

    # -- the inbox ------------------------------------------------------------------------
    def inbox(self, addresses: list[str], unread_only: bool = True,
              category: str | None = None, page: int = 1, page_size: int = 50) -> Row:
        """Newest first: what was sent to these addresses (a member of staff by name, and
        the role they act in), one item per alert; unread = neither acknowledged nor
        resolved."""
        self.settle()
        marks = ", ".join(["%s"] * len(addresses))
        where = f"address IN ({marks})" + (" AND status = 'sent'" if unread_only else "")
        params: list[Any] = list(addresses)
        if category is not None:
            where, params = where + " AND category = %s", [*params, category]
        total = self.store.query(f"SELECT count(DISTINCT alert_id) AS n FROM {{inbox}}"
                                 f" WHERE {where}", params)[0]["n"]
        rows = self.store.query(
            f"SELECT {_ITEM}, max(notified_at) AS notified_at FROM {{inbox}} WHERE {where}"
            f" GROUP BY {_ITEM} ORDER BY notified_at DESC, alert_id LIMIT %s OFFSET %s",
            [*params, page_size, (page - 1) * page_size])
        items = [self._times(r, "sent_at", "notified_at", "acknowledged_at", "resolved_at")
                 for r in rows]
        return {"items": items, "total": total, "page": page, "page_size": page_size}

    # -- due work: the durable timers -------------------------------------------------------
    def claim_due(self, now: datetime, worker: str, lease: timedelta, limit: int) -> list[Row]:
        """Due rows nobody holds, now held by `worker` until the lease ends: rows another
        process has locked are skipped, not waited for (FOR UPDATE SKIP LOCKED), and a
        worker that dies leaves its rows to be claimed again when the lease runs out."""
        self.settle()
        with self.store.transaction() as cur:
            skip_locked = cur.for_update + " SKIP LOCKED" if cur.for_update else ""
            rows = cur.fetch("SELECT work_id, kind, target_id, token, due_at FROM {due_work}"
                             " WHERE due_at <= %s AND (claimed_until IS NULL"
                             " OR claimed_until < %s) ORDER BY due_at, work_id LIMIT %s"
                             + skip_locked, [now, now, limit])
            for row in rows:
                cur.update("due_work", ("work_id", row["work_id"]), claimed_by=worker,
                           claimed_until=now + lease)
        return [self._times(row, "due_at") for row in rows]

    def done(self, work_id: str, worker: str) -> None:
        with self.store.transaction() as cur:
            cur.execute("DELETE FROM {due_work} WHERE work_id = %s AND claimed_by = %s",
                        (work_id, worker))

    def timer_lag(self, now: datetime) -> float:
        """Seconds the oldest due piece of work has waited: 0 when the poll keeps up."""
        row = self.store.query("SELECT min(due_at) AS due FROM {due_work} WHERE due_at <= %s",
                               [now])[0]
        due = self.store.when(row["due"])
        return max(0.0, (now - due).total_seconds()) if due else 0.0

    # -- alerts ----------------------------------------------------------------------------
    def open_alerts_of_cases(self, case_ids: list[str]) -> list[str]:
        if not case_ids:
            return []
        self.settle()
        marks = ", ".join(["%s"] * len(case_ids))
        rows = self.store.query(f"SELECT alert_id FROM {{alerts}} WHERE case_id IN ({marks})"
                                " AND status IN ('scheduled', 'sent')", list(case_ids))
        return [row["alert_id"] for row in rows]

    def open_alerts_about(self, rule: str, about: str) -> list[str]:
        """Open alerts of `rule` whose thing starts with `about` (a hearing's reminders)."""
        self.settle()
        rows = self.store.query("SELECT alert_id FROM {alerts} WHERE rule = %s"
                                " AND substr(thing, 1, %s) = %s"
                                " AND status IN ('scheduled', 'sent')", [rule, len(about), about])
        return [row["alert_id"] for row in rows]

    def open_alerts(self, severity: str | None, page: int, page_size: int) -> Row:
        """Sent and not acknowledged, oldest first: what is still waiting for someone."""
        self.settle()
        found = self.store.page("alerts", "sent_at, alert_id",
                                [("status = %s", "sent"), *equal(("severity",),
                                                                 {"severity": severity})],
                                page, page_size)
        return {**found, "items": [self._times(r, "due_at", "sent_at") for r in found["items"]]}

    def oldest_unacknowledged(self, now: datetime) -> float:
        """Seconds the oldest critical alert has waited for someone to acknowledge it."""
        row = self.store.query("SELECT min(sent_at) AS sent FROM {alerts}"
                               " WHERE status = 'sent' AND severity = 'critical'")[0]
        sent = self.store.when(row["sent"])
        return max(0.0, (now - sent).total_seconds()) if sent else 0.0

    def deliveries(self, status: str | None, channel: str | None, page: int,
                   page_size: int) -> Row:
        self.settle()
        found = self.store.page("deliveries", "updated_at DESC, delivery_id",
                                equal(("status", "channel"), {"status": status,
                                                              "channel": channel}),
                                page, page_size)
        return {**found, "items": [self._times(r, "queued_at", "updated_at")
                                   for r in found["items"]]}

    # -- rosters ------------------------------------------------------------------------------
    def on_call(self, at: datetime) -> list[Row]:
        self.settle()
        rows = self.store.query("SELECT * FROM {on_call} WHERE starts_at <= %s AND ends_at > %s"
                                " ORDER BY starts_at, shift_id", [at, at])
        return [self._times(r, "starts_at", "ends_at") for r in rows]

    def at_the_desk(self, at: datetime) -> list[str]:
        """Operators whose helpline shift covers `at` (one not yet ended counts as running)."""
        self.settle()
        rows = self.store.query("SELECT DISTINCT operator_id FROM {desk} WHERE started_at <= %s"
                                " AND (ended_at IS NULL OR ended_at > %s) ORDER BY operator_id",
                                [at, at])
        return [row["operator_id"] for row in rows]
