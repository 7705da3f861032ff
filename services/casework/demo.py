"""Demo data for `haven dev`: the work done on the cases that the helpline demo referred.

In embedded mode intake's demo refers about a dozen people a month; casework opens
their cases from those referrals over the in-memory broker, exactly as in
production. This demo waits for those cases, then does three months of work on them
in the centre's proportions: crisis intervention in new cases, social counselling
in every case, cultural mediation where needed, psychological, medical and legal
help, identification decisions, follow-ups, and closures. Every name is invented.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from services.casework.application import Casework
from services.casework.domain import Case
from shared.audit import CommandContext
from shared.config import Settings

CASEWORKERS = [f"cw-{n:02d}" for n in range(1, 6)]
SUPERVISOR = CommandContext(actor_id="sup-01", actor_role="supervisor", command="load_demo",
                            reason="demo_data")
# Share of cases that receive each service beyond the ones every case gets.
SERVICES = {"cultural_mediation": 0.8, "psychological_support": 0.6, "interpretation": 0.5,
            "legal_counsel": 0.5, "medical": 0.4, "transport": 0.3,
            "psychological_evaluation": 0.25, "material_aid": 0.3}


def load_demo(cfg: Settings, now: datetime | None = None, seed: int = 2009,
              between: Callable[[], None] = lambda: None, wait_seconds: float = 60.0) -> int:
    """Work on the referred cases; returns how many cases were worked on."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    app = Casework(cfg)
    try:
        cases = _referred_cases(app, between, wait_seconds)
        for case_id, opened_at in cases:
            _work_on(app, rng, case_id, opened_at, now or datetime.now(UTC))
            between()
        return len(cases)
    finally:
        app.close()


def _referred_cases(app: Casework, between: Callable[[], None],
                    wait_seconds: float) -> list[tuple[UUID, datetime]]:
    """The opened cases, once the flow of referrals has settled (or none came)."""
    topic = get_topic(Case.CaseOpened)  # type: ignore[attr-defined]
    deadline, seen, settled_since = time.monotonic() + wait_seconds, -1, time.monotonic()
    while True:
        opened = [n for n in app.recorder.select_notifications(1, 100_000, topics=[topic])]
        if len(opened) != seen:
            seen, settled_since = len(opened), time.monotonic()
        if (seen and time.monotonic() - settled_since > 3) or time.monotonic() > deadline:
            break
        between()
        time.sleep(0.2)
    cases = [app.load(Case, n.originator_id, sealed=True) for n in opened]
    return [(case.id, case.opened_at) for case in cases]


def _work_on(app: Casework, rng: random.Random, case_id: UUID, opened_at: datetime,
             now: datetime) -> None:
    worker = rng.choice(CASEWORKERS)
    app.assign_caseworker(SUPERVISOR, case_id, worker)
    ctx = CommandContext(actor_id=worker, actor_role="caseworker", command="load_demo",
                         reason="demo_data")
    age = now - opened_at

    def at(hours: float) -> datetime:
        return min(opened_at + timedelta(hours=hours), now - timedelta(minutes=1))

    app.record_consent(ctx, case_id, purpose="data_processing", recipient="any",
                       decision="granted", decided_on=opened_at.date())
    app.record_service(ctx, case_id, "crisis_intervention", provided_at=at(rng.uniform(0.5, 6)),
                       duration_minutes=rng.randrange(30, 180))
    app.record_service(ctx, case_id, "social_counselling", provided_at=at(rng.uniform(12, 72)),
                       duration_minutes=rng.randrange(45, 90))
    for service, share in SERVICES.items():
        if rng.random() < share:
            app.record_service(ctx, case_id, service, provided_at=at(rng.uniform(24, 24 * 30)),
                               duration_minutes=rng.randrange(30, 120))
    app.change_identification(ctx, case_id, "Presumed", "NGO", decided_on=at(24).date())
    if age > timedelta(days=30) and rng.random() < 0.4:
        app.change_identification(ctx, case_id, "Identified",
                                  rng.choice(["Police", "BorderGuard", "Prosecutor"]),
                                  decided_on=at(24 * 21).date())
    _follow_ups(app, rng, ctx, case_id, opened_at, now)
    if age > timedelta(days=60) and rng.random() < 0.3:
        app.close_case(ctx, case_id, rng.choice(["goals_achieved", "repatriated",
                                                 "referred_to_other_organisation"]),
                       closed_at=at(24 * 55))


def _follow_ups(app: Casework, rng: random.Random, ctx: CommandContext, case_id: UUID,
                opened_at: datetime, now: datetime) -> Any:
    due = opened_at + timedelta(days=14)
    while due < now + timedelta(days=14):
        scheduled = app.schedule_follow_up(ctx, case_id, due)
        if due < now and rng.random() < 0.85:  # the rest show as overdue
            app.complete_follow_up(ctx, case_id, UUID(scheduled["follow_up_id"]),
                                   done_at=min(due + timedelta(hours=rng.uniform(0, 48)),
                                               now - timedelta(minutes=1)))
        due += timedelta(days=14)
