"""`haven stack` as production runs it on one machine: every process kind (services,
relays, gateways) as separate processes under supervisord, on PostgreSQL and RabbitMQ,
under steady load through the gateways. The faults:

- two replicas of each kind, and each kind killed in turn (SIGKILL); supervisord starts
  it again, its twin serving meanwhile;
- the broker stopped and started again (a RabbitMQ node of the test's own);
- the database crashed and started again (a PostgreSQL cluster of the test's own).

Afterwards nothing accepted is lost, nothing is done twice, every referral became exactly
one case, case references are unique and gap-free, and every store's hash chain
verifies. Run alone: `make faults`; how long each recovery took goes to var/faults.json
and the output."""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from shared.manifest import manifest
from shared.stack import Stack
from shared.testing.plugin import eventually, own_run
from tests.platform.private_broker import private_broker
from tests.platform.private_postgres import private_postgres
from tests.platform.stack_support import (
    Outcomes,
    all_up,
    assert_nothing_lost_or_doubled,
    gateways,
    has_cases,
    referred_contacts,
    running_stack,
    under_load,
)

REPORT = Path(os.environ.get("HAVEN_FAULTS_REPORT", "var/faults.json"))


def report(fault: str, figures: dict[str, Any]) -> None:
    """Recovery times, for the on-call engineer's runbook (and the closing note)."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    known = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    known[fault] = figures
    REPORT.write_text(json.dumps(known, indent=1) + "\n")
    print(f"\n{fault}: {json.dumps(figures)}")


def _killed_and_back(stack: Stack, name: str) -> float:
    """SIGKILL one process; seconds until supervisord has it running and ready again."""
    pid = int(stack.ctl("pid", name).stdout.strip())
    killed = time.monotonic()
    os.kill(pid, 9)
    eventually(lambda: stack.ctl("pid", name).stdout.strip() not in ("", "0", str(pid)),
               timeout=120)
    eventually(lambda: stack.health()[name] == "ready" and stack.states()[name] == "RUNNING",
               timeout=300)
    return round(time.monotonic() - killed, 1)


@pytest.mark.slow
@pytest.mark.faults
def test_two_replicas_of_every_kind_each_killed_under_load_lose_and_double_nothing(
        monkeypatch, tmp_path):
    with own_run(monkeypatch, f"st{uuid.uuid4().hex[:6]}"):
        monkeypatch.setenv("HAVEN_POSTGRES_POOL_SIZE", "1")  # 22 processes beside the run
        with running_stack(tmp_path / "stack", replicas=2) as stack:
            recovered: dict[str, float] = {}
            with under_load(gateways(stack)) as outcomes:
                for program in stack.programs:
                    if program.replica == 1:  # each kind once; its twin serves meanwhile
                        recovered[program.name] = _killed_and_back(stack, program.name)
            report("sigkill_each_kind", {"recovered_seconds": recovered,
                                         "accepted": len(outcomes.accepted),
                                         "unknown": len(outcomes.unknown)})
            assert_nothing_lost_or_doubled(outcomes)


def _recovery(stack: Stack, outcomes: Outcomes, back: float) -> dict[str, Any]:
    """Seconds from the fault's end (`back`) until every process is ready, and until a
    call referred since then is a case end to end (intake, its relay, the broker,
    casework's consumer); and what the clients saw."""
    eventually(lambda: all_up(stack), timeout=300)
    ready = round(time.monotonic() - back, 1)
    # The first referrals accepted since, held fixed: the load goes on referring, and on a
    # busy machine the newest referral is always still on its way to casework.
    first = eventually(lambda: referred_contacts(outcomes, back), timeout=300)
    eventually(lambda: has_cases(first), timeout=300)
    return {"every_process_ready_after_seconds": ready,
            "first_referral_through_after_seconds": round(time.monotonic() - back, 1),
            "accepted": len(outcomes.accepted), "unknown": len(outcomes.unknown),
            "answers_503_retried": outcomes.unavailable}


def _not_serving(stack: Stack) -> bool:
    """Every service process, the gateway among them, says it is not ready (or is down):
    none stays green around a container that lost its broker."""
    health = stack.health()
    return all(health[p.name] != "ready" for p in stack.programs if p.kind == "run")


@pytest.mark.slow
@pytest.mark.faults
def test_a_broker_restart_under_load_is_recovered_from_by_itself_losing_nothing(
        monkeypatch, tmp_path):
    with private_broker() as broker, \
            own_run(monkeypatch, f"br{uuid.uuid4().hex[:6]}", broker.uri):
        with running_stack(tmp_path / "stack", replicas=1) as stack:
            with under_load(gateways(stack)) as outcomes:
                down = time.monotonic()
                broker.stop_app()
                eventually(lambda: _not_serving(stack), timeout=120)
                outage = round(time.monotonic() - down, 1)
                broker.start_app()
                recovery = _recovery(stack, outcomes, back=time.monotonic())
            report("broker_restart", {"broker_down_seconds": outage, **recovery})
            assert_nothing_lost_or_doubled(outcomes)


def _without_store(stack: Stack) -> bool:
    """Every process that keeps a store says it is not ready: /ready checks the store."""
    health, stores = stack.health(), manifest().stores
    return all(health[p.name] != "ready" for p in stack.programs if p.service in stores)


@pytest.mark.slow
@pytest.mark.faults
def test_a_database_crash_under_load_is_recovered_from_by_itself_losing_nothing(
        monkeypatch, tmp_path):
    with private_postgres() as database:
        monkeypatch.setenv("HAVEN_POSTGRES_URL", database.url)
        monkeypatch.delenv("HAVEN_AUDIT_POSTGRES_URL", raising=False)
        with own_run(monkeypatch, f"pg{uuid.uuid4().hex[:6]}"), \
                running_stack(tmp_path / "stack", replicas=1) as stack:
            with under_load(gateways(stack)) as outcomes:
                down = time.monotonic()
                before = outcomes.unavailable
                database.crash()
                eventually(lambda: _without_store(stack), timeout=120)
                # Down until clients have met it: 503s, each retried, none refused.
                eventually(lambda: outcomes.unavailable >= before + 10, timeout=300)
                outage = round(time.monotonic() - down, 1)
                database.start()
                recovery = _recovery(stack, outcomes, back=time.monotonic())
            report("database_crash", {"database_down_seconds": outage, **recovery})
            assert_nothing_lost_or_doubled(outcomes)
