"""What a shelter command costs as a shelter's history grows, on this machine:

    .venv/bin/python -m tests.shelter.measure 300

`300` stays are admitted and discharged one after another in one shelter (about four
events each in its stream); admission and discharge are timed early and late, and so is
reading the shelter back (cold: a process that has not read it yet; warm: the process's
cache, fast-forwarded). On schemas of its own, dropped at the end. Not a test: speed is
measured, never asserted.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from shared.process import prepare_service_process

prepare_service_process()
os.environ["HAVEN_SCHEMA_PREFIX"] = f"measure{uuid.uuid4().hex[:6]}_"

from services.shelter.application import Shelters  # noqa: E402 - after the preparation
from services.shelter.domain import Shelter  # noqa: E402
from services.shelter.projections import READ_MODELS  # noqa: E402
from shared.audit import CommandContext  # noqa: E402
from shared.bootstrap import attach_read_models  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.testing import drop_schemas  # noqa: E402

SUPERVISOR = CommandContext(actor_id="sup", actor_role="supervisor", command="measure")
STAFF = CommandContext(actor_id="staff", actor_role="shelter_staff", command="measure")


def ms(times: list[float]) -> str:
    ordered = sorted(times)
    return (f"median {statistics.median(ordered) * 1000:.1f} ms,"
            f" p95 {ordered[int(len(ordered) * 0.95)] * 1000:.1f} ms")


def main(stays: int) -> None:
    cfg = Settings.from_env()
    app = Shelters(cfg)
    runner = attach_read_models(app, READ_MODELS)
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    app.clock = lambda: now[0]
    try:
        shelter_id = app.register_shelter(SUPERVISOR, "M", "Measured House", "x", rooms=[
            {"name": room, "beds": ["1", "2"]} for room in "ABCDEFGHIJ"])["shelter_id"]
        app.assign_staff(SUPERVISOR, shelter_id, "staff")
        admit, discharge = [], []
        for _ in range(stays):
            stay = app.night_intake(STAFF, gender="Female", referred_by="police")["stay_id"]
            now[0] += timedelta(hours=3)
            started = time.perf_counter()
            app.admit_resident(STAFF, stay)
            admit.append(time.perf_counter() - started)
            now[0] += timedelta(days=1)
            started = time.perf_counter()
            app.discharge_resident(STAFF, stay, "independent_living")
            discharge.append(time.perf_counter() - started)
        started = time.perf_counter()
        events = app.load(Shelter, shelter_id, sealed=False).version  # uncached: a cold read
        cold = time.perf_counter() - started
        started = time.perf_counter()
        app.load(Shelter, shelter_id, sealed=True)
        warm = time.perf_counter() - started
        print(f"{stays} stays; the shelter's stream holds {events} events")
        print(f"reading the shelter: cold {cold * 1000:.1f} ms, warm {warm * 1000:.1f} ms")
        print(f"admit, first 50: {ms(admit[:50])}; last 50: {ms(admit[-50:])}")
        print(f"discharge (and offering the bed), last 50: {ms(discharge[-50:])}")
    finally:
        if runner is not None:
            runner.close()
        app.close()
        drop_schemas(cfg, cfg.schema_prefix)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
