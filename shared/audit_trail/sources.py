"""Which stores an audit reads, and reading them: read-only, straight from the tables.

No HavenApplication is constructed to read: an application creates its schema, tables
and key table on start, which read-only audit credentials must not (and cannot) do.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import sql

from shared import case_index
from shared.config import Settings
from shared.verify import Location, locate

AUDIT_URL_VARIABLE = "HAVEN_AUDIT_POSTGRES_URL"
AUDIT_STORE = "audit"  # the reveal log's own store (shared.audit_trail.reveals)


def audit_settings(env: dict[str, str] | None = None) -> Settings:
    """Settings for reading: HAVEN_AUDIT_POSTGRES_URL (read-only credentials in production)
    when set, else HAVEN_POSTGRES_URL."""
    cfg = Settings.from_env(env)
    return dataclasses.replace(cfg, postgres_url=cfg.audit_postgres_url)


@dataclass(frozen=True)
class Catalogue:
    """The stores an audit reads, and each one's application class when it has one
    (for its transcodings, and its access log). Tests name their own."""

    services: tuple[str, ...]
    applications: dict[str, Any] = dataclasses.field(default_factory=dict)
    optional: frozenset[str] = frozenset()  # may not exist yet without anything being wrong

    @classmethod
    def default(cls, names: Sequence[str] = ()) -> Catalogue:
        from shared.manifest import manifest

        chosen = tuple(names) or (*manifest().stores, AUDIT_STORE)
        # The audit store appears with the first recorded reveal (or the audit service).
        optional = frozenset() if names else frozenset({AUDIT_STORE})
        return cls(chosen, {name: _application_class(name) for name in chosen}, optional)

    def application(self, service: str) -> Any:
        return self.applications.get(service)


def _application_class(name: str) -> Any:
    from shared.manifest import manifest

    try:
        return manifest()[name].application_class
    except (LookupError, ImportError, AttributeError):
        return None  # a store without code here (retired service, test store): bytes only


@dataclass(frozen=True)
class Record:
    """One stored event with its chain entry, as it is in the store."""

    service: str
    notification_id: int
    originator_id: str  # uuid hex, as the chain table has it
    originator_version: int
    topic: str
    state: bytes
    stream_hash: bytes | None
    log_hash: bytes | None


def _raw(value: Any) -> bytes:
    return value.encode() if isinstance(value, str) else bytes(value)  # text written by hand


def _hex(value: Any) -> str:
    return value.hex if isinstance(value, UUID) else str(value)


# No JIT: an audit's queries are a case's few rows, but with statistics older than the
# table the planner expected thousands and spent 150 ms compiling one of them.
READ_OPTIONS = {"autocommit": True, "options": "-c jit=off"}


def connect_read_only(conninfo: str) -> Any:
    import psycopg

    conn = psycopg.connect(conninfo, **READ_OPTIONS)  # type: ignore[arg-type]
    conn.read_only = True
    return conn


class ReadPool:
    """Connections to the stores' databases kept between answers, for a process that
    answers audits all day (the audit service): one answer reads every store, and
    connecting to each anew cost a connection's start-up per store per answer and, with
    many auditors at once, as many of the database's connection slots. At most
    `max_size` connections per database; an answer waits for one when all are in use."""

    def __init__(self, max_size: int = 4):
        self.max_size = max_size
        self._pools: dict[str, Any] = {}

    @contextmanager
    def connection(self, conninfo: str) -> Iterator[Any]:
        pool = self._pools.get(conninfo)
        if pool is None:
            from psycopg_pool import ConnectionPool

            pool = self._pools[conninfo] = ConnectionPool(
                conninfo, min_size=1, max_size=self.max_size, kwargs=READ_OPTIONS,
                configure=_read_only, open=False, name="audit-read")
            pool.open(wait=True)  # its first connection ready, or the first answer opens two
        with pool.connection() as conn:
            yield conn

    def close(self) -> None:
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()


def _read_only(conn: Any) -> None:
    conn.read_only = True


class StoreReader:
    """Read-only queries on one service's events table and its `_chain` table."""

    def __init__(self, service: str, cfg: Settings, connection: Any = None):
        """`connection`: one already open to the store's database (open_readers shares one
        among the stores of a database), which this reader then uses and never closes."""
        self.service = service
        self.loc: Location = locate(service, cfg)
        self._conn: Any = connection
        self._owned = connection is None
        self._indexed: bool | None = None

    # -- connection -------------------------------------------------------------------
    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._conn is not None and self._owned:
            self._conn.close()
        self._conn = None

    @property
    def postgres(self) -> bool:
        return self.loc.backend == "postgres"

    def _connection(self) -> Any:
        if self._conn is None:
            self._owned = True
            if self.postgres:
                self._conn = connect_read_only(self.loc.conninfo)
            else:
                self._conn = sqlite3.connect(f"file:{self.loc.path}?mode=ro", uri=True)
        return self._conn

    def exists(self) -> bool:
        try:
            if self.postgres:
                row = self._connection().execute(
                    "SELECT to_regclass(%s), to_regclass(%s)",
                    (self._name(self.loc.table), self._name(self.loc.table + "_chain")))\
                    .fetchone()
                return bool(row and None not in row)
            names = {r[0] for r in self._connection().execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            return {self.loc.table, self.loc.table + "_chain"} <= names
        except (sqlite3.Error, OSError):
            return False

    def _name(self, table: str) -> str:
        return sql.Identifier(self.loc.schema, table).as_string(None)

    # -- queries ----------------------------------------------------------------------
    def _select(self, where: str, params: Sequence[Any], order: str = "1") -> list[Record]:
        """Events joined to their chain entries; `where` uses {e} and ? placeholders.

        Each event's chain entry is looked up by its key (LATERAL ... LIMIT 1), whatever
        the planner believes: with statistics older than the table (autovacuum off, or
        behind after a bulk load) it hashed the whole chain table to join a case's few
        events, 160 ms of a 220 ms history at a million events."""
        if self.postgres:
            events = sql.Identifier(self.loc.schema, self.loc.table)
            chained = sql.Identifier(self.loc.schema, self.loc.table + "_chain")
            query: Any = sql.SQL(
                "SELECT e.notification_id, e.originator_id, e.originator_version, e.topic,"
                " e.state, c.stream_hash, c.log_hash FROM {events} e LEFT JOIN LATERAL"
                " (SELECT stream_hash, log_hash FROM {chained} WHERE notification_id ="
                " e.notification_id LIMIT 1) c ON true WHERE " + where.replace("?", "%s")
                + " ORDER BY " + order).format(events=events, chained=chained)
            rows = self._connection().execute(query, params).fetchall()
        else:
            query = (f'SELECT e.rowid, e.originator_id, e.originator_version, e.topic, e.state,'
                     f' c.stream_hash, c.log_hash FROM "{self.loc.table}" e LEFT JOIN'
                     f' "{self.loc.table}_chain" c ON c.notification_id = e.rowid'
                     f' WHERE {where} ORDER BY {order}')
            with closing(self._connection().cursor()) as cur:
                rows = cur.execute(query, list(params)).fetchall()
        return [Record(self.service, int(r[0]), _hex(r[1]), int(r[2]), r[3], _raw(r[4]),
                       bytes(r[5]) if r[5] is not None else None,
                       bytes(r[6]) if r[6] is not None else None) for r in rows]

    def indexed(self) -> bool:
        """Whether the store has its case index (shared.case_index): every store written
        since the index exists; an older one gets it when its service next starts, or with
        `haven audit index rebuild`."""
        if self._indexed is None:
            names = case_index.table_of(self.loc.table)
            if self.postgres:
                # Readable too: credentials whose grants predate the index (`haven db grants`
                # not re-run since) still answer, by scanning.
                row = self._connection().execute(
                    "SELECT CASE WHEN to_regclass(%(t)s) IS NULL THEN false"
                    " ELSE has_table_privilege(%(t)s, 'SELECT') END",
                    {"t": self._name(names)}).fetchone()
                self._indexed = bool(row and row[0])
            else:
                self._indexed = self._connection().execute(
                    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                    (names,)).fetchone() is not None
        return self._indexed

    def containing(self, needles: Iterable[str]) -> list[Record]:
        """Events indexed under any of `needles` (case ids, references, client and subject
        ids, causation ids "<service>:<nid>": shared.case_index), in log order: an indexed
        lookup, so it costs what the case holds, not what the store holds. Callers decode
        and confirm. A store without an index yet is scanned (`scan`)."""
        needles = list(needles)
        if not self.indexed():
            return self.scan(needles)
        wanted = sorted({n for n in map(case_index.normalise, needles) if n})
        if not wanted:
            return []
        names = case_index.table_of(self.loc.table)
        if self.postgres:
            # ARRAY(...) is evaluated once: the events are then read by notification id.
            return self._select(
                f"e.notification_id = ANY(ARRAY(SELECT notification_id FROM"
                f" {self._name(names)} WHERE needle = ANY(?)))", [wanted])
        placeholders = ", ".join("?" * len(wanted))
        return self._select(f'e.rowid IN (SELECT notification_id FROM "{names}"'
                            f" WHERE needle IN ({placeholders}))", wanted)

    def scan(self, needles: Iterable[str]) -> list[Record]:
        """Events whose stored bytes contain any of `needles`, found by reading every stored
        event: what the index is checked against (shared.audit_trail.index), and the way
        into a store that has no index yet. Never personal data: sealed fields are
        ciphertext, so a name could not be found this way."""
        wanted = sorted({n.encode() for n in needles if n})
        if not wanted:
            return []
        test = "position(?::bytea in e.state) > 0" if self.postgres else "instr(e.state, ?) > 0"
        return self._select(" OR ".join([test] * len(wanted)), wanted)

    def at(self, notification_ids: Iterable[int]) -> list[Record]:
        """The events at these log positions."""
        return self._among("notification_id", sorted(set(notification_ids)), sqlite_column="rowid")

    def streams(self, originator_ids: Iterable[str]) -> list[Record]:
        """Every event of these streams, in log order."""
        oids = sorted(set(originator_ids))
        return self._among("originator_id", oids, [UUID(o) for o in oids])

    def of_topics(self, topics: Iterable[str]) -> list[Record]:
        """Every event of these topics (domain event classes), in log order."""
        return self._among("topic", sorted(set(topics)))

    def _among(self, column: str, wanted: list[Any], postgres_values: list[Any] | None = None,
               sqlite_column: str | None = None) -> list[Record]:
        """The events whose `column` is one of `wanted` (none wanted: none). PostgreSQL takes
        the list as one array parameter (as `postgres_values` where its type differs);
        SQLite has no arrays, so one placeholder per value."""
        if not wanted:
            return []
        if self.postgres:
            return self._select(f"e.{column} = ANY(?)", [postgres_values or wanted])
        placeholders = ", ".join("?" * len(wanted))
        return self._select(f"e.{sqlite_column or column} IN ({placeholders})", wanted)

    def links(self, after: int, upto: int) -> Iterator[tuple[int, str, int, bytes, bytes]]:
        """Chain entries (nid, stream, version, stream hash, log hash) in (after, upto]."""
        if self.postgres:
            query: Any = sql.SQL(
                "SELECT notification_id, originator_id, originator_version, stream_hash,"
                " log_hash FROM {} WHERE notification_id > %s AND notification_id <= %s"
                " ORDER BY notification_id").format(
                sql.Identifier(self.loc.schema, self.loc.table + "_chain"))
        else:
            query = (f'SELECT notification_id, originator_id, originator_version, stream_hash,'
                     f' log_hash FROM "{self.loc.table}_chain" WHERE notification_id > ?'
                     f' AND notification_id <= ? ORDER BY notification_id')
        for r in self._connection().execute(query, (after, upto)):
            yield int(r[0]), str(r[1]), int(r[2]), bytes(r[3]), bytes(r[4])

    def log_hash_before(self, nid: int) -> bytes | None:
        """The stored log hash of the last chain entry before `nid` (None: `nid` is first)."""
        found = list(self._chain_row("notification_id < ? ORDER BY notification_id DESC",
                                     (nid,), "log_hash"))
        return found[0] if found else None

    def stream_hash_before(self, originator_id: str, version: int) -> bytes | None:
        found = list(self._chain_row("originator_id = ? AND originator_version = ?",
                                     (originator_id, version - 1), "stream_hash"))
        return found[0] if found else None

    def head(self) -> tuple[int, bytes] | None:
        """(last notification id, its stored log hash) of the chain table."""
        query = ("SELECT notification_id, log_hash FROM {} ORDER BY notification_id DESC"
                 " LIMIT 1")
        if self.postgres:
            row = self._connection().execute(sql.SQL(query).format(
                sql.Identifier(self.loc.schema, self.loc.table + "_chain"))).fetchone()
        else:
            row = self._connection().execute(
                query.format(f'"{self.loc.table}_chain"')).fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    def _chain_row(self, where: str, params: Sequence[Any], column: str) -> Iterator[bytes]:
        template = f"SELECT {column} FROM {{}} WHERE {where} LIMIT 1"
        if self.postgres:
            query: Any = sql.SQL(template.replace("?", "%s")).format(
                sql.Identifier(self.loc.schema, self.loc.table + "_chain"))
        else:
            query = template.format(f'"{self.loc.table}_chain"')
        for row in self._connection().execute(query, params):
            yield bytes(row[0])
