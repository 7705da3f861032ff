"""The questions asked of the shelters' read models: occupancy per shelter and room, the
waiting list with waiting times, the daily census with bed nights, length of stay; and the
candidates the poll (due.py) decides on.

`settle` runs first: it applies what the log holds so far, so staff see the bed they have
just taken. Times that decide "now" come in from the application's clock.

A bed night is counted for the night that ends at midnight UTC after a date: whoever holds
a bed at that midnight stayed that night (HMIS's night-by-night method). A stay that
begins and ends on one day has no bed night.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from shared.projections import ReadModelStore

Row = dict[str, Any]
# Fixed codes, never input: emergency first, then urgent, then routine.
PRIORITY = ("coalesce(s.priority, c.urgency, 'routine')")
PRIORITY_ORDER = (f"CASE {PRIORITY} WHEN 'emergency' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END,"
                  " s.requested_at, s.stay_id")
WAITING = ("SELECT s.*, c.reference AS case_reference, " + PRIORITY + " AS urgency"
           " FROM {stays} s LEFT JOIN {case_files} c ON c.case_id = s.case_id")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a UTC calendar month "YYYY-MM"."""
    start = datetime.fromisoformat(month + "-01").replace(tzinfo=UTC)
    return start, (start + timedelta(days=32)).replace(day=1)


def midnight_after(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), tzinfo=UTC)


class ShelterViews:
    def __init__(self, store: ReadModelStore, settle: Callable[[], Any] = lambda: None):
        self.store, self.settle = store, settle

    def _times(self, row: Row, *names: str) -> Row:
        return {**row, **{n: self.store.when(row[n]) for n in names}}

    # -- occupancy ----------------------------------------------------------------------------
    def occupancy(self, shelter_id: str | None = None) -> Row:
        """Per shelter and room: beds free, held, occupied, out of service; isolation rooms."""
        self.settle()
        where, params = ("WHERE shelter_id = %s", [shelter_id]) if shelter_id else ("", [])
        shelters = self.store.query(f"SELECT * FROM {{shelters}} {where} ORDER BY code", params)
        rooms = self.store.query(f"SELECT * FROM {{rooms}} {where} ORDER BY name", params)
        beds = self.store.query(f"SELECT * FROM {{beds}} {where} ORDER BY label", params)
        beds_of: dict[str, list[Row]] = defaultdict(list)
        for bed in beds:
            beds_of[bed["room_id"]].append(bed)
        rooms_of: dict[str, list[Row]] = defaultdict(list)
        for room in rooms:
            rooms_of[room["shelter_id"]].append(self._room(room, beds_of[room["room_id"]]))
        return {"shelters": [self._shelter(s, rooms_of[s["shelter_id"]]) for s in shelters]}

    def _room(self, room: Row, beds: list[Row]) -> Row:
        states = Counter(b["state"] for b in beds)
        out = room["out_of_service_reason"]
        return {"room_id": room["room_id"], "name": room["name"], "tags": room["tags"].split(),
                "beds": len(beds), "occupied": states["occupied"], "held": states["held"],
                "free": 0 if out else states["free"],
                "out_of_service": None if out is None else {
                    "reason": out, "since": self.store.when(room["out_of_service_since"]),
                    "until": self.store.when(room["out_of_service_until"])}}

    def _shelter(self, shelter: Row, rooms: list[Row]) -> Row:
        is_open = bool(shelter["open"])
        in_service = [r for r in rooms if r["out_of_service"] is None]
        isolation = [r for r in rooms if "isolation" in r["tags"]]
        return {"shelter_id": shelter["shelter_id"], "code": shelter["code"],
                "name": shelter["name"], "open": is_open,
                "relocating": bool(shelter["relocating"]),
                "beds": sum(r["beds"] for r in rooms),
                "beds_in_service": sum(r["beds"] for r in in_service),
                "occupied": sum(r["occupied"] for r in rooms),
                "held": sum(r["held"] for r in rooms),
                "beds_free": sum(r["free"] for r in in_service) if is_open else 0,
                "isolation_rooms": len(isolation),
                "isolation_rooms_free": sum(r["out_of_service"] is None and r["free"] == r["beds"]
                                            for r in isolation) if is_open else 0,
                "rooms_out_of_service": len(rooms) - len(in_service), "rooms": rooms}

    def beds(self) -> list[Row]:
        """Every bed's state, for the reconciliation with the shelters' own events."""
        self.settle()
        return self.store.query("SELECT bed_id, shelter_id, state, stay_id FROM {beds}")

    def beds_free(self) -> int:
        self.settle()
        rows = self.store.query(
            "SELECT count(*) AS n FROM {beds} b JOIN {rooms} r ON r.room_id = b.room_id"
            " JOIN {shelters} s ON s.shelter_id = b.shelter_id WHERE b.state = 'free'"
            " AND r.out_of_service_reason IS NULL AND s.open")
        return int(rows[0]["n"])

    # -- the waiting list -----------------------------------------------------------------------
    def waiting_list(self, now: datetime, limit: int = 200) -> Row:
        """Emergencies first, then the longest wait; held beds with their expiry."""
        self.settle()
        rows = self.store.query(WAITING + " WHERE s.status IN ('waiting', 'held')"
                                " ORDER BY " + PRIORITY_ORDER + " LIMIT %s", [limit])
        items = []
        for row in rows:
            row = self._times(row, "requested_at", "waiting_since", "hold_expires_at")
            items.append({**{k: row[k] for k in (
                "stay_id", "case_id", "case_reference", "source", "status", "urgency",
                "accompanying_children", "gender", "needed_from", "requested_at",
                "shelter_id", "hold_expires_at", "isolation_reason")},
                "needs_isolation": bool(row["needs_isolation"]),
                "waiting_long": bool(row["waiting_long"]),
                "waiting_minutes": int((now - row["requested_at"]).total_seconds() // 60)})
        return {"at": now, "items": items}

    # -- what the poll decides on ---------------------------------------------------------------
    def _ids(self, template: str, params: list[Any]) -> list[str]:
        self.settle()
        return [row["stay_id"] for row in self.store.query(template, params)]

    def due_holds(self, now: datetime) -> list[str]:
        return self._ids("SELECT stay_id FROM {stays} WHERE status = 'held'"
                         " AND hold_expires_at <= %s ORDER BY hold_expires_at", [now])

    def waiting_since(self, cutoff: datetime) -> list[str]:
        return self._ids("SELECT stay_id FROM {stays} WHERE status = 'waiting'"
                         " AND NOT waiting_long AND waiting_since <= %s", [cutoff])

    def waiting_for_offer(self, today: date, limit: int = 50) -> list[str]:
        return self._ids(WAITING + " WHERE s.status = 'waiting' AND s.auto_hold"
                         " AND (s.needed_from IS NULL OR s.needed_from <= %s)"
                         " ORDER BY " + PRIORITY_ORDER + " LIMIT %s",
                         [today.isoformat(), limit])

    def rooms_due(self, now: datetime) -> list[tuple[str, str]]:
        self.settle()
        rows = self.store.query("SELECT shelter_id, room_id FROM {rooms}"
                                " WHERE out_of_service_until <= %s", [now])
        return [(row["shelter_id"], row["room_id"]) for row in rows]

    def relocating(self) -> list[str]:
        self.settle()
        return [row["shelter_id"] for row in
                self.store.query("SELECT shelter_id FROM {shelters} WHERE relocating")]

    # -- figures -----------------------------------------------------------------------------
    def census(self, date_from: date, date_to: date, shelter_id: str | None = None) -> Row:
        """Residents at each midnight from `date_from` to `date_to` (inclusive), per shelter:
        the bed nights a funder asks for."""
        self.settle()
        start, end = midnight_after(date_from), midnight_after(date_to)
        rows = self.store.query(
            "SELECT g.shelter_id, s.code, g.started_at, g.ended_at FROM {stay_segments} g"
            " JOIN {shelters} s ON s.shelter_id = g.shelter_id WHERE g.started_at <= %s"
            " AND (g.ended_at IS NULL OR g.ended_at > %s)"
            + (" AND g.shelter_id = %s" if shelter_id else ""),
            [end, start, *([shelter_id] if shelter_id else [])])
        segments = [self._times(r, "started_at", "ended_at") for r in rows]
        days = []
        for n in range((date_to - date_from).days + 1):
            day = date_from + timedelta(days=n)
            moment = midnight_after(day)
            present = Counter(s["code"] for s in segments if s["started_at"] <= moment
                              and (s["ended_at"] is None or s["ended_at"] > moment))
            days.append({"date": day, "bed_nights": sum(present.values()),
                         "by_shelter": dict(sorted(present.items()))})
        return {"date_from": date_from, "date_to": date_to, "days": days,
                "bed_nights": sum(d["bed_nights"] for d in days)}

    def length_of_stay(self, month_start: datetime, month_end: datetime, now: datetime) -> Row:
        """Stays that ended with a discharge in the month, in days; and those still going."""
        self.settle()
        ended = [self._times(r, "admitted_at", "ended_at") for r in self.store.query(
            "SELECT admitted_at, ended_at, end_reason FROM {stays} WHERE status = 'discharged'"
            " AND ended_at >= %s AND ended_at < %s", [month_start, month_end])]
        days = [(r["ended_at"] - r["admitted_at"]).total_seconds() / 86400 for r in ended]
        current = [(now - r["admitted_at"]).total_seconds() / 86400 for r in (
            self._times(r, "admitted_at") for r in self.store.query(
                "SELECT admitted_at FROM {stays} WHERE status = 'resident'"))]
        return {"discharged": len(days), **_summary(days, "days"),
                "by_reason": dict(Counter(r["end_reason"] for r in ended)),
                "residents": len(current), **_summary(current, "days_so_far")}


def _summary(values: list[float], name: str) -> Row:
    if not values:
        return {f"mean_{name}": None, f"median_{name}": None, f"max_{name}": None}
    return {f"mean_{name}": round(statistics.fmean(values), 1),
            f"median_{name}": round(statistics.median(values), 1),
            f"max_{name}": round(max(values), 1)}
