"""The demo for `make dev`: three shelters, 24 beds, two isolation rooms, three months of
stays for casework's cases -- and what it leaves holds together."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from services.casework.application import Casework
from services.shelter.application import Shelters
from services.shelter.demo import load_demo
from services.shelter.projections import READ_MODELS
from shared.audit import CommandContext
from shared.bootstrap import attach_read_models
from shared.config import Settings
from shared.eventstore import close_key_vault

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SUPERVISOR = CommandContext(actor_id="sup-1", actor_role="supervisor", command="test")


def test_the_demo_lodges_casework_cases_in_three_shelters(monkeypatch):
    monkeypatch.setenv("HAVEN_SCHEMA_PREFIX",
                       Settings.from_env().schema_prefix + f"demo{uuid.uuid4().hex[:4]}_")
    cfg = Settings.from_env()
    casework = Casework(cfg)
    for n in range(36):  # the helpline demo's dozen a month
        opened = NOW - timedelta(days=90) + timedelta(days=n * 2.5)
        casework.clock = lambda at=opened: at
        casework.open_case(SUPERVISOR, client={
            "given_name": "Ana", "family_name": f"Demo{chr(65 + n % 26)}{n}", "birth_year": 1990,
            "gender": "Male" if n % 5 == 0 else "Female"}, origin_country="UA",
            urgency="emergency" if n % 4 == 0 else "urgent", opened_at=opened)
    casework.close()

    assert load_demo(cfg, now=NOW) > 20
    assert load_demo(cfg, now=NOW) == 0  # once

    app = Shelters(cfg)
    runner = attach_read_models(app, READ_MODELS)
    app.clock = lambda: NOW
    try:
        shelters = app.occupancy(SUPERVISOR)["shelters"]
        assert [s["code"] for s in shelters] == ["G", "N", "R"]
        assert sum(s["beds"] for s in shelters) == 24
        assert sum(s["isolation_rooms"] for s in shelters) == 2
        assert all(s["open"] for s in shelters)  # River House was cleared after its incident
        assert app.reconcile_occupancy(SUPERVISOR)["differences"] == []
        census = app.census(SUPERVISOR, (NOW - timedelta(days=89)).date(), NOW.date())
        assert census["bed_nights"] > 300 and max(d["bed_nights"] for d in census["days"]) <= 24
        statuses = Counter(row["state"] for row in app.views.beds())
        assert statuses["occupied"] > 3
    finally:
        assert runner is not None
        runner.close()
        app.close()
        close_key_vault(cfg)


def test_the_demo_fills_a_house_and_keeps_someone_waiting_whatever_casework_gave_it(
        monkeypatch):
    """The inboxes `make dev` shows hold a full house and a long wait on any day: the demo's
    police raid gives both even when casework has no case to lodge."""
    monkeypatch.setenv("HAVEN_SCHEMA_PREFIX",
                       Settings.from_env().schema_prefix + f"demo{uuid.uuid4().hex[:4]}_")
    cfg = Settings.from_env()
    assert load_demo(cfg, now=NOW) > 0
    app = Shelters(cfg)
    try:
        events = [app.mapper.to_domain_event(n)
                  for n in app.recorder.select_notifications(1, 100_000)]
        kinds = Counter(type(e).__name__ for e in events)
        assert kinds["PlacementWaitingLong"] >= 1
        assert any(type(e).__name__ == "AvailabilityChanged" and e.beds_free == 0 and e.open
                   for e in events)
    finally:
        app.close()
        close_key_vault(cfg)
