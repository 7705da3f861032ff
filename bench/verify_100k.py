"""How fast `haven audit verify` checks a store: seed N valid, chained events into a
throwaway store, record a checkpoint, and time verification (plain, and with checkpoints);
then add a day's new events and time `haven audit verify --since-checkpoint`, which reads
only those (and every signed checkpoint: `--checkpoints` spreads that many over the store,
as the relays would record them, to show what a long checkpoint chain costs).

    .venv/bin/python -m bench.verify_100k                 # 100,000 events on PostgreSQL
    .venv/bin/python -m bench.verify_100k --events 20000 --store sqlite
    .venv/bin/python -m bench.verify_100k --events 1000000 --new 5000 --checkpoints 300

Seeding goes through the chained recorder in large batches (its own chain code computes
the hashes), with stored events shaped like real ones (~0.4 KB of JSON with audit
metadata), 5 events per stream. Prints JSON; the schema or file is removed afterwards.
"""

from __future__ import annotations

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import argparse  # noqa: E402
import json  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from eventsourcing.persistence import StoredEvent  # noqa: E402

from shared import testing  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.eventstore import HavenApplication  # noqa: E402

TOPIC = "services.casework.domain:Case.ServiceProvided"
BATCH = 5000
VERSIONS = 5


class Seeded(HavenApplication):
    name = "verifybench"  # type: ignore[misc]


def stored_events(count: int, start: datetime) -> list[StoredEvent]:
    """`count` events, VERSIONS per stream, in the shape the mapper writes them."""
    return [event for _ in range(count // VERSIONS) for event in
            stream_events(uuid.uuid4(), range(1, VERSIONS + 1), start)]


def stream_events(oid: uuid.UUID, versions: range, start: datetime) -> list[StoredEvent]:
    """The events `versions` of stream `oid`, in the shape the mapper writes them."""
    events = []
    for version in versions:
        state = {"service": "psychological_support", "duration_minutes": 50,
                 "language": "uk", "provided_by": "cw-5", "notes": "pd1:" + oid.hex + ":"
                 + "A" * 60, "timestamp": {"_type_": "datetime_iso", "_data_": start.isoformat()},
                 "_audit": {"actor_id": "cw-5", "actor_role": "caseworker",
                            "command": "record_service", "correlation_id": str(uuid.uuid4()),
                            "causation_id": None, "reason": None, "service": "casework",
                            "recorded_at": start.isoformat()}}
        events.append(StoredEvent(oid, version, TOPIC, json.dumps(state).encode()))
    return events


def seed(app: HavenApplication, count: int, checkpoints: int = 0) -> int:
    """Insert `count` chained events in batches of BATCH, recording `checkpoints` signed
    checkpoints spread evenly among them; returns how many were stored."""
    from shared.audit_trail.checkpoints import record_checkpoint

    start, stored = datetime.now(UTC), 0
    every = max(count // checkpoints, VERSIONS) if checkpoints else count
    due = every
    while stored < count:
        size = min(BATCH, count - stored, due - stored)
        batch = stored_events(max(size - size % VERSIONS, VERSIONS), start)
        app.recorder.insert_events(batch)  # type: ignore[attr-defined]
        stored += len(batch)
        if stored >= due:
            if checkpoints:
                record_checkpoint(app)
            due += every
    return stored


def a_days_events(app: HavenApplication, count: int) -> int:
    """`count` new events after the last checkpoint: half of them continue streams begun
    before it (a case worked on again), the rest begin new ones; returns how many."""
    begun = {n.originator_id for n in app.recorder.select_notifications(  # type: ignore[attr-defined]
        start=1, limit=max(count // 2 * VERSIONS, VERSIONS))}
    now, events = datetime.now(UTC), []
    for oid in list(begun)[:count // 2]:
        events += stream_events(uuid.UUID(str(oid)), range(VERSIONS + 1, VERSIONS + 2), now)
    events += stored_events(count - len(events), now)
    for first in range(0, len(events), BATCH):
        app.recorder.insert_events(events[first:first + BATCH])  # type: ignore[attr-defined]
    return len(events)


def measure(cfg: Settings, count: int, new: int = 1000,
            checkpoints: int = 1) -> dict[str, object]:
    from shared.audit_trail.checkpoints import record_checkpoint, verify_since_checkpoint
    from shared.audit_trail.verification import verify_service
    from shared.verify import verify

    app = Seeded(cfg)
    try:
        started = time.perf_counter()
        stored = seed(app, count, checkpoints)
        seeding = time.perf_counter() - started
        record_checkpoint(app)
        plain = verify(app)
        audited = verify_service(app.name, cfg)
        assert plain.ok and audited.ok, (plain.summary(), audited.breaks[:3])
        assert audited.report is not None
        figures: dict[str, object] = {
            "store": cfg.store, "events": stored, "seed_seconds": round(seeding, 2),
            "verify_seconds": round(plain.elapsed, 3), "verify_rate": round(plain.rate),
            "audit_verify_seconds": round(audited.report.elapsed, 3),
            "audit_verify_rate": round(audited.report.rate),
            "streams": audited.report.streams, "checkpoints": len(audited.checkpoints)}
        if new:
            added = a_days_events(app, new)
            # Wall time of the whole incremental run: signed files, checkpoint table and
            # chain, the stream heads at the checkpoint, and the new events.
            started = time.perf_counter()
            since = verify_since_checkpoint(app.name, cfg)
            wall = time.perf_counter() - started
            assert since is not None and since.report.ok, since and since.report.breaks[:3]
            assert since.report.events == added, (since.report.events, added)
            figures.update({
                "incremental_new_events": added, "incremental_on_top_of": stored,
                "incremental_seconds": round(wall, 3),
                "incremental_chain_seconds": round(since.report.elapsed, 3),
                # the rest: every signed file's signature, the table, both chains -- a cost
                # that grows with the checkpoints kept (relays: one every 5 minutes)
                "incremental_checkpoint_seconds": round(wall - since.report.elapsed, 3),
                "incremental_checkpoints_checked": len(since.signed),
                "incremental_streams": since.report.streams})
        return figures
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--store", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--new", type=int, default=1000,
                        help="events added after the last checkpoint, for the incremental"
                             " verify (0: skip it)")
    parser.add_argument("--checkpoints", type=int, default=1,
                        help="signed checkpoints recorded while seeding (the relays record"
                             " one every few minutes: 288 a day)")
    args = parser.parse_args()
    print(json.dumps(measure_apart(Settings.from_env(), args.events, args.new,
                                   args.checkpoints, args.store), indent=2))


def measure_apart(base: Settings, count: int, new: int, checkpoints: int,
                  store: str = "postgres") -> dict[str, object]:
    """`measure` on a throwaway store of its own, removed afterwards."""
    run = testing.new_run_id()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = replace(base, store=store, schema_prefix=f"bench_{run}_", data_dir=Path(tmp),
                      checkpoint_dir=Path(tmp) / "checkpoints")
        try:
            return measure(cfg, count, new, checkpoints)
        finally:
            if store == "postgres":
                testing.drop_schemas(cfg, cfg.schema_prefix)


DAY_OF_CHECKPOINTS = 288  # the relays record one every 5 minutes


def measure_sizes(base: Settings, sizes: list[int]) -> dict[str, object]:
    """Full and incremental verify at each store size, a day's events (0.5 % of the store,
    at least 500) after the last of a day's worth of checkpoints."""
    return {str(size): measure_apart(base, size, max(500, size // 200), DAY_OF_CHECKPOINTS)
            for size in sizes}


if __name__ == "__main__":
    main()
