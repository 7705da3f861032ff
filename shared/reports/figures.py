"""The centre's monthly figures, from every service's events as recorded at one instant.

    figures = monthly_figures("2026-03", cfg)               # as of the month's cutoff
    figures = monthly_figures("2026-03", cfg, as_of=t)      # as recorded at t

Each section is a service's own read-model query (the one its dashboard asks), run on its
read models rebuilt from the events recorded up to `as_of` (shared.reports.asof). A
section whose service is not installed, or has recorded nothing yet, says so instead of
showing zeros that would read as "nothing happened".

The default instant is the month's end plus `report_cutoff_days` (Settings): work done in
a month is often recorded a few days later. A report asked for before that instant is
marked provisional and counts what is recorded so far.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.audit_trail.decode import plain
from shared.config import Settings
from shared.reports.asof import Unavailable, read_models_as_of

Figures = dict[str, Any]


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """[start, end) of a UTC calendar month "YYYY-MM"."""
    start = datetime.strptime(month + "-01", "%Y-%m-%d").replace(tzinfo=UTC)
    return start, (start + timedelta(days=32)).replace(day=1)


def default_as_of(month: str, cfg: Settings, now: datetime) -> tuple[datetime, bool]:
    """(the instant the month's figures are taken at, whether that is still to come)."""
    cutoff = month_bounds(month)[1] + timedelta(days=cfg.report_cutoff_days)
    return (cutoff, False) if cutoff <= now else (now, True)


# -- the sections: which service answers, and with which of its queries -------------------
def _helpline(views: Any, month: str, start: datetime, end: datetime,
              as_of: datetime) -> Figures:
    return dict(views.helpline_stats(month))


def _outreach(views: Any, month: str, start: datetime, end: datetime,
              as_of: datetime) -> Figures:
    return dict(views.outreach_stats(month))


def _casework(views: Any, month: str, start: datetime, end: datetime,
              as_of: datetime) -> Figures:
    return dict(views.monthly_figures(month, as_of))


def _shelter(views: Any, month: str, start: datetime, end: datetime,
             as_of: datetime) -> Figures:
    census = views.census(start.date(), (end - timedelta(days=1)).date())
    nights = [day["bed_nights"] for day in census["days"]]
    by_shelter: dict[str, int] = {}
    for day in census["days"]:
        for code, n in day["by_shelter"].items():
            by_shelter[code] = by_shelter.get(code, 0) + n
    return {"bed_nights": census["bed_nights"], "nights": len(nights),
            "average_beds_occupied": round(census["bed_nights"] / len(nights), 1),
            "peak_beds_occupied": max(nights, default=0),
            "bed_nights_by_shelter": dict(sorted(by_shelter.items()))}


def _legal(views: Any, month: str, start: datetime, end: datetime, as_of: datetime) -> Figures:
    hearings = views.hearings(start, end)["items"]
    by_type: dict[str, int] = {}
    for hearing in hearings:
        by_type[hearing["hearing_type"]] = by_type.get(hearing["hearing_type"], 0) + 1
    return {"hearings": len(hearings), "hearings_by_type": dict(sorted(by_type.items())),
            "hearings_with_interpreter": sum(1 for h in hearings if h["interpreter_needed"]),
            "hearings_with_accompaniment": sum(1 for h in hearings
                                               if h["accompaniment_needed"]),
            "sessions_done": dict(sorted(views.sessions(start, end)["done"].items()))}


Query = Callable[[Any, str, datetime, datetime, datetime], Figures]
# (section, the service whose read models answer it, the query), in the report's order.
SECTIONS: tuple[tuple[str, str, Query], ...] = (
    ("helpline", "intake", _helpline),
    ("casework", "casework", _casework),
    ("shelter", "shelter", _shelter),
    ("legal", "legal", _legal),
    ("outreach", "intake", _outreach),
)


@dataclass(frozen=True)
class Section:
    name: str
    service: str
    figures: Figures | None  # None: not available, and `missing` says why
    missing: str | None = None
    events: int = 0  # events the figures were counted from
    position: int = 0  # the newest of them, in the service's log


@dataclass(frozen=True)
class MonthlyFigures:
    month: str
    as_of: datetime
    provisional: bool
    sections: dict[str, Section] = field(default_factory=dict)

    def figures(self, section: str) -> Figures | None:
        return self.sections[section].figures

    def to_dict(self) -> dict[str, Any]:
        return plain({"month": self.month, "as_of": self.as_of,
                      "provisional": self.provisional,
                      "sections": {name: asdict(s) for name, s in self.sections.items()}})


def monthly_figures(month: str, cfg: Settings, as_of: datetime | None = None,
                    now: datetime | None = None) -> MonthlyFigures:
    """Every section of the month, counted from the events recorded up to `as_of`."""
    now = now or datetime.now(UTC)
    if as_of is None:
        as_of, provisional = default_as_of(month, cfg, now)
    else:  # an instant still to come: what is recorded until then would change the figures
        provisional = as_of > now
    start, end = month_bounds(month)
    sections: dict[str, Section] = {}
    for service in dict.fromkeys(service for _, service, _ in SECTIONS):
        asked = [(name, query) for name, source, query in SECTIONS if source == service]
        try:
            with read_models_as_of(service, cfg, as_of) as replayed:
                for name, query in asked:
                    sections[name] = Section(name, service,
                                             query(replayed.views, month, start, end, as_of),
                                             None, replayed.events,
                                             replayed.last_notification_id)
        except Unavailable as missing:
            for name, _ in asked:
                sections[name] = Section(name, service, None, str(missing))
    ordered = {name: sections[name] for name, _, _ in SECTIONS}
    return MonthlyFigures(month, as_of, provisional, ordered)
