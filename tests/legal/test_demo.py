"""Legal's demo data (`make dev`) works on the cases casework has, in their time order,
and gives the week's hearings, deadlines and disclosures something to show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.casework.application import Casework
from services.legal import demo
from services.legal.application import Legal
from services.legal.projections import READ_MODELS
from services.legal.tests.conftest import SUPERVISOR, case_in_casework
from shared.bootstrap import attach_read_models
from shared.config import Settings

NOW = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def cfg(monkeypatch, haven_run):
    """Stores of their own: the demo works on every case its legal store knows."""
    monkeypatch.setenv("HAVEN_SCHEMA_PREFIX", haven_run.schema_prefix + "demo_")
    return Settings.from_env()


def test_the_demo_gives_about_half_the_cases_a_matter_with_hearings_and_disclosures(cfg):
    legal, casework = Legal(cfg), Casework(cfg)
    casework.clock = legal.clock = lambda: NOW - timedelta(days=40)
    for _ in range(12):
        case_in_casework(legal, casework)
    opened = demo.load_demo(cfg, now=NOW, wait_seconds=5)
    assert 3 <= opened <= 10
    runner = attach_read_models(legal, READ_MODELS)
    assert runner is not None
    legal.clock = lambda: NOW
    try:
        this_fortnight = [*legal.hearings_this_week(SUPERVISOR)["items"],
                          *legal.hearings_this_week(
                              SUPERVISOR, week_of_day=(NOW + timedelta(days=7)).date())["items"]]
        assert len({h["matter_id"] for h in this_fortnight}) == opened
        assert legal.deadlines_due(SUPERVISOR)["items"]
        assert legal.disclosure_list(SUPERVISOR, status="made")["items"]
        case = legal.matter_list(SUPERVISOR)["items"][0]
        assert case["opened_at"] <= NOW and case["case_reference"]
        assert legal.get_matter(SUPERVISOR, UUID(case["matter_id"]))["deadlines"]
    finally:
        runner.close()
        legal.close()
        casework.close()
