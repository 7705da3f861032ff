"""Issue 11: the casework monthly figures add up over the demo data, every month of it:
pending at the month's start + new + reopened - closed = open at the month's end, with
cases closed and reopened on top of the demo (conftest.py) -- and each term is what the
events say."""

from __future__ import annotations

from datetime import UTC, datetime

from shared.reports.figures import month_bounds
from tests.reports import recount
from tests.reports.support import live_views

TERMS = ("pending_cases", "new_cases", "reopened_cases", "closed_cases", "open_at_month_end")


def months_of(first: datetime, last: datetime) -> list[str]:
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def test_pending_plus_new_plus_reopened_minus_closed_is_open_at_month_end_every_month(
        demo_month):
    now = datetime.now(UTC)
    with live_views("casework", demo_month.cfg) as views:
        cases = views.case_list(page_size=10_000)["items"]
        first = min(c["opened_at"] for c in cases)
        checked = {month: views.monthly_figures(month, now) for month in months_of(first, now)}
    assert len(checked) >= 2 and demo_month.month in checked
    for month, figures in checked.items():
        reopened = figures.get("reopened_cases", 0)  # absent, it is the report
        assert (figures["pending_cases"] + figures["new_cases"] + reopened
                - figures["closed_cases"]) == figures["open_at_month_end"], (month, figures)
        start, end = month_bounds(month)
        counted = recount.casework(demo_month.cfg, now, start, end)
        assert {k: figures[k] for k in TERMS} == {k: counted[k] for k in TERMS}, month
    assert sum(f["reopened_cases"] for f in checked.values()) >= 2  # the fixture's two
    for month, figures in checked.items():  # what the fixture did, month by month
        start, end = month_bounds(month)
        assert figures["reopened_cases"] >= sum(start <= t < end for t in demo_month.reopened)
        assert figures["closed_cases"] >= sum(start <= t < end for t in demo_month.closed)
