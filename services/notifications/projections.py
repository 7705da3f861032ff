"""Notifications' read models, fed from its own notification log: each member of staff's
inbox, the alerts (for ops and the metrics), deliveries, the rosters, and the due work.

`due_work` is the durable timer table: every reminder, escalation step and send that is
due at some time is a row, written here from the events that set it and deleted by the
events that end it -- so it is derived from the log, survives restarts and can always be
rebuilt. The poll (views.py, `claim_due`) claims due rows; the aggregates decide, by
token, whether the work is still current. No personal data: ids, codes, times, and the
texts the rules render from them.
"""

from __future__ import annotations

from typing import Any

from services.notifications.domain import Alert, Delivery, DeskShift, OnCallShift
from services.notifications.views import NotificationViews
from shared.projections import Cursor, Projection, ReadModelSet, handles, stream_id

FIRE, ESCALATE, DELIVER = "fire", "escalate", "deliver"


class DueWork(Projection):
    """One row per piece of work and its due time; `claimed_*`: which process holds it,
    until when (views.py, `claim_due`)."""

    name, version = "due_work", 1
    tables = {"due_work": "work_id text PRIMARY KEY, kind text NOT NULL, target_id text"
                          " NOT NULL, token text NOT NULL, due_at {timestamp} NOT NULL,"
                          " claimed_by text, claimed_until {timestamp}"}
    indexes = ("CREATE INDEX IF NOT EXISTS due_work_due ON {due_work} (due_at)",
               "CREATE INDEX IF NOT EXISTS due_work_target ON {due_work} (target_id)")

    @staticmethod
    def _set(cur: Cursor, kind: str, target: str, token: str, due_at: Any) -> None:
        """The one row of `kind` for `target`: an older token's row goes (it is stale)."""
        cur.execute("DELETE FROM {due_work} WHERE target_id = %s AND kind = %s", (target, kind))
        if due_at is not None:
            cur.execute("INSERT INTO {due_work} (work_id, kind, target_id, token, due_at)"
                        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (work_id) DO NOTHING",
                        (f"{kind}:{target}:{token}", kind, target, token, due_at))

    @staticmethod
    def _end(cur: Cursor, target: str) -> None:
        cur.execute("DELETE FROM {due_work} WHERE target_id = %s", (target,))

    @handles(Alert, "AlertScheduled")
    def scheduled(self, e: Any, cur: Cursor) -> None:
        self._set(cur, ESCALATE, stream_id(e), "", None)
        self._set(cur, FIRE, stream_id(e), str(e.token), e.due_at)

    @handles(Alert, "AlertSent")
    def sent(self, e: Any, cur: Cursor) -> None:
        self._set(cur, FIRE, stream_id(e), "", None)
        self._set(cur, ESCALATE, stream_id(e), f"{e.token}/1", e.escalation_due_at)

    @handles(Alert, "AlertEscalated")
    def escalated(self, e: Any, cur: Cursor) -> None:
        self._set(cur, ESCALATE, stream_id(e), f"{e.token}/{e.step + 1}", e.next_due_at)

    @handles(Alert, "AlertAcknowledged", "AlertResolved")
    def ended(self, e: Any, cur: Cursor) -> None:
        self._end(cur, stream_id(e))

    @handles(Delivery, "DeliveryQueued")
    def queued(self, e: Any, cur: Cursor) -> None:
        self._set(cur, DELIVER, stream_id(e), "1", e.queued_at)

    @handles(Delivery, "DeliveryRetryScheduled")
    def retrying(self, e: Any, cur: Cursor) -> None:
        self._set(cur, DELIVER, stream_id(e), str(e.attempt + 1), e.retry_at)

    @handles(Delivery, "Delivered", "DeliveryFailed")
    def finished(self, e: Any, cur: Cursor) -> None:
        self._end(cur, stream_id(e))


class Alerts(Projection):
    """Every alert and every inbox row: one per alert and recipient (a member of staff by
    name, or a role), with who acknowledged it and when."""

    name, version = "alerts", 1
    _state = ("status text NOT NULL, step integer NOT NULL, acknowledged_by text,"
              " acknowledged_role text, acknowledged_at {timestamp}, resolved_at {timestamp},"
              " resolution text")
    tables = {
        "alerts": ("alert_id text PRIMARY KEY, rule text NOT NULL, thing text NOT NULL,"
                   " category text NOT NULL,"
                   " severity text NOT NULL, case_id text, due_at {timestamp},"
                   " sent_at {timestamp}, " + _state),
        "inbox": ("alert_id text NOT NULL, address text NOT NULL, category text NOT NULL,"
                  " severity text NOT NULL, case_id text, case_reference text,"
                  " text text NOT NULL, link text NOT NULL, sent_at {timestamp} NOT NULL,"
                  " notified_at {timestamp} NOT NULL, " + _state
                  + ", PRIMARY KEY (alert_id, address)")}
    indexes = ("CREATE INDEX IF NOT EXISTS inbox_address ON {inbox} (address, notified_at)",
               "CREATE INDEX IF NOT EXISTS alerts_open ON {alerts} (status, severity)",
               "CREATE INDEX IF NOT EXISTS alerts_case ON {alerts} (case_id)",
               "CREATE INDEX IF NOT EXISTS alerts_thing ON {alerts} (rule, thing)")

    @staticmethod
    def _both(cur: Cursor, alert_id: str, **values: Any) -> None:
        cur.update("alerts", ("alert_id", alert_id), **values)
        cur.update("inbox", ("alert_id", alert_id), **values)

    @handles(Alert, "AlertScheduled")
    def scheduled(self, e: Any, cur: Cursor) -> None:
        alert = stream_id(e)
        cur.execute("DELETE FROM {alerts} WHERE alert_id = %s", (alert,))
        cur.execute("INSERT INTO {alerts} (alert_id, rule, thing, category, severity, case_id,"
                    " due_at, status, step) VALUES (%s, %s, %s, %s, %s, %s, %s, 'scheduled', 0)",
                    (alert, e.rule, e.thing, e.category, e.severity, e.case_id, e.due_at))
        # Moved (a hearing put off): what was sent about the old time no longer holds.
        cur.update("inbox", ("alert_id", alert), status="resolved", resolution="rescheduled")

    @handles(Alert, "AlertSent")
    def sent(self, e: Any, cur: Cursor) -> None:
        alert = stream_id(e)
        cur.update("alerts", ("alert_id", alert), status="sent", sent_at=e.sent_at, step=0,
                   acknowledged_by=None, acknowledged_role=None, acknowledged_at=None)
        cur.execute("DELETE FROM {inbox} WHERE alert_id = %s", (alert,))
        for address in e.addresses:
            cur.execute("INSERT INTO {inbox} (alert_id, address, category, severity, case_id,"
                        " case_reference, text, link, sent_at, notified_at, status, step)"
                        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, 'sent', 0)",
                        (alert, address, e.category, e.severity, e.case_id, e.case_reference,
                         e.text, e.link, e.sent_at, e.sent_at))

    @handles(Alert, "AlertEscalated")
    def escalated(self, e: Any, cur: Cursor) -> None:
        alert = stream_id(e)
        self._both(cur, alert, step=e.step)
        # Only those told now are notified again (not someone moved off the case since);
        # those told for the first time get the same row.
        for address in e.addresses:
            cur.execute("UPDATE {inbox} SET notified_at = %s WHERE alert_id = %s"
                        " AND address = %s", (e.escalated_at, alert, address))
            cur.execute("INSERT INTO {inbox} (alert_id, address, category, severity, case_id,"
                        " case_reference, text, link, sent_at, notified_at, status, step)"
                        " SELECT alert_id, %s, category, severity, case_id, case_reference,"
                        " text, link, sent_at, %s, status, step FROM {inbox}"
                        " WHERE alert_id = %s LIMIT 1 ON CONFLICT (alert_id, address) DO NOTHING",
                        (address, e.escalated_at, alert))

    @handles(Alert, "AlertAcknowledged")
    def acknowledged(self, e: Any, cur: Cursor) -> None:
        self._both(cur, stream_id(e), status="acknowledged", acknowledged_by=e.by,
                   acknowledged_role=e.role, acknowledged_at=e.at)

    @handles(Alert, "AlertResolved")
    def resolved(self, e: Any, cur: Cursor) -> None:
        self._both(cur, stream_id(e), status="resolved", resolved_at=e.at, resolution=e.reason)


class Deliveries(Projection):
    name, version = "deliveries", 1
    tables = {"deliveries": (
        "delivery_id text PRIMARY KEY, alert_id text NOT NULL, step integer NOT NULL,"
        " channel text NOT NULL, address text NOT NULL, status text NOT NULL,"
        " attempts integer NOT NULL, last_code integer, last_reason text,"
        " queued_at {timestamp} NOT NULL, updated_at {timestamp} NOT NULL")}
    indexes = ("CREATE INDEX IF NOT EXISTS deliveries_status ON {deliveries}"
               " (status, updated_at)",)

    @handles(Delivery, "DeliveryQueued")
    def queued(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {deliveries} (delivery_id, alert_id, step, channel, address,"
                    " status, attempts, queued_at, updated_at)"
                    " VALUES (%s, %s, %s, %s, %s, 'pending', 0, %s, %s)",
                    (stream_id(e), e.alert_id, e.step, e.channel, e.address, e.queued_at,
                     e.queued_at))

    @staticmethod
    def _attempt(cur: Cursor, e: Any, status: str, reason: str) -> None:
        cur.update("deliveries", ("delivery_id", stream_id(e)), status=status,
                   attempts=e.attempt, last_code=e.code, last_reason=reason, updated_at=e.at)

    @handles(Delivery, "Delivered")
    def delivered(self, e: Any, cur: Cursor) -> None:
        self._attempt(cur, e, "delivered", "accepted")

    @handles(Delivery, "DeliveryRetryScheduled")
    def retrying(self, e: Any, cur: Cursor) -> None:
        self._attempt(cur, e, "pending", e.reason)

    @handles(Delivery, "DeliveryFailed")
    def failed(self, e: Any, cur: Cursor) -> None:
        self._attempt(cur, e, "failed", e.reason)


class Rosters(Projection):
    """Who is on call (notifications' own roster) and who is at the helpline desk (from
    intake's shifts)."""

    name, version = "rosters", 1
    tables = {"on_call": ("shift_id text PRIMARY KEY, user_id text NOT NULL,"
                          " starts_at {timestamp} NOT NULL, ends_at {timestamp} NOT NULL"),
              "desk": ("shift_id text PRIMARY KEY, operator_id text NOT NULL,"
                       " started_at {timestamp}, ended_at {timestamp}")}
    indexes = ("CREATE INDEX IF NOT EXISTS on_call_ends ON {on_call} (ends_at)",)

    @handles(OnCallShift, "OnCallScheduled")
    def scheduled(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {on_call} (shift_id, user_id, starts_at, ends_at)"
                    " VALUES (%s, %s, %s, %s)", (stream_id(e), e.user_id, e.starts_at, e.ends_at))

    @handles(OnCallShift, "OnCallEnded")
    def ended(self, e: Any, cur: Cursor) -> None:
        cur.update("on_call", ("shift_id", stream_id(e)), ends_at=e.ends_at)

    @handles(DeskShift, "DeskShiftNoted")
    def desk_noted(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {desk} (shift_id, operator_id) VALUES (%s, %s)",
                    (stream_id(e), e.operator_id))

    @handles(DeskShift, "DeskShiftTimesNoted")
    def desk_times(self, e: Any, cur: Cursor) -> None:
        cur.update("desk", ("shift_id", stream_id(e)), started_at=e.started_at,
                   ended_at=e.ended_at)


def projections() -> list[Projection]:
    return [DueWork(), Alerts(), Deliveries(), Rosters()]


READ_MODELS = ReadModelSet(projections, NotificationViews)
