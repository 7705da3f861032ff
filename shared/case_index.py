"""The case index: which stored events name which case, written with the events themselves.

An auditor's history of a case starts from the events that name it (its id, its reference,
the events its events caused...). Finding those by scanning every stored event costs what
the whole store holds, however small the case. So each store keeps a table beside its
events, `<events table>_names (needle, notification_id)`, filled in the same transaction
as the events it indexes (shared.eventstore's recorders call `write_postgres` /
`write_sqlite`), and the audit tools look needles up there
(shared.audit_trail.sources.StoreReader.containing).

What is indexed is exactly what the audit tools ask for, and only id-like values stored
in clear: the fields in NEEDLE_FIELDS of an event's own state (a case id, a case
reference, a client or data subject id) and the causation id of its audit metadata
("<service>:<notification id>"). Sealed values (personal data, ciphertext) and free text
never are: an index of names would be a second, unsealed copy of them.

Tokens are derived from the stored bytes alone (plain JSON; no application code, no key),
so anyone who can read the store can recompute them: `haven audit verify` does, and
reports an index that differs from its events (shared.audit_trail.index). The index is
derived data: `haven audit index rebuild` recreates it, and a store written before the
index existed is filled when its tables are next created (`create_postgres`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from psycopg import sql

from shared.crypto import is_sealed

# The fields of an event's state whose values the audit tools look up (shared.audit_trail
# .links: case id and references; shared.gdpr.access: the person's client and subject ids).
NEEDLE_FIELDS = ("case_id", "reference", "case_reference", "client_id", "subject_id",
                 "person_subject_id")
AUDIT_FIELDS = ("causation_id",)  # of the `_audit` metadata: how a reaction names its cause
AUDIT_KEY = "_audit"  # shared.eventstore.AUDIT_KEY (not imported: that module imports this)
MAX_TOKEN = 200  # an id or a reference; anything longer is not an id
BATCH = 5000
SUFFIX = "_names"


def table_of(events_table: str) -> str:
    return events_table + SUFFIX


# -- what an event is indexed under -----------------------------------------------------
def normalise(value: Any) -> str | None:
    """One spelling per id: a UUID (object, dashed or hex) as its dashed form, anything
    else as it is. Needles are normalised the same way before a lookup."""
    if isinstance(value, UUID):
        return str(value)
    if not isinstance(value, str) or not value or len(value) > MAX_TOKEN or is_sealed(value):
        return None
    try:
        return str(UUID(value))
    except ValueError:
        return value


def _value(raw: Any) -> str | None:
    """A field's value as stored: a string, or a UUID as eventsourcing's transcoder writes
    it ({"_type_": "uuid_hex", "_data_": "..."}); other types are no ids."""
    if isinstance(raw, dict) and raw.get("_type_") == "uuid_hex":
        raw = raw.get("_data_")
    return normalise(raw)


def tokens(state: bytes | str) -> set[str]:
    """The needles a stored event's state is indexed under (its bytes as stored)."""
    try:
        decoded = json.loads(state)
    except (ValueError, UnicodeDecodeError):
        return set()  # not JSON (compressed, or written by hand): nothing to index
    if not isinstance(decoded, dict):
        return set()
    found = {_value(decoded.get(name)) for name in NEEDLE_FIELDS}
    audit = decoded.get(AUDIT_KEY)
    if isinstance(audit, dict):
        found |= {_value(audit.get(name)) for name in AUDIT_FIELDS}
    found.discard(None)
    return found  # type: ignore[return-value]


def rows_of(states: Iterable[tuple[int, bytes | str]]) -> list[tuple[str, int]]:
    """(needle, notification id) for each (notification id, stored state)."""
    return [(needle, nid) for nid, state in states for needle in sorted(tokens(state))]


def _rows(stored_events: Sequence[StoredEvent], ids: Sequence[int]) -> list[tuple[str, int]]:
    return rows_of(zip(ids, (s.state for s in stored_events), strict=True))


# -- PostgreSQL -------------------------------------------------------------------------
def _pg_names(schema: str, events_table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(schema), sql.Identifier(table_of(events_table)))


def _pg_insert(curs: Any, names: sql.Composed, rows: list[tuple[str, int]]) -> None:
    if rows:  # one statement per batch, whatever its size
        curs.execute(sql.SQL(
            "INSERT INTO {} (needle, notification_id) SELECT * FROM unnest(%s::text[],"
            " %s::bigint[]) ON CONFLICT DO NOTHING").format(names),
            ([r[0] for r in rows], [r[1] for r in rows]))


def write_postgres(curs: Any, recorder: Any, stored_events: Sequence[StoredEvent],
                   ids: Sequence[int]) -> None:
    """Index a batch of events, inside the transaction that inserts them."""
    _pg_insert(curs, _pg_names(recorder.datastore.schema, recorder.events_table_name),
               _rows(stored_events, ids))


def create_postgres(recorder: Any) -> None:
    """Create the index table if missing; a table created now is filled from the events
    already stored, in the same transaction (a store written before the index existed)."""
    with recorder.datastore.transaction(commit=True) as curs:
        ensure_postgres(curs, recorder.datastore.schema, recorder.events_table_name)


def ensure_postgres(curs: Any, schema: str, events_table: str) -> bool:
    """Create the index table where it is missing and fill it; True if it was missing.
    `curs` returns rows as dicts (as eventsourcing's do)."""
    names = _pg_names(schema, events_table)
    curs.execute("SELECT to_regclass(%s) AS found", (names.as_string(curs),))
    fresh = curs.fetchone()["found"] is None
    curs.execute(sql.SQL(
        "CREATE TABLE IF NOT EXISTS {} (needle text NOT NULL, notification_id bigint"
        " NOT NULL, PRIMARY KEY (needle, notification_id))").format(names))
    # Rows arrive in log order: a BRIN index lets verify read them by log window for
    # almost nothing on the write path (a btree would double the index's write cost).
    curs.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} USING brin"
                         " (notification_id)").format(
        sql.Identifier(table_of(events_table) + "_nid_brin"), names))
    if fresh:
        fill_postgres(curs, schema, events_table)
    return fresh


def fill_postgres(curs: Any, schema: str, events_table: str) -> int:
    """Index every stored event (rows already there are kept); returns rows written."""
    names = _pg_names(schema, events_table)
    events = sql.Identifier(schema, events_table)
    written, after = 0, 0
    while True:  # keyset batches: memory stays flat on a store of millions
        curs.execute(sql.SQL("SELECT notification_id, state FROM {} WHERE notification_id > %s"
                             " ORDER BY notification_id LIMIT %s").format(events),
                     (after, BATCH))
        batch = [(int(r["notification_id"]), bytes(r["state"])) for r in curs.fetchall()]
        if not batch:
            return written
        rows = rows_of(batch)
        _pg_insert(curs, names, rows)
        written += len(rows)
        after = batch[-1][0]


# -- SQLite -----------------------------------------------------------------------------
def sqlite_statements(events_table: str) -> list[str]:
    names = table_of(events_table)
    return [f"CREATE TABLE IF NOT EXISTS {names} (needle TEXT NOT NULL, notification_id"
            " INTEGER NOT NULL, PRIMARY KEY (needle, notification_id)) WITHOUT ROWID",
            f"CREATE INDEX IF NOT EXISTS {names}_nid_idx ON {names} (notification_id)"]


def write_sqlite(c: Any, events_table: str, stored_events: Sequence[StoredEvent],
                 ids: Sequence[int]) -> None:
    c.executemany(f"INSERT OR IGNORE INTO {table_of(events_table)} VALUES (?, ?)",
                  _rows(stored_events, ids))


def sqlite_exists(c: Any, events_table: str) -> bool:
    c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
              (table_of(events_table),))
    return c.fetchone() is not None


def fill_sqlite(c: Any, events_table: str) -> int:
    """As fill_postgres (the events' rowid is their notification id)."""
    written, after = 0, 0
    while True:
        c.execute(f"SELECT rowid, state FROM {events_table} WHERE rowid > ? ORDER BY rowid"
                  " LIMIT ?", (after, BATCH))
        batch = [(int(r[0]), r[1]) for r in c.fetchall()]
        if not batch:
            return written
        rows = rows_of(batch)
        c.executemany(f"INSERT OR IGNORE INTO {table_of(events_table)} VALUES (?, ?)", rows)
        written += len(rows)
        after = batch[-1][0]


def create_sqlite(recorder: Any, existed: bool) -> None:
    """After the tables were created: fill an index that did not exist before."""
    if not existed:
        with recorder.datastore.transaction(commit=True) as c:
            fill_sqlite(c, recorder.events_table_name)


def sqlite_index_existed(recorder: Any) -> bool:
    try:
        with recorder.datastore.transaction(commit=False) as c:
            return sqlite_exists(c, recorder.events_table_name)
    except sqlite3.Error:
        return False


def windows(first: int, last: int, size: int = BATCH) -> Iterator[tuple[int, int]]:
    """[lo, hi) windows of notification ids covering first..last."""
    lo = first
    while lo <= last:
        yield lo, lo + size
        lo += size
