"""How fast `haven audit verify` checks a store: seed N valid, chained events into a
throwaway store, record a checkpoint, and time verification (plain, and with checkpoints).

    .venv/bin/python -m bench.verify_100k                 # 100,000 events on PostgreSQL
    .venv/bin/python -m bench.verify_100k --events 20000 --store sqlite

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
    events = []
    for _ in range(count // VERSIONS):
        oid = uuid.uuid4()
        for version in range(1, VERSIONS + 1):
            state = {"service": "psychological_support", "duration_minutes": 50,
                     "language": "uk", "provided_by": "cw-5", "notes": "pd1:" + oid.hex + ":"
                     + "A" * 60, "timestamp": {"_type_": "datetime_iso",
                                               "_data_": start.isoformat()},
                     "_audit": {"actor_id": "cw-5", "actor_role": "caseworker",
                                "command": "record_service", "correlation_id": str(uuid.uuid4()),
                                "causation_id": None, "reason": None, "service": "casework",
                                "recorded_at": start.isoformat()}}
            events.append(StoredEvent(oid, version, TOPIC, json.dumps(state).encode()))
    return events


def seed(app: HavenApplication, count: int) -> int:
    """Insert `count` chained events in batches of BATCH; returns how many were stored."""
    start, stored = datetime.now(UTC), 0
    while stored < count:
        batch = stored_events(min(BATCH, count - stored), start)
        app.recorder.insert_events(batch)  # type: ignore[attr-defined]
        stored += len(batch)
    return stored


def measure(cfg: Settings, count: int) -> dict[str, object]:
    from shared.audit_trail.checkpoints import record_checkpoint
    from shared.audit_trail.verification import verify_service
    from shared.verify import verify

    app = Seeded(cfg)
    try:
        started = time.perf_counter()
        stored = seed(app, count)
        seeding = time.perf_counter() - started
        record_checkpoint(app)
        plain = verify(app)
        audited = verify_service(app.name, cfg)
        assert plain.ok and audited.ok, (plain.summary(), audited.breaks[:3])
        assert audited.report is not None
        return {"store": cfg.store, "events": stored, "seed_seconds": round(seeding, 2),
                "verify_seconds": round(plain.elapsed, 3), "verify_rate": round(plain.rate),
                "audit_verify_seconds": round(audited.report.elapsed, 3),
                "audit_verify_rate": round(audited.report.rate),
                "streams": audited.report.streams, "checkpoints": len(audited.checkpoints)}
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--store", choices=("postgres", "sqlite"), default="postgres")
    args = parser.parse_args()
    run = testing.new_run_id()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = replace(Settings.from_env(), store=args.store, schema_prefix=f"bench_{run}_",
                      data_dir=Path(tmp))
        try:
            print(json.dumps(measure(cfg, args.events), indent=2))
        finally:
            if args.store == "postgres":
                testing.drop_schemas(cfg, cfg.schema_prefix)


if __name__ == "__main__":
    main()
