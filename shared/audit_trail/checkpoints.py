"""Checkpoints: the head of a service's log chain, recorded now and then, hash-chained.

    checkpoint_hash_n = SHA-256(checkpoint_hash_{n-1} || position (8 bytes, big-endian)
                                || log_hash || recorded_at (ISO 8601, UTF-8)),  hash_0 = 32 zeros

One append-only table per service, `audit_checkpoints`, in the service's own schema (or
SQLite file). `verify` compares every checkpoint with the log chain *recomputed from the
stored records*, so rewriting history and re-chaining every hash after it -- which the
plain chain check cannot see -- is caught at the first checkpoint after the rewrite.

A checkpoint proves the most when its hash also lives outside the database: `haven audit
checkpoint` prints it (keep the CronJob's log), and export bundles carry it.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
import threading
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from psycopg import sql

from shared import chain
from shared.config import Settings
from shared.verify import Break, Location, locate

TABLE = "audit_checkpoints"


@dataclass(frozen=True)
class Checkpoint:
    service: str
    seq: int
    recorded_at: str
    position: int  # notification id of the log head
    log_hash: bytes  # its log hash
    prev_hash: bytes
    checkpoint_hash: bytes

    def to_dict(self) -> dict[str, Any]:
        return {"service": self.service, "seq": self.seq, "recorded_at": self.recorded_at,
                "position": self.position, "log_hash": self.log_hash.hex(),
                "prev_hash": self.prev_hash.hex(), "checkpoint_hash": self.checkpoint_hash.hex()}


def checkpoint_hash(prev: bytes, position: int, log_hash: bytes, recorded_at: str) -> bytes:
    return hashlib.sha256(prev + struct.pack(">q", position) + log_hash
                          + recorded_at.encode()).digest()


# -- writing ------------------------------------------------------------------------------
_PG_CREATE = [
    "CREATE TABLE {table} (seq bigint PRIMARY KEY, recorded_at text NOT NULL,"
    " position bigint NOT NULL, log_hash bytea NOT NULL, prev_hash bytea NOT NULL,"
    " checkpoint_hash bytea NOT NULL)",
    # A guard against accidents and careless scripts, not against an owner who disables
    # it: against those, the chain and the copies kept outside the database.
    "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS"
    " $$BEGIN RAISE EXCEPTION 'audit_checkpoints is append-only'; END$$",
    "CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {table}"
    " FOR EACH ROW EXECUTE FUNCTION {function}()",
    "CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON {table}"
    " FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
]
_SQLITE_CREATE = [
    f"CREATE TABLE IF NOT EXISTS {TABLE} (seq INTEGER PRIMARY KEY, recorded_at TEXT NOT NULL,"
    " position INTEGER NOT NULL, log_hash BLOB NOT NULL, prev_hash BLOB NOT NULL,"
    " checkpoint_hash BLOB NOT NULL)",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_update BEFORE UPDATE ON {TABLE}"
    " BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END",
    f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_delete BEFORE DELETE ON {TABLE}"
    " BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END",
]
_COLUMNS = "seq, recorded_at, position, log_hash, prev_hash, checkpoint_hash"


def record_checkpoint(app_or_service: Any, cfg: Settings | None = None,
                      now: datetime | None = None) -> Checkpoint | None:
    """Append the current head of the service's log chain; None if the log is empty or
    has not moved since the last checkpoint. Needs the service's (write) credentials."""
    loc = locate(app_or_service, cfg)
    recorded_at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    if loc.backend == "postgres":
        return _record_postgres(loc, recorded_at)
    return _record_sqlite(loc, recorded_at)


def _next(loc: Location, last: tuple[Any, ...] | None, head: tuple[Any, ...] | None,
          recorded_at: str) -> Checkpoint | None:
    if head is None:
        return None
    position, log_hash = int(head[0]), bytes(head[1])
    seq, prev = (0, chain.GENESIS) if last is None else (int(last[0]), bytes(last[5]))
    if last is not None and (int(last[2]), bytes(last[3])) == (position, log_hash):
        return None
    return Checkpoint(loc.service, seq + 1, recorded_at, position, log_hash, prev,
                      checkpoint_hash(prev, position, log_hash, recorded_at))


def _row(point: Checkpoint) -> tuple[Any, ...]:
    return (point.seq, point.recorded_at, point.position, point.log_hash, point.prev_hash,
            point.checkpoint_hash)


def _record_postgres(loc: Location, recorded_at: str) -> Checkpoint | None:
    import psycopg

    table = sql.Identifier(loc.schema, TABLE)
    chained = sql.Identifier(loc.schema, loc.table + "_chain")
    with psycopg.connect(loc.conninfo) as conn:
        # One writer at a time, or two would chain onto the same predecessor.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{loc.schema}.{TABLE}",))
        if conn.execute("SELECT to_regclass(%s)", (table.as_string(conn),)).fetchone() == (None,):
            function = sql.Identifier(loc.schema, "haven_audit_checkpoints_append_only")
            for statement in _PG_CREATE:
                conn.execute(sql.SQL(statement).format(table=table, function=function))
        last = conn.execute(sql.SQL(f"SELECT {_COLUMNS} FROM {{}} ORDER BY seq DESC LIMIT 1")
                            .format(table)).fetchone()
        head = conn.execute(sql.SQL("SELECT notification_id, log_hash FROM {}"
                                    " ORDER BY notification_id DESC LIMIT 1")
                            .format(chained)).fetchone()
        point = _next(loc, last, head, recorded_at)
        if point is not None:
            conn.execute(sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s)")
                         .format(table), _row(point))
    return point


def _record_sqlite(loc: Location, recorded_at: str) -> Checkpoint | None:
    with closing(sqlite3.connect(loc.path, timeout=30, isolation_level=None)) as conn:
        for statement in _SQLITE_CREATE:
            conn.execute(statement)
        conn.execute("BEGIN IMMEDIATE")  # one writer at a time, as above
        try:
            last = conn.execute(f"SELECT {_COLUMNS} FROM {TABLE} ORDER BY seq DESC LIMIT 1")\
                .fetchone()
            head = conn.execute(f'SELECT notification_id, log_hash FROM "{loc.table}_chain"'
                                " ORDER BY notification_id DESC LIMIT 1").fetchone()
            point = _next(loc, last, head, recorded_at)
            if point is not None:
                conn.execute(f"INSERT INTO {TABLE} VALUES (?, ?, ?, ?, ?, ?)", _row(point))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    return point


class Checkpointer:
    """Records a checkpoint at most every `interval` seconds: call `tick()` from a loop
    that already runs (the outbox relay's), or run `haven audit checkpoint` from cron."""

    def __init__(self, app_or_service: Any, cfg: Settings | None = None,
                 interval: float = 300.0):
        self.target, self.cfg, self.interval = app_or_service, cfg, interval
        self._due = 0.0
        self._lock = threading.Lock()

    def tick(self) -> Checkpoint | None:
        with self._lock:
            if time.monotonic() < self._due:
                return None
            self._due = time.monotonic() + self.interval
        return record_checkpoint(self.target, self.cfg)


# -- reading and checking -----------------------------------------------------------------
def load_checkpoints(app_or_service: Any, cfg: Settings | None = None) -> list[Checkpoint]:
    """Every checkpoint of the service, oldest first; [] if none was ever recorded."""
    loc = locate(app_or_service, cfg)
    query = f"SELECT {_COLUMNS} FROM {{}} ORDER BY seq"
    if loc.backend == "postgres":
        import psycopg

        with psycopg.connect(loc.conninfo, autocommit=True) as conn:
            conn.read_only = True
            table = sql.Identifier(loc.schema, TABLE)
            if conn.execute("SELECT to_regclass(%s)", (table.as_string(conn),)).fetchone() \
                    == (None,):
                return []
            rows = conn.execute(sql.SQL(query).format(table)).fetchall()
    else:
        try:
            with closing(sqlite3.connect(f"file:{loc.path}?mode=ro", uri=True)) as lite:
                rows = lite.execute(query.format(TABLE)).fetchall()
        except sqlite3.OperationalError:
            return []  # no file, or no table yet
    return [Checkpoint(loc.service, int(r[0]), r[1], int(r[2]), bytes(r[3]), bytes(r[4]),
                       bytes(r[5])) for r in rows]


def chain_breaks(points: list[Checkpoint]) -> list[Break]:
    """Where the checkpoint log itself was altered, removed from or reordered."""
    breaks = []
    prev, expected_seq = chain.GENESIS, 1
    for point in points:
        problems = []
        if point.seq != expected_seq:
            problems.append(f"checkpoint #{point.seq} follows #{expected_seq - 1}"
                            " (checkpoints removed or renumbered)")
        if point.prev_hash != prev:
            problems.append(f"checkpoint #{point.seq} does not link to its predecessor")
        if checkpoint_hash(point.prev_hash, point.position, point.log_hash,
                           point.recorded_at) != point.checkpoint_hash:
            problems.append(f"checkpoint #{point.seq} was altered after it was recorded")
        breaks += [Break(point.service, "checkpoint_chain_mismatch", None, point.seq, p)
                   for p in problems]
        prev, expected_seq = point.checkpoint_hash, point.seq + 1
    return breaks
