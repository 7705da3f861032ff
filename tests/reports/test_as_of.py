"""Which instant a month's figures are taken at when none is named: fixed once the month is
past its cutoff (so the report is the same whenever it is made), else now and provisional."""

import dataclasses
from datetime import UTC, datetime

import pytest

from shared.config import Settings
from shared.reports.figures import default_as_of, month_bounds

pytestmark = pytest.mark.no_servers


def test_a_past_month_is_taken_as_recorded_a_cutoff_after_it_ended():
    cfg = dataclasses.replace(Settings.from_env(), report_cutoff_days=7)
    cutoff = datetime(2026, 4, 8, tzinfo=UTC)
    for now in (cutoff, datetime(2026, 9, 1, tzinfo=UTC), datetime(2031, 1, 1, tzinfo=UTC)):
        assert default_as_of("2026-03", cfg, now) == (cutoff, False)


def test_a_month_before_its_cutoff_is_counted_as_it_stands_and_marked_provisional():
    cfg = dataclasses.replace(Settings.from_env(), report_cutoff_days=7)
    now = datetime(2026, 4, 3, 12, tzinfo=UTC)
    assert default_as_of("2026-03", cfg, now) == (now, True)


def test_months_are_utc_calendar_months():
    assert month_bounds("2026-12") == (datetime(2026, 12, 1, tzinfo=UTC),
                                       datetime(2027, 1, 1, tzinfo=UTC))
    assert month_bounds("2026-02")[1] == datetime(2026, 3, 1, tzinfo=UTC)
