"""The case index seen from the audit side: checked against the stored events by
`haven audit verify`, rebuilt by `haven audit index rebuild SERVICE`.

The index (shared.case_index) is what history, replay, export and GDPR access look a case
up in, so an index that lost a row would silently shorten a case's history. Verify
therefore re-derives every event's needles from its stored bytes -- the raw read of the
whole store that lookups no longer do -- and compares them with the index rows, window by
window of the log, in one snapshot:

    case_index_mismatch   an event's needle has no index row (the index misses an event
                          a scan finds), or an index row names an event that does not
                          carry that needle, or no event at all (added, altered)

The index is derived data (its writer may rebuild it), so a mismatch is repaired with
`haven audit index rebuild`; but it is a break all the same, because until then the
history of a case can miss events.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing, contextmanager
from typing import Any

from psycopg import sql

from shared import case_index
from shared.config import Settings
from shared.verify import MAX_BREAKS, Break, locate

KIND = "case_index_mismatch"
WINDOW = case_index.BATCH


def _postgres_window(conn: Any, schema: str, table: str, lo: int,
                     hi: int) -> tuple[dict[int, bytes], list[tuple[str, int]]]:
    events = sql.Identifier(schema, table)
    names = sql.Identifier(schema, case_index.table_of(table))
    states = {int(n): bytes(s) for n, s in conn.execute(sql.SQL(
        "SELECT notification_id, state FROM {} WHERE notification_id >= %s AND"
        " notification_id < %s").format(events), (lo, hi))}
    rows = [(str(needle), int(n)) for needle, n in conn.execute(sql.SQL(
        "SELECT needle, notification_id FROM {} WHERE notification_id >= %s AND"
        " notification_id < %s").format(names), (lo, hi))]
    return states, rows


def _sqlite_window(conn: Any, table: str, lo: int,
                   hi: int) -> tuple[dict[int, bytes], list[tuple[str, int]]]:
    states = {int(n): s for n, s in conn.execute(
        f'SELECT rowid, state FROM "{table}" WHERE rowid >= ? AND rowid < ?', (lo, hi))}
    rows = [(str(needle), int(n)) for needle, n in conn.execute(
        f'SELECT needle, notification_id FROM "{case_index.table_of(table)}"'
        " WHERE notification_id >= ? AND notification_id < ?", (lo, hi))]
    return states, rows


@contextmanager
def _snapshot(service: str, cfg: Settings) -> Iterator[tuple[Any, Any]]:
    """(read one window, the log's upper bound) in one consistent snapshot, read-only."""
    loc = locate(service, cfg)
    if loc.backend == "postgres":
        import psycopg

        with psycopg.connect(loc.conninfo) as conn:
            conn.read_only = True
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            row = conn.execute(sql.SQL("SELECT max(notification_id) FROM {}").format(
                sql.Identifier(loc.schema, loc.table))).fetchone()
            yield (lambda lo, hi: _postgres_window(conn, loc.schema, loc.table, lo, hi),
                   int(row[0] or 0) if row else 0)
        return
    with closing(sqlite3.connect(f"file:{loc.path}?mode=ro", uri=True,
                                 isolation_level=None)) as conn:
        conn.execute("BEGIN")
        top = conn.execute(f'SELECT max(rowid) FROM "{loc.table}"').fetchone()[0]
        yield (lambda lo, hi: _sqlite_window(conn, loc.table, lo, hi), int(top or 0))


def index_breaks(service: str, cfg: Settings, after: int = 0) -> tuple[list[Break], int]:
    """Where the case index and the events after notification `after` disagree: (the
    first MAX_BREAKS breaks, how many in all)."""
    found: list[Break] = []
    count = 0
    with _snapshot(service, cfg) as (window, top):
        ranges = list(case_index.windows(after + 1, top))
        # And everything past the last event: index rows for events that do not exist.
        ranges.append((ranges[-1][1] if ranges else after + 1, 2**63 - 1))
        for lo, hi in ranges:
            states, rows = window(lo, hi)
            for problem in _compare(service, states, rows):
                count += 1
                if len(found) < MAX_BREAKS:
                    found.append(problem)
    return found, count


def _compare(service: str, states: dict[int, bytes],
             rows: list[tuple[str, int]]) -> Iterator[Break]:
    indexed: dict[int, set[str]] = defaultdict(set)
    for needle, nid in rows:
        indexed[nid].add(needle)
    for nid in sorted(set(states) | set(indexed)):
        expected = case_index.tokens(states[nid]) if nid in states else set()
        have = indexed.get(nid, set())
        for needle in sorted(expected - have):
            yield Break(service, KIND, None, nid,
                        f"the case index lacks {needle!r} for notification {nid}, which"
                        " names it: lookups of that needle miss the event", nid)
        for needle in sorted(have - expected):
            what = "an event that does not name it" if nid in states else "no stored event"
            yield Break(service, KIND, None, nid,
                        f"the case index files notification {nid} under {needle!r}:"
                        f" {what}", nid)


def has_index(service: str, cfg: Settings) -> bool:
    from shared.audit_trail.sources import StoreReader

    with StoreReader(service, cfg) as reader:
        return reader.exists() and reader.indexed()


# -- rebuild ----------------------------------------------------------------------------
def rebuild(service: str, cfg: Settings) -> int:
    """Recreate a store's case index from its events, in one transaction; returns the rows
    it holds then. Needs write access (the service's credentials, HAVEN_POSTGRES_URL).
    Writers go on meanwhile, unblocked: each indexes its own events, which the DELETE here
    (of the rows committed before it) does not touch, and the refill skips rows they wrote."""
    loc = locate(service, cfg)
    if loc.backend == "postgres":
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(loc.conninfo, row_factory=dict_row) as conn:
            with conn.cursor() as curs:
                if not case_index.ensure_postgres(curs, loc.schema, loc.table):
                    curs.execute(sql.SQL("DELETE FROM {}").format(
                        sql.Identifier(loc.schema, case_index.table_of(loc.table))))
                    case_index.fill_postgres(curs, loc.schema, loc.table)
                curs.execute(sql.SQL("SELECT count(*) AS n FROM {}").format(
                    sql.Identifier(loc.schema, case_index.table_of(loc.table))))
                return int(curs.fetchone()["n"])  # type: ignore[index]
    with closing(sqlite3.connect(loc.path, isolation_level=None)) as conn:
        conn.execute("BEGIN IMMEDIATE")  # SQLite's write lock: writers wait for the rebuild
        cur = conn.cursor()
        for statement in case_index.sqlite_statements(loc.table):
            cur.execute(statement)
        cur.execute(f'DELETE FROM "{case_index.table_of(loc.table)}"')
        written = case_index.fill_sqlite(cur, loc.table)
        conn.execute("COMMIT")
        return written
