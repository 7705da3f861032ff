"""Tamper verification: recompute a service's hash chains from the stored bytes.

    report = verify("casework", cfg)        # or verify(app) for a live HavenApplication
    if not report.ok:
        print(report.first_break)

The verifier reads the events table and its `_chain` table side by side, in
notification-id order, in one consistent snapshot, streamed in batches. It
hashes the stored (sealed) bytes exactly as shared.chain does on the way in,
so it needs no key at all: shredding a subject never breaks verification.

Each link is checked against the *stored* neighbour (the previous stored
stream hash, the previous stored log hash), so one tampered record is reported
where it was tampered and does not drag every later record down with it.

What the chains cannot see on their own: someone who can write the database
may delete the newest records of both tables, or rewrite every hash (SHA-256
has no key). Against that, keep the report's `head` somewhere the database
administrator cannot reach, and pass it back as `anchor` next time -- or pass
`checkpoints` (shared.audit_trail.checkpoints): heads recorded earlier, each
compared with the log chain *recomputed from the stored records alone*, so a
history that was rewritten and then re-chained end to end is caught too.

Incremental (`since=` a signed checkpoint): read only the log after the checkpoint's
position, starting the log chain from the hash the checkpoint attests (not the stored
one) and each continued stream from its stored head at the checkpoint. The stored chain
entry at the checkpoint's position must still carry the attested log hash, so a history
rewritten and re-chained up to there is caught as well; what was stored before the
checkpoint is otherwise taken as attested by it (a full verify, the default, re-reads it).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import Any, Protocol
from uuid import UUID

from psycopg import sql
from psycopg.conninfo import make_conninfo

from shared import chain
from shared.config import Settings, settings

BATCH = 5000
MAX_BREAKS = 1000  # keep the report bounded when a whole table was rewritten
_GAP_DETAIL_LIMIT = 100  # per missing run of versions, name at most this many one by one

# A row of the outer join of events and chain entries on notification id:
# nid, event (oid, version, topic, state) or Nones, chain (oid, version, stream, log) or Nones.
Row = tuple[Any, ...]


@dataclass(frozen=True)
class Break:
    """One place where the stored events and their chains disagree.

    `stream` is the originator id (uuid hex) and `position` its originator_version;
    `notification_id` is the position in the service's log. For a break that
    belongs to no known stream (records gone from the log with their chain entries,
    or the log ends before the anchor), `stream` is None and `position` is the
    notification id.

    kind:
      stream_hash_mismatch  the record's topic, version or state is not what was chained
      missing_record        a record is gone (its chain entry left, a version absent from
                            its stream, or a hole in the log that the log chain does not bridge)
      missing_chain_entry   a record has no chain entry
      out_of_order          a record stands where the chain recorded another one, or a
                            stream's versions are out of log order (moved, renumbered, swapped)
      log_hash_mismatch     the log chain does not link (chain entries altered or reordered)
      anchor_mismatch       the log does not reach, or differs at, the head kept from before
      checkpoint_mismatch   a recorded checkpoint differs from the log chain recomputed from
                            the stored records (history rewritten, even if re-chained)
      checkpoint_chain_mismatch  the checkpoint log itself was altered, removed or reordered
    """

    service: str
    kind: str
    stream: str | None
    position: int
    detail: str
    notification_id: int | None = None


@dataclass
class VerifyReport:
    service: str
    backend: str
    events: int = 0  # log positions checked (records and orphaned chain entries)
    streams: int = 0
    elapsed: float = 0.0
    breaks: list[Break] = field(default_factory=list)
    break_count: int = 0  # every break found, even beyond the MAX_BREAKS kept in `breaks`
    head: tuple[int, bytes] | None = None  # (last notification id, its stored log hash)
    since: tuple[int, int] | None = None  # incremental: (checkpoint seq, its position)

    @property
    def ok(self) -> bool:
        return self.break_count == 0

    @property
    def first_break(self) -> Break | None:
        return self.breaks[0] if self.breaks else None

    @property
    def rate(self) -> float:
        """Events checked per second."""
        return self.events / self.elapsed if self.elapsed > 0 else 0.0

    def summary(self) -> str:
        outcome = "intact" if self.ok else f"{self.break_count} break(s), first: {self.first_break}"
        after = (f" after checkpoint #{self.since[0]} (notification {self.since[1]})"
                 if self.since else "")
        return (f"{self.service} ({self.backend}): {self.events} events{after} in {self.streams}"
                f" streams, {self.elapsed:.3f}s ({self.rate:,.0f}/s): {outcome}")


class Attested(Protocol):
    """A log head recorded earlier (shared.audit_trail.checkpoints.Checkpoint)."""

    @property
    def seq(self) -> int: ...

    @property
    def position(self) -> int: ...

    @property
    def log_hash(self) -> bytes: ...

    @property
    def recorded_at(self) -> str: ...


# -- the check itself, independent of the database --------------------------
class _Checker:
    def __init__(self, report: VerifyReport, anchor: tuple[int, bytes] | None,
                 checkpoints: Sequence[Attested] = (), since: Attested | None = None):
        self.report = report
        self.anchor = anchor
        self.anchor_seen = False
        self.streams: dict[str, tuple[int, bytes | None]] = {}  # oid -> (version, stream hash)
        self.prev_log = chain.GENESIS
        self.prev_nid = 0
        # Versions reported missing, in case they turn up later in the log (then: out of order).
        self.missing: dict[tuple[str, int], int] = {}
        # The chains as the stored records alone make them, ignoring every stored hash: what a
        # checkpoint is compared with. Equal to the stored chain until someone rewrites it.
        self.true_streams: dict[str, bytes] = {}
        self.true_log = chain.GENESIS
        self.checkpoints = sorted(checkpoints, key=lambda c: c.position)
        self.next_checkpoint = 0
        self.last_good_checkpoint: Attested | None = None
        # Incremental: the log chain goes on from the attested hash, and a stream continued
        # after the checkpoint from its stored head at the checkpoint (filled by the reader).
        self.since = since
        self.since_seen = since is None
        self.bases: dict[str, tuple[int, bytes]] = {}
        if since is not None:
            self.prev_log = self.true_log = since.log_hash
            self.prev_nid = since.position
            self.last_good_checkpoint = since
            report.since = (since.seq, since.position)

    def add(self, kind: str, stream: str | None, position: int, nid: int | None,
            detail: str) -> None:
        self.report.break_count += 1
        if len(self.report.breaks) < MAX_BREAKS:
            self.report.breaks.append(Break(self.report.service, kind, stream, position,
                                            detail, nid))

    def feed(self, row: Row) -> None:
        nid, e_oid, e_ver, e_topic, e_state, c_oid, c_ver, c_stream, c_log = row
        if not self.since_seen and self._at_since(nid, c_log):
            return
        if isinstance(e_oid, UUID):
            e_oid = e_oid.hex
        # The chain entry is the witness of what belongs at this position; without one,
        # the record speaks for itself.
        oid, ver = (c_oid, c_ver) if c_oid is not None else (e_oid, e_ver)
        prev_ver, prev_hash = self._head(oid)
        in_sequence = self._sequence(oid, ver, prev_ver, nid)

        computed = None
        if e_oid is not None and c_oid is not None and (e_oid, e_ver) != (c_oid, c_ver):
            self.add("out_of_order", oid, ver, nid,
                     f"log position {nid} holds {e_oid} v{e_ver}; the chain recorded"
                     f" {c_oid} v{c_ver} here (record moved, renumbered or swapped)")
        elif e_oid is not None and in_sequence and prev_hash is not None:
            computed = chain.stream_hash(prev_hash, e_oid, e_ver, e_topic, _raw(e_state))
            if c_stream is not None and computed != bytes(c_stream):
                self.add("stream_hash_mismatch", oid, ver, nid,
                         "the stored record (topic, version or state) is not the one chained")

        if c_oid is None:
            self.add("missing_chain_entry", oid, ver, nid,
                     f"record at notification {nid} has no chain entry")
        elif e_oid is None:
            self.add("missing_record", oid, ver, nid,
                     f"chain entry at notification {nid} has no stored record (deleted)")

        expected = self._log_link(nid, oid, ver, c_stream, c_log, computed)
        if e_oid is not None:
            self._true_link(nid, e_oid, e_ver, e_topic, e_state, prev_hash, computed, c_stream,
                            expected)
        if self.checkpoints:
            self._check_checkpoints(nid)
        if ver > prev_ver:  # a late, out-of-order version must not rewind the stream
            self.streams[oid] = (ver, bytes(c_stream) if c_stream is not None else computed)
        self.report.events += 1

    def _head(self, oid: str) -> tuple[int, bytes | None]:
        """A stream's last (version, stored hash) seen; before that, its head at the
        checkpoint an incremental run started from; else a stream not yet begun."""
        return self.streams.get(oid) or self.bases.get(oid) or (0, chain.GENESIS)

    def _at_since(self, nid: int, c_log: Any) -> bool:
        """The first row of an incremental run: the checkpoint's own position, whose stored
        log hash must be the attested one. True if the row was the checkpoint's (consumed:
        it belongs to what the checkpoint attests, not to what is checked after it)."""
        assert self.since is not None
        self.since_seen = True
        point = self.since
        if nid != point.position:
            self.add("checkpoint_mismatch", None, point.position, point.position,
                     f"checkpoint #{point.seq} ({point.recorded_at}) attests notification"
                     f" {point.position}, which is no longer in the log")
            return False
        if c_log is None or bytes(c_log) != point.log_hash:
            self.add("checkpoint_mismatch", None, point.position, point.position,
                     f"checkpoint #{point.seq} ({point.recorded_at}) attests another log hash"
                     f" at notification {point.position} than the stored chain holds: history"
                     " up to there was rewritten (a full verify shows where)")
        return True

    def _true_link(self, nid: int, e_oid: str, e_ver: int, e_topic: str, e_state: Any,
                   prev_hash: bytes | None, computed: bytes | None, c_stream: Any,
                   expected: tuple[bytes, bytes] | None) -> None:
        """Extend the recomputed chains by one record, reusing the hashes already computed
        whenever the stored and recomputed chains agree (the common case: no extra cost)."""
        true_prev = self.true_streams.get(e_oid) or self.bases.get(e_oid, (0, chain.GENESIS))[1]
        if computed is None or true_prev != prev_hash:
            computed = chain.stream_hash(true_prev, e_oid, e_ver, e_topic, _raw(e_state))
        self.true_streams[e_oid] = computed
        if expected is not None and expected[0] == self.true_log \
                and c_stream is not None and bytes(c_stream) == computed:
            self.true_log = expected[1]
        else:
            self.true_log = chain.log_hash(self.true_log, nid, computed)

    def _check_checkpoints(self, nid: int) -> None:
        while self.next_checkpoint < len(self.checkpoints):
            point = self.checkpoints[self.next_checkpoint]
            if point.position > nid:
                return
            self.next_checkpoint += 1
            since = (f"; it still matched at checkpoint #{self.last_good_checkpoint.seq}"
                     f" (notification {self.last_good_checkpoint.position})"
                     if self.last_good_checkpoint else "")
            if point.position < nid:
                self.add("checkpoint_mismatch", None, point.position, point.position,
                         f"checkpoint #{point.seq} ({point.recorded_at}) attests notification"
                         f" {point.position}, which is no longer in the log{since}")
            elif point.log_hash != self.true_log:
                self.add("checkpoint_mismatch", None, point.position, point.position,
                         f"checkpoint #{point.seq} ({point.recorded_at}) attests another log"
                         f" hash at notification {point.position} than the stored records"
                         f" give: history up to there was rewritten{since}")
            else:
                self.last_good_checkpoint = point

    def _sequence(self, oid: str, ver: int, prev_ver: int, nid: int) -> bool:
        """Versions of a stream must follow one another in log order: 1, 2, 3..."""
        if ver == prev_ver + 1:
            return True
        if ver > prev_ver + 1:
            for missing in range(prev_ver + 1, min(ver, prev_ver + 1 + _GAP_DETAIL_LIMIT)):
                self.missing[(oid, missing)] = len(self.report.breaks)
                self.add("missing_record", oid, missing, nid,
                         f"v{missing} absent: v{ver} at notification {nid} follows v{prev_ver}")
            return False
        late = self.missing.pop((oid, ver), None)
        if late is not None and late < len(self.report.breaks):
            # Not gone after all, just out of place: say so instead of "missing".
            self.report.breaks[late] = replace(
                self.report.breaks[late], kind="out_of_order",
                detail=f"v{ver} stands at notification {nid}, after v{prev_ver}")
        else:
            self.add("out_of_order", oid, ver, nid,
                     f"v{ver} at notification {nid} comes after v{prev_ver}")
        return False

    def _log_link(self, nid: int, oid: str, ver: int, c_stream: Any, c_log: Any,
                  computed: bytes | None) -> tuple[bytes, bytes] | None:
        """Check one link; returns (previous stored log hash, the link it computed)."""
        linked = None
        if c_log is not None:
            expected = chain.log_hash(self.prev_log, nid, bytes(c_stream))
            linked = (self.prev_log, expected)
            if expected != bytes(c_log) and nid > self.prev_nid + 1:
                # A hole the chain does not bridge: whole records (with their chain
                # entries) were deleted. Holes it bridges are rolled-back transactions.
                hole = self.prev_nid + 1
                self.add("missing_record", None, hole, hole,
                         f"notification ids {hole}..{nid - 1} absent; the log chain does not"
                         f" bridge them (noticed at notification {nid})")
            elif expected != bytes(c_log):
                self.add("log_hash_mismatch", oid, ver, nid,
                         f"log chain broken at notification {nid}")
            self.prev_log = bytes(c_log)
        elif computed is not None:
            # The chain entry is gone: carry on with what it should have said.
            self.prev_log = chain.log_hash(self.prev_log, nid, computed)
        if self.anchor and not self.anchor_seen and nid >= self.anchor[0]:
            self.anchor_seen = True
            if nid != self.anchor[0]:
                self.add("anchor_mismatch", None, self.anchor[0], self.anchor[0],
                         f"the anchored notification {self.anchor[0]} is absent")
            elif self.prev_log != self.anchor[1]:
                self.add("anchor_mismatch", oid, ver, nid,
                         f"log hash at notification {nid} differs from the anchored head")
        self.prev_nid = nid
        return linked

    def finish(self) -> None:
        self.report.streams = len(self.streams)
        if self.since is not None and not self.since_seen:
            self.since_seen = True
            self.add("checkpoint_mismatch", None, self.since.position, self.since.position,
                     f"checkpoint #{self.since.seq} ({self.since.recorded_at}) attests"
                     f" notification {self.since.position}, but the log ends before it:"
                     " records removed")
        if self.report.events or self.since is not None:
            self.report.head = (self.prev_nid, self.prev_log)
        if self.anchor and not self.anchor_seen:
            self.add("anchor_mismatch", None, self.anchor[0], self.anchor[0],
                     f"the log ends at notification {self.prev_nid}, before the anchored head"
                     f" {self.anchor[0]}: records were removed")
        for point in self.checkpoints[self.next_checkpoint:]:
            self.add("checkpoint_mismatch", None, point.position, point.position,
                     f"checkpoint #{point.seq} ({point.recorded_at}) attests notification"
                     f" {point.position}, but the log ends at {self.prev_nid}: records removed")


def _raw(value: Any) -> bytes:
    """Stored bytes; SQLite hands back text if someone wrote text into the column."""
    return value.encode() if isinstance(value, str) else bytes(value)


# -- where a service's store lives -------------------------------------------
@dataclass(frozen=True)
class _Location:
    service: str
    backend: str  # "postgres" or "sqlite"
    table: str
    conninfo: str = ""
    schema: str = ""
    path: str = ""


Location = _Location


def locate(app_or_service: Any, cfg: Settings | None) -> _Location:
    """Where a service's store lives: a HavenApplication's own, or a service name's under `cfg`."""
    if isinstance(app_or_service, str):
        from shared.eventstore import store_env

        cfg = cfg or settings()
        name = app_or_service
        env: Any = store_env(name, cfg)
        table = f"{name}_events" if cfg.store == "postgres" else "stored_events"
    else:  # a HavenApplication: read where it actually stores, overrides included
        name = app_or_service.name
        env = app_or_service.env
        table = app_or_service.recorder.events_table_name
    if env.get("PERSISTENCE_MODULE") == "eventsourcing.sqlite":
        return _Location(name, "sqlite", table, path=env.get("SQLITE_DBNAME"))
    parts = {"dbname": env.get("POSTGRES_DBNAME"), "host": env.get("POSTGRES_HOST"),
             "port": env.get("POSTGRES_PORT"), "user": env.get("POSTGRES_USER"),
             "password": env.get("POSTGRES_PASSWORD")}
    conninfo = make_conninfo(**{k: v for k, v in parts.items() if v})
    return _Location(name, "postgres", table, conninfo=conninfo,
                     schema=env.get("POSTGRES_SCHEMA"))


# -- reading, batch by batch ---------------------------------------------------
def _postgres_rows(loc: _Location, batch: int, start: int | None = None,
                   bases: dict[str, tuple[int, bytes]] | None = None) -> Iterator[list[Row]]:
    """Every log position in order; from notification `start` on if given, filling `bases`
    with the stored heads, at `start`, of the streams each batch continues, before it."""
    import psycopg

    events = sql.Identifier(loc.schema, loc.table)
    chained = sql.Identifier(loc.schema, loc.table + "_chain")
    columns = sql.SQL(
        "SELECT notification_id, e.originator_id, e.originator_version, e.topic, e.state,"
        " c.originator_id, c.originator_version, c.stream_hash, c.log_hash")
    query = sql.SQL(
        "{columns} FROM {events} e FULL JOIN {chained} c USING (notification_id)"
        " ORDER BY notification_id").format(columns=columns, events=events, chained=chained)
    with psycopg.connect(loc.conninfo) as conn:
        conn.read_only = True  # an audit reads; it never writes
        # Incremental: the stream heads and the windows after them, one snapshot for all.
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        exists = conn.execute("SELECT to_regclass(%s), to_regclass(%s)",
                              (events.as_string(conn), chained.as_string(conn))).fetchone()
        if not exists or None in exists:
            raise LookupError(f"no chained event store for {loc.service} in {loc.schema}")
        if start is not None:
            yield from _postgres_windows(conn, events, chained, columns, batch, start, bases)
            return
        # A named (server-side) cursor streams: one statement, one snapshot, never all rows
        # in memory. Binary transfer spares the hex round trip of every bytea.
        with conn.cursor(name="haven_verify", binary=True) as cur:
            cur.execute(query)
            while rows := cur.fetchmany(batch):
                yield rows


def _postgres_windows(conn: Any, events: sql.Identifier, chained: sql.Identifier,
                      columns: sql.Composable, batch: int, start: int,
                      bases: dict[str, tuple[int, bytes]] | None) -> Iterator[list[Row]]:
    """The log from `start` on, in windows of `batch` notification ids. Each window is so
    narrow that the planner reads it by primary key however stale the table's statistics
    (one open-ended `>= start` join was planned as a scan of the whole table after a bulk
    load: the cost of the store, not of the day)."""
    conn.execute("SET LOCAL jit = off")  # compiling a short indexed read costs more than it saves
    window = sql.SQL(
        "{columns} FROM (SELECT * FROM {events} WHERE notification_id >= %(lo)s"
        " AND notification_id < %(hi)s) e FULL JOIN (SELECT * FROM {chained}"
        " WHERE notification_id >= %(lo)s AND notification_id < %(hi)s) c"
        " USING (notification_id) ORDER BY notification_id").format(
        columns=columns, events=events, chained=chained)
    following = sql.SQL(
        "SELECT least((SELECT min(notification_id) FROM {events} WHERE notification_id >= %s),"
        " (SELECT min(notification_id) FROM {chained} WHERE notification_id >= %s))").format(
        events=events, chained=chained)
    heads = sql.SQL(
        "SELECT o, b.originator_version, b.stream_hash FROM unnest(%(oids)s::text[]) o"
        " CROSS JOIN LATERAL (SELECT originator_version, stream_hash FROM {chained} h"
        "   WHERE h.originator_id = o AND h.notification_id <= %(start)s"
        "   ORDER BY h.originator_version DESC LIMIT 1) b").format(chained=chained)
    asked: set[str] = set()
    low: int | None = start
    with conn.cursor(binary=True) as cur:
        while low is not None:
            rows = cur.execute(window, {"lo": low, "hi": low + batch}).fetchall()
            # Past a hole wider than a window, go straight to the next stored id.
            low = low + batch if rows else cur.execute(following, (low, low)).fetchone()[0]
            if not rows:
                continue
            if bases is not None:
                oids = _continued(rows, asked)
                if oids:  # one index probe per stream continued, whatever the store's size
                    bases.update((oid, (int(ver), bytes(stream))) for oid, ver, stream
                                 in conn.execute(heads, {"oids": oids, "start": start}))
            yield rows


def _sqlite_rows(loc: _Location, batch: int, start: int | None = None,
                 bases: dict[str, tuple[int, bytes]] | None = None) -> Iterator[list[Row]]:
    """As _postgres_rows."""
    events, chained = f'"{loc.table}"', f'"{loc.table}_chain"'
    try:
        # Read-only: verifying must never create or change a store (sqlite3 would create a file).
        conn = sqlite3.connect(f"file:{loc.path}?mode=ro", uri=True, isolation_level=None)
    except sqlite3.OperationalError as exc:
        raise LookupError(f"no event store for {loc.service} at {loc.path}") from exc
    first = 0 if start is None else start
    try:
        conn.execute("BEGIN")  # the stream heads and the rows: one snapshot
        # UNION ALL of two left joins rather than FULL JOIN: works on SQLite < 3.39 too.
        cur = conn.execute(
            f"SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state,"
            f" c.originator_id, c.originator_version, c.stream_hash, c.log_hash"
            f" FROM {events} e LEFT JOIN {chained} c ON c.notification_id = e.rowid"
            f" WHERE e.rowid >= :first"
            f" UNION ALL"
            f" SELECT c.notification_id, NULL, NULL, NULL, NULL, c.originator_id,"
            f" c.originator_version, c.stream_hash, c.log_hash FROM {chained} c"
            f" WHERE c.notification_id >= :first AND NOT EXISTS"
            f" (SELECT 1 FROM {events} e WHERE e.rowid = c.notification_id)"
            f" ORDER BY 1", {"first": first})
        asked: set[str] = set()
        while rows := cur.fetchmany(batch):
            if start is not None and bases is not None:
                for oid in _continued(rows, asked):
                    head = conn.execute(
                        f"SELECT originator_version, stream_hash FROM {chained} WHERE"
                        f" originator_id = ? AND notification_id <= ?"
                        f" ORDER BY originator_version DESC LIMIT 1", (oid, start)).fetchone()
                    if head is not None:
                        bases[oid] = (int(head[0]), bytes(head[1]))
            yield rows
    except sqlite3.OperationalError as exc:
        raise LookupError(f"no chained event store for {loc.service} at {loc.path}") from exc
    finally:
        conn.close()


def _continued(rows: list[Row], asked: set[str]) -> list[str]:
    """Streams in `rows` not met before whose first version here is not their first: their
    heads at the checkpoint are needed (and asked for once, in the same snapshot)."""
    found = []
    for row in rows:
        oid = row[5] if row[5] is not None else row[1]
        if isinstance(oid, UUID):
            oid = oid.hex
        if oid is None or oid in asked:
            continue
        asked.add(oid)
        if (row[6] if row[6] is not None else row[2]) != 1:
            found.append(oid)
    return found


_locate = locate  # the name this module used before it was public


def log_length(app_or_service: Any, cfg: Settings | None = None) -> int:
    """The highest notification id stored (0 for an empty or missing store): a progress total."""
    loc = locate(app_or_service, cfg)
    try:
        if loc.backend == "postgres":
            import psycopg

            with psycopg.connect(loc.conninfo) as conn:
                row = conn.execute(sql.SQL("SELECT max(notification_id) FROM {}").format(
                    sql.Identifier(loc.schema, loc.table))).fetchone()
        else:
            with closing(sqlite3.connect(f"file:{loc.path}?mode=ro", uri=True)) as conn:
                row = conn.execute(f'SELECT max(rowid) FROM "{loc.table}"').fetchone()
    except Exception:  # noqa: BLE001 - no store yet: nothing to count; verify() says why
        return 0
    return int(row[0] or 0) if row else 0


def verify(app_or_service: Any, cfg: Settings | None = None, *,
           anchor: tuple[int, bytes] | None = None, batch: int = BATCH,
           checkpoints: Sequence[Attested] = (), since: Attested | None = None,
           progress: Callable[[int], None] | None = None) -> VerifyReport:
    """Recompute every stream chain and the log chain of one service's store.

    `app_or_service`: a HavenApplication, or a service name resolved with `cfg`
    (default: settings from the environment). `anchor`: a `report.head` kept
    from an earlier run, to detect removal of the newest records. `checkpoints`:
    heads recorded earlier, each compared with the recomputed chain at its position.
    `since`: a checkpoint whose signature and chain the caller has checked
    (shared.audit_trail.checkpoints.verify_since_checkpoint): check only the log after it,
    going on from the hash it attests; `report.events` then counts only those positions.
    `progress(n)` is called after each batch with the number of log positions it held.
    """
    loc = locate(app_or_service, cfg)
    report = VerifyReport(service=loc.service, backend=loc.backend)
    checker = _Checker(report, anchor, checkpoints, since)
    started = time.perf_counter()
    start = since.position if since is not None else None
    reader = _postgres_rows if loc.backend == "postgres" else _sqlite_rows
    batches: Iterable[list[Row]] = reader(loc, batch, start, checker.bases)
    for rows in batches:
        for row in rows:
            checker.feed(row)
        if progress is not None:
            progress(len(rows))
    checker.finish()
    report.elapsed = time.perf_counter() - started
    return report
