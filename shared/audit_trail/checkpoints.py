"""Checkpoints: the head of a service's log chain, recorded now and then, hash-chained.

    checkpoint_hash_n = SHA-256(checkpoint_hash_{n-1} || position (8 bytes, big-endian)
                                || log_hash || recorded_at (ISO 8601, UTF-8)),  hash_0 = 32 zeros

One append-only table per service, `audit_checkpoints`, in the service's own schema (or
SQLite file). `verify` compares every checkpoint with the log chain *recomputed from the
stored records*, so rewriting history and re-chaining every hash after it -- which the
plain chain check cannot see -- is caught at the first checkpoint after the rewrite.

Whoever owns the database can rewrite that table too (drop its triggers, recompute every
hash). So each checkpoint is also written, signed, *outside* the database: one file per
checkpoint, `HAVEN_CHECKPOINT_DIR/<store>/<seq>.json`, signed with Ed25519 under
HAVEN_CHECKPOINT_SIGNING_KEY -- a key the database never sees, held by the relays (and by
whoever runs `haven audit checkpoint`). Auditors hold only HAVEN_CHECKPOINT_PUBLIC_KEY.
`verify` checks every file's signature, compares the signed checkpoints (not the table's)
with the recomputed log chain, and the table with its signed copies.

A file is signed over the canonical JSON (sorted keys, no spaces, UTF-8) of

    {"format": "haven-checkpoint/1", "store", "service", "seq", "recorded_at", "position",
     "log_hash", "prev_hash", "checkpoint_hash"}           (hashes in hex)

and carries that object plus `key_id` (shared.signing.key_id of the public key) and
`signature` (base64). Files are created once and never overwritten; the directory should
be one the database's administrators cannot write (another host, a bucket with object
lock mounted there, ...).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import sqlite3
import struct
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from shared import chain, signing
from shared.config import Settings, settings
from shared.verify import Break, Location, VerifyReport, locate, verify

TABLE = "audit_checkpoints"
FORMAT = "haven-checkpoint/1"
_SIGNED_FIELDS = ("format", "store", "service", "seq", "recorded_at", "position", "log_hash",
                  "prev_hash", "checkpoint_hash")
_T = TypeVar("_T")


class CheckpointsNotConfigured(RuntimeError):
    """Signed checkpoints need a key and a directory: the message names the variable."""


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
    """Append the current head of the service's log chain, in the table and as a signed
    file; None if the log is empty or has not moved since the last checkpoint. Needs the
    service's (write) credentials and HAVEN_CHECKPOINT_SIGNING_KEY / HAVEN_CHECKPOINT_DIR:
    without them nothing is recorded (CheckpointsNotConfigured)."""
    cfg = cfg or getattr(app_or_service, "settings", None) or settings()
    seed, directory = _signing(cfg)
    loc = locate(app_or_service, cfg)
    recorded_at = (now or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")
    writer = _FileWriter(directory / store_name(loc), store_name(loc), seed)
    if loc.backend == "postgres":
        return _record_postgres(loc, recorded_at, writer)
    return _record_sqlite(loc, recorded_at, writer)


def _signing(cfg: Settings) -> tuple[bytes, Path]:
    key = _setting(cfg.checkpoint_signing_key, "HAVEN_CHECKPOINT_SIGNING_KEY",
                   "checkpoints are signed with a key the database never sees")
    directory = _setting(cfg.checkpoint_dir, "HAVEN_CHECKPOINT_DIR",
                         "signed checkpoints are written there, outside the database")
    return key, Path(directory)


def _setting(value: _T | None, variable: str, why: str) -> _T:
    """A setting checkpoints cannot do without, refused by name (and why it is needed)."""
    if value is None:
        raise CheckpointsNotConfigured(f"{variable} is not set: {why}")
    return value


def store_name(loc: Location) -> str:
    """The name a store's signed checkpoints go under (and are signed for): its backend,
    database and schema (PostgreSQL) or service (SQLite), so no two stores share one."""
    if loc.backend == "postgres":
        dbname = conninfo_to_dict(loc.conninfo).get("dbname") or "postgres"
        return f"postgres-{dbname}-{loc.schema}"
    return f"sqlite-{loc.service}"


def signed_body(point: Checkpoint, store: str) -> dict[str, Any]:
    return {"format": FORMAT, "store": store, "service": point.service, "seq": point.seq,
            "recorded_at": point.recorded_at, "position": point.position,
            "log_hash": point.log_hash.hex(), "prev_hash": point.prev_hash.hex(),
            "checkpoint_hash": point.checkpoint_hash.hex()}


def canonical(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def file_name(seq: int) -> str:
    return f"{seq:012d}.json"


class _FileWriter:
    """Writes one signed checkpoint file, never over an existing one."""

    def __init__(self, folder: Path, store: str, seed: bytes):
        self.folder, self.store, self.seed = folder, store, seed
        self.written: Path | None = None

    def write(self, point: Checkpoint) -> Path:
        body = signed_body(point, self.store)
        document = {**body, "key_id": signing.key_id(signing.public_of(self.seed)),
                    "signature": base64.b64encode(
                        signing.signer(self.seed).sign(canonical(body))).decode()}
        self.folder.mkdir(parents=True, exist_ok=True)
        final = self.folder / file_name(point.seq)
        temporary = self.folder / f".{point.seq}.{uuid.uuid4().hex}.tmp"
        with open(temporary, "xb") as f:
            f.write(json.dumps(document, indent=1, sort_keys=True).encode() + b"\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(temporary, final)  # fails if the file exists: signed files are never replaced
        except FileExistsError:
            raise FileExistsError(
                f"{final} already exists: the checkpoint table has lost checkpoint"
                f" #{point.seq} (run `haven audit verify`); nothing recorded") from None
        finally:
            temporary.unlink(missing_ok=True)
        self.written = final
        return final

    def undo(self) -> None:
        """The checkpoint was not committed: remove the file this writer just made."""
        if self.written is not None:
            self.written.unlink(missing_ok=True)
            self.written = None


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


def create_postgres_table(conn: Any, schema: str) -> None:
    """The checkpoint table and its guard, if missing (also run by shared.db_roles, so that
    the table belongs to the schema's owner and not to the service that writes it)."""
    table = sql.Identifier(schema, TABLE)
    if conn.execute("SELECT to_regclass(%s)", (table.as_string(conn),)).fetchone() == (None,):
        function = sql.Identifier(schema, "haven_audit_checkpoints_append_only")
        for statement in _PG_CREATE:
            conn.execute(sql.SQL(statement).format(table=table, function=function))


def _record_postgres(loc: Location, recorded_at: str, writer: _FileWriter) -> Checkpoint | None:
    import psycopg

    table = sql.Identifier(loc.schema, TABLE)
    chained = sql.Identifier(loc.schema, loc.table + "_chain")
    with psycopg.connect(loc.conninfo) as conn:
        # One writer at a time, or two would chain onto the same predecessor.
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{loc.schema}.{TABLE}",))
        create_postgres_table(conn, loc.schema)
        last = conn.execute(sql.SQL(f"SELECT {_COLUMNS} FROM {{}} ORDER BY seq DESC LIMIT 1")
                            .format(table)).fetchone()
        head = conn.execute(sql.SQL("SELECT notification_id, log_hash FROM {}"
                                    " ORDER BY notification_id DESC LIMIT 1")
                            .format(chained)).fetchone()
        point = _next(loc, last, head, recorded_at)
        if point is None:
            return None
        conn.execute(sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s)")
                     .format(table), _row(point))
        writer.write(point)  # signed, outside the database, before the row commits
        try:
            conn.commit()
        except BaseException:
            writer.undo()
            raise
    return point


def _record_sqlite(loc: Location, recorded_at: str, writer: _FileWriter) -> Checkpoint | None:
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
                writer.write(point)
            conn.execute("COMMIT")
        except BaseException:
            writer.undo()
            if conn.in_transaction:
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


def chain_breaks(points: list[Checkpoint], unreadable: Iterable[int] = ()) -> list[Break]:
    """Where the checkpoint log itself was altered, removed from or reordered. `unreadable`:
    checkpoints already reported (bad signature): no link is checked across them."""
    skipped = set(unreadable)
    breaks = []
    prev, expected_seq = chain.GENESIS, 1
    for point in points:
        problems = []
        if point.seq > expected_seq and all(seq in skipped
                                            for seq in range(expected_seq, point.seq)):
            prev, expected_seq = point.prev_hash, point.seq  # a gap already reported
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


# -- the signed copies, outside the database ----------------------------------------------
@dataclass(frozen=True)
class SignedCheckpoints:
    """A store's signed checkpoint files: those whose signature holds, oldest first, and a
    break for each one that does not (edited, forged, signed by another key, unreadable)."""

    folder: Path
    valid: list[Checkpoint]
    invalid: list[Break]
    invalid_seqs: frozenset[int]


def load_signed(app_or_service: Any, cfg: Settings) -> SignedCheckpoints:
    """Read and check every signed checkpoint file of the store (none: empty lists).
    Needs HAVEN_CHECKPOINT_PUBLIC_KEY and HAVEN_CHECKPOINT_DIR (CheckpointsNotConfigured)."""
    public_key = _setting(cfg.checkpoint_public_key, "HAVEN_CHECKPOINT_PUBLIC_KEY",
                          "the signed checkpoints cannot be checked")
    directory = _setting(cfg.checkpoint_dir, "HAVEN_CHECKPOINT_DIR",
                         "the signed checkpoints cannot be found")
    loc = locate(app_or_service, cfg)
    store = store_name(loc)
    folder = Path(directory) / store
    valid, invalid, bad = [], [], set()
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    for path in files:
        point, problem, seq = _read_signed(path, loc.service, store, public_key)
        if point is not None:
            valid.append(point)
            continue
        bad.add(seq)
        invalid.append(Break(loc.service, "checkpoint_signature_invalid", None, seq,
                             f"signed checkpoint file {path}: {problem}", seq or None))
    valid.sort(key=lambda p: p.seq)
    return SignedCheckpoints(folder, valid, invalid, frozenset(bad))


def _read_signed(path: Path, service: str, store: str,
                 public: bytes) -> tuple[Checkpoint | None, str, int]:
    """(the checkpoint, "", seq) if the file is genuine, else (None, what is wrong, seq)."""
    try:
        seq = int(path.stem)
    except ValueError:
        seq = 0
    try:
        document = json.loads(path.read_bytes())
        body = {name: document[name] for name in _SIGNED_FIELDS}
        signature = signing.decode_base64(str(document["signature"]))
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        return None, f"unreadable ({type(exc).__name__})", seq
    if document.get("key_id") != signing.key_id(public):
        return None, (f"signed by key {document.get('key_id')!r}, not by the checkpoint key"
                      f" {signing.key_id(public)} (HAVEN_CHECKPOINT_PUBLIC_KEY)"), seq
    if not signing.verifies(public, canonical(body), signature):
        return None, "the signature does not match its content (edited or forged)", seq
    if body["format"] != FORMAT or body["store"] != store or body["service"] != service \
            or body["seq"] != seq:
        return None, (f"signed for {body['store']} #{body['seq']}, found as {store}"
                      f" #{seq} (moved or renamed)"), seq
    try:
        point = Checkpoint(service, int(body["seq"]), str(body["recorded_at"]),
                           int(body["position"]), bytes.fromhex(body["log_hash"]),
                           bytes.fromhex(body["prev_hash"]),
                           bytes.fromhex(body["checkpoint_hash"]))
    except (TypeError, ValueError) as exc:
        return None, f"unreadable fields ({type(exc).__name__})", seq
    return point, "", seq


def table_breaks(table: list[Checkpoint], signed: SignedCheckpoints) -> list[Break]:
    """Where the checkpoint table disagrees with the signed copies: rows rewritten or
    removed (whatever its own chain says: its owner can re-chain it), or rows no signed
    file attests."""
    by_seq = {p.seq: p for p in signed.valid}
    rows = {p.seq: p for p in table}
    breaks = []
    for seq, row in sorted(rows.items()):
        copy = by_seq.get(seq)
        if copy is not None and copy != row:
            breaks.append(Break(row.service, "checkpoint_table_mismatch", None, seq,
                                f"checkpoint #{seq} in the table differs from its signed copy"
                                f" (position {row.position} vs {copy.position}, log_hash"
                                f" {row.log_hash.hex()[:16]}... vs {copy.log_hash.hex()[:16]}...):"
                                " the checkpoint table was rewritten", seq))
        elif copy is None and seq not in signed.invalid_seqs:
            breaks.append(Break(row.service, "checkpoint_unsigned", None, seq,
                                f"checkpoint #{seq} in the table has no signed copy in"
                                f" {signed.folder}: added to the table, or its file removed",
                                seq))
    for seq, copy in sorted(by_seq.items()):
        if seq not in rows:
            breaks.append(Break(copy.service, "checkpoint_table_mismatch", None, seq,
                                f"signed checkpoint #{seq} (position {copy.position}) is"
                                " missing from the checkpoint table", seq))
    return breaks


# -- incremental verification ---------------------------------------------------------------
@dataclass(frozen=True)
class SinceCheckpoint:
    """An incremental verification: the report covers the log after `start` (the last
    signed checkpoint with a good signature) and the whole checkpoint chain."""

    report: VerifyReport
    start: Checkpoint
    signed: list[Checkpoint]  # every signed checkpoint whose signature holds


def verify_since_checkpoint(app_or_service: Any, cfg: Settings,
                            progress: Callable[[int], None] | None = None
                            ) -> SinceCheckpoint | None:
    """Check every signed checkpoint (signature, link to its predecessor, agreement with the
    checkpoint table), then only the events after the last one, their chains going on from
    the log hash it attests -- a nightly run costs what the day added. None when no signed
    checkpoint holds: nothing to start from, verify in full (shared.audit_trail.verification).

    What it does not re-read: the events up to the checkpoint. A rewrite there that was
    re-chained up to the checkpoint's position is still caught (the stored log hash at that
    position is no longer the signed one); a rewrite that leaves every stored hash alone is
    only seen by a full verify, which therefore stays the default and belongs in a weekly job.
    Raises LookupError without an event store, CheckpointsNotConfigured without the public
    key or directory."""
    signed = load_signed(app_or_service, cfg)  # before the table: a committed row has its file
    if not signed.valid:
        return None
    start = signed.valid[-1]
    try:
        table = load_checkpoints(app_or_service, cfg)
    except LookupError:
        table = []
    later = [p for p in signed.valid if p.position > start.position]  # none, unless reordered
    report = verify(app_or_service, cfg, checkpoints=later, since=start, progress=progress)
    found = chain_breaks(table) + signed.invalid + chain_breaks(signed.valid, signed.invalid_seqs)
    table_found = table_breaks(table, signed)
    if any(b.kind == "checkpoint_table_mismatch" for b in table_found):
        # A checkpoint may have been signed but not yet committed when the table was read.
        table_found = table_breaks(load_checkpoints(app_or_service, cfg), signed)
    for problem in found + table_found:
        report.break_count += 1
        report.breaks.append(problem)
    return SinceCheckpoint(report, start, signed.valid)
