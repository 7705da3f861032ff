"""The demo as `make dev` makes it (tests/conftest.py's `embedded_demo`, made once for
the run), and a month of the centre's work on top of it: the outreach the demo does
not record, and cases closed and reopened (the demo closes none in its one month)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from shared.audit import CommandContext
from shared.bootstrap import build_application
from shared.config import Settings
from tests.reports.support import live_views

OPERATOR = CommandContext(actor_id="op-01", actor_role="helpline_operator", command="test")
SUPERVISOR = CommandContext(actor_id="sup-01", actor_role="supervisor", command="test")


@dataclass(frozen=True)
class DemoMonth:
    cfg: Settings
    month: str  # a month with at least 15 of the demo's 30 days in it
    as_of: datetime  # after everything the fixture recorded
    participants: int  # the month's prevention activities, as recorded here
    activities: int
    closed: list[datetime]  # when the fixture closed cases, and reopened them
    reopened: list[datetime]


def demo_month_of(now: datetime) -> tuple[str, datetime]:
    """The calendar month of the demo's middle day: the month most of it fell in (so at
    least 15 days of the demo's one month, whatever day the tests run)."""
    start = (now - timedelta(days=15)).replace(day=1, hour=0, minute=0, second=0,
                                               microsecond=0)
    return start.strftime("%Y-%m"), start


@pytest.fixture(scope="package")
def demo_month(embedded_demo) -> DemoMonth:
    cfg = embedded_demo
    month, start = demo_month_of(datetime.now(UTC))
    activities = record_outreach(cfg, start)
    closed, reopened = close_and_reopen(cfg, start)
    return DemoMonth(cfg, month, datetime.now(UTC),
                     sum(a["participants"] for a in activities), len(activities),
                     closed, reopened)


def record_outreach(cfg: Settings, start: datetime) -> list[dict]:
    """Consultations and prevention activities of the month, one of them withdrawn."""
    intake = build_application("intake", cfg)
    activities = [
        {"kind": "training", "title": "Indicators of trafficking for labour inspectors",
         "audience": "public_officials", "held_at": start + timedelta(days=3, hours=10),
         "participants": 31, "materials_distributed": 60, "language": "pl"},
        {"kind": "workshop", "title": "Safe work abroad", "audience": "youth_and_students",
         "held_at": start + timedelta(days=9, hours=12), "participants": 24,
         "materials_distributed": 24, "language": "pl"},
        {"kind": "publication", "title": "Leaflet for seasonal workers",
         "audience": "general_public", "held_at": start + timedelta(days=12),
         "participants": 0, "materials_distributed": 500, "language": "uk"},
    ]
    try:
        for n, institution_type in enumerate(("CentralGovernmentOrganisation",
                                              "LocalGovernmentOrganisation") * 3):
            intake.record_consultation(
                OPERATOR, institution="Urząd Wojewódzki", institution_type=institution_type,
                topic="referral_procedures", outcome="agreement_reached", channel="in_person",
                held_at=start + timedelta(days=2 + n), follow_up_action=None,
                follow_up_due=None)
        for activity in activities:
            intake.record_prevention_activity(OPERATOR, **activity)
        wrong = intake.record_prevention_activity(OPERATOR, **{**activities[0],
                                                               "participants": 300})
        intake.withdraw_outreach_record(SUPERVISOR, UUID(str(wrong["activity_id"])),
                                        "duplicate")
    finally:
        intake.close()
    return activities


def close_and_reopen(cfg: Settings, start: datetime) -> tuple[list[datetime], list[datetime]]:
    """Of the month's first cases: one closed and reopened within the month, one closed
    in it and reopened now (in the month after, or later in the same), one closed for
    good. Returns when cases were closed, and reopened."""
    closed, reopened = [], []
    with live_views("casework", cfg) as views:
        found = views.case_list(date_from=start, page_size=500)["items"]
    casework = build_application("casework", cfg)
    try:
        cases = sorted(found, key=lambda c: c["opened_at"])[:3]
        assert len(cases) == 3, "the demo opens a dozen cases a month"
        for n, case in enumerate(cases):
            case_id, opened = UUID(case["case_id"]), case["opened_at"]
            closed.append(opened + timedelta(days=1))
            casework.close_case(SUPERVISOR, case_id, "goals_achieved", closed_at=closed[-1])
            if n < 2:
                reopened.append(opened + timedelta(days=2) if n == 0 else datetime.now(UTC))
                casework.reopen_case(SUPERVISOR, case_id, reopened_at=reopened[-1])
    finally:
        casework.close()
    return closed, reopened
