"""Tamper verification against real stores: tamper with SQL, as an intruder with database
access would, and check that `verify` names the stream and position of every break.
(A clean store verifying clean, on either backend, is in test_event_store.py.)"""

from __future__ import annotations

import dataclasses
import sqlite3

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError
from psycopg import sql

from shared.audit import CommandContext
from shared.eventstore import _conninfo
from shared.verify import VerifyReport, verify
from tests.platform.sample import Dossier, Dossiers, interleaved

CTX = CommandContext(actor_id="u-3", actor_role="caseworker", command="record")


@pytest.fixture
def store(app_factory):
    """Three interleaved streams in a store of its own: one test's tampering stays its own."""
    app = app_factory(Dossiers)
    return app, interleaved(app, CTX)


# -- tampering helpers (PostgreSQL) -----------------------------------------
def tables(app: Dossiers) -> dict[str, sql.Composable]:
    schema = app.settings.schema(app.name)
    return {"events": sql.Identifier(schema, f"{app.name}_events"),
            "chain": sql.Identifier(schema, f"{app.name}_events_chain")}


def tamper(app: Dossiers, statement: str, *params: object) -> int:
    """Run one statement as an intruder would; return the number of rows it touched."""
    with psycopg.connect(_conninfo(app.settings), autocommit=True) as conn:
        cur = conn.execute(sql.SQL(statement).format(**tables(app)), params)
        return cur.rowcount


def nid(app: Dossiers, aggregate: Dossier, version: int) -> int:
    with psycopg.connect(_conninfo(app.settings)) as conn:
        row = conn.execute(sql.SQL("SELECT notification_id FROM {events} WHERE originator_id = %s"
                                   " AND originator_version = %s").format(**tables(app)),
                           (aggregate.id, version)).fetchone()
    assert row, "no such record"
    return int(row[0])


def assert_first_break(report: VerifyReport, kind: str, aggregate: Dossier, version: int,
                       notification_id: int) -> None:
    first = report.first_break
    assert not report.ok and first is not None, report.summary()
    assert (first.kind, first.stream, first.position, first.notification_id) == \
        (kind, aggregate.id.hex, version, notification_id), report.breaks
    assert first.service == report.service


# -- not tampering ----------------------------------------------------------------
def test_a_hole_left_by_a_rolled_back_transaction_is_not_tampering(store):
    app, (a, _, _) = store
    stale = app.repository.get(a.id)
    a.add_note("saved first")
    app.save(a, ctx=CTX)
    stale.add_note("saved second, on a stale copy")
    with pytest.raises(IntegrityError):  # version conflict: rolled back, its notification id spent
        app.save(stale, ctx=CTX)
    later = Dossier(full_name="Dana Bota", birth_year=1990)
    app.save(later, ctx=CTX)
    assert nid(app, later, 1) > nid(app, a, 5) + 1, "expected a hole in the notification ids"
    report = verify(app)
    assert report.ok and report.events == 11, report.breaks


def test_small_batches_give_the_same_verdict(store):
    app, (a, _, _) = store
    tamper(app, "UPDATE {events} SET state = state || '\\x00'::bytea"
                " WHERE originator_id = %s AND originator_version = 3", a.id)
    whole, batched = verify(app), verify(app, batch=2)
    assert batched.breaks == whole.breaks and batched.events == whole.events == 9


# -- one byte altered ----------------------------------------------------------
@pytest.mark.parametrize("column, change, kind", [
    ("state", "set_byte(state, 40, get_byte(state, 40) # 1)", "stream_hash_mismatch"),
    ("topic", "overlay(topic placing 'm' from length(topic) - 2 for 1)",
     "stream_hash_mismatch"),
    ("originator_version", "originator_version # 64", "out_of_order"),
])
def test_one_altered_byte_in_a_record_is_found_where_it_is(store, column, change, kind):
    app, (a, _, _) = store
    where = nid(app, a, 2)
    assert tamper(app, f"UPDATE {{events}} SET {column} = {change}"
                       " WHERE originator_id = %s AND originator_version = 2", a.id) == 1
    report = verify(app)
    assert_first_break(report, kind, a, 2, where)
    # Each link is checked against its stored neighbours: the damage stays local.
    assert report.break_count == 1, report.breaks


def test_an_altered_log_hash_in_the_chain_table_is_found(store):
    app, (_, b, _) = store
    where = nid(app, b, 2)
    tamper(app, "UPDATE {chain} SET log_hash = set_byte(log_hash, 0, get_byte(log_hash, 0) # 1)"
                " WHERE notification_id = %s", where)
    report = verify(app)
    assert_first_break(report, "log_hash_mismatch", b, 2, where)


# -- records deleted -----------------------------------------------------------
def test_a_deleted_record_whose_chain_entry_was_left_is_found(store):
    app, (a, _, _) = store
    where = nid(app, a, 2)
    tamper(app, "DELETE FROM {events} WHERE notification_id = %s", where)
    report = verify(app)
    assert_first_break(report, "missing_record", a, 2, where)
    assert report.break_count == 1


def test_a_record_deleted_with_its_chain_entry_in_mid_stream_is_found(store):
    app, (a, _, _) = store
    gone, next_in_stream = nid(app, a, 2), nid(app, a, 3)
    tamper(app, "DELETE FROM {events} WHERE notification_id = %s", gone)
    tamper(app, "DELETE FROM {chain} WHERE notification_id = %s", gone)
    report = verify(app)
    # The log chain notices the hole first (it cannot tell whose record it was) ...
    first = report.first_break
    assert (first.kind, first.stream, first.position, first.notification_id) == \
        ("missing_record", None, gone, gone), report.breaks
    # ... and the stream names it when v3 follows v1.
    assert [(x.kind, x.stream, x.position, x.notification_id) for x in report.breaks] == [
        ("missing_record", None, gone, gone),
        ("missing_record", a.id.hex, 2, next_in_stream)]


def test_the_last_record_of_a_stream_deleted_mid_log_breaks_the_log_chain(store):
    app, (_, _, c) = store
    gone = nid(app, c, 2)
    tamper(app, "DELETE FROM {events} WHERE notification_id = %s", gone)
    tamper(app, "DELETE FROM {chain} WHERE notification_id = %s", gone)
    report = verify(app)
    # Nothing follows c2 in its stream; the log chain still sees the hole.
    assert [(x.kind, x.stream, x.position) for x in report.breaks] == [
        ("missing_record", None, gone)]


def test_a_deleted_chain_entry_is_found(store):
    app, (_, b, _) = store
    where = nid(app, b, 2)
    tamper(app, "DELETE FROM {chain} WHERE notification_id = %s", where)
    report = verify(app)
    assert_first_break(report, "missing_chain_entry", b, 2, where)
    assert report.break_count == 1


def test_removing_the_newest_records_needs_an_anchor_to_be_seen(store):
    app, (a, _, _) = store
    head = verify(app).head
    assert head is not None
    tamper(app, "DELETE FROM {events} WHERE notification_id = %s", head[0])
    tamper(app, "DELETE FROM {chain} WHERE notification_id = %s", head[0])
    # The chains alone cannot tell a truncated log from a shorter one ...
    assert verify(app).ok
    # ... the head kept from the previous run can.
    report = verify(app, anchor=head)
    assert not report.ok and report.first_break.kind == "anchor_mismatch"
    assert verify(app, anchor=verify(app).head).ok


# -- records swapped -----------------------------------------------------------
def test_states_of_two_records_swapped_are_both_found(store):
    app, (a, b, _) = store
    first, second = nid(app, a, 2), nid(app, b, 2)
    tamper(app, "UPDATE {events} e SET state = o.state FROM {events} o"
                " WHERE (e.notification_id, o.notification_id) IN ((%s, %s), (%s, %s))",
           first, second, second, first)
    report = verify(app)
    assert_first_break(report, "stream_hash_mismatch", a, 2, first)
    assert [(x.kind, x.stream, x.position) for x in report.breaks] == [
        ("stream_hash_mismatch", a.id.hex, 2), ("stream_hash_mismatch", b.id.hex, 2)]


def swap_notification_ids(app: Dossiers, table: str, one: int, two: int) -> None:
    # In three steps: the unique index on notification_id is checked row by row.
    for old, new in ((one, -1), (two, one), (-1, two)):
        tamper(app, f"UPDATE {{{table}}} SET notification_id = %s WHERE notification_id = %s",
               new, old)


def test_notification_ids_of_two_records_swapped_are_found(store):
    app, (a, b, _) = store
    first, second = nid(app, a, 2), nid(app, b, 2)
    swap_notification_ids(app, "events", first, second)
    report = verify(app)
    assert_first_break(report, "out_of_order", a, 2, first)
    assert [(x.stream, x.position, x.notification_id) for x in report.breaks] == [
        (a.id.hex, 2, first), (b.id.hex, 2, second)]


def test_the_log_reordered_in_both_tables_is_found(store):
    app, (a, _, _) = store
    first, second = nid(app, a, 2), nid(app, a, 3)
    swap_notification_ids(app, "events", first, second)
    swap_notification_ids(app, "chain", first, second)
    report = verify(app)
    assert not report.ok
    assert report.first_break.stream == a.id.hex and report.first_break.notification_id == first
    kinds = {x.kind for x in report.breaks}
    assert "out_of_order" in kinds and "log_hash_mismatch" in kinds
    # v2 is not missing, only misplaced: the report must not claim it was deleted.
    assert "missing_record" not in kinds


# -- SQLite (embedded mode) ----------------------------------------------------
def test_tampering_with_the_sqlite_store_is_found_too(app_factory, cfg, tmp_path):
    lite = dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path)
    app = app_factory(Dossiers, lite)
    a, b, _ = interleaved(app, CTX)
    app.close()  # the intruder's writes below must not wait for the app's connection

    with sqlite3.connect(lite.sqlite_path(app.name)) as conn:
        row = conn.execute("SELECT rowid, state FROM stored_events WHERE originator_id = ?"
                           " AND originator_version = 2", (b.id.hex,)).fetchone()
        where, state = row[0], bytearray(row[1])
        state[40] ^= 1
        conn.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (bytes(state), where))
        gone = conn.execute("SELECT rowid FROM stored_events WHERE originator_id = ?"
                            " AND originator_version = 3", (a.id.hex,)).fetchone()[0]
        conn.execute("DELETE FROM stored_events WHERE rowid = ?", (gone,))
    report = verify(app.name, lite)
    assert_first_break(report, "stream_hash_mismatch", b, 2, where)
    assert [(x.kind, x.stream, x.position, x.notification_id) for x in report.breaks] == [
        ("stream_hash_mismatch", b.id.hex, 2, where), ("missing_record", a.id.hex, 3, gone)]


# -- size ----------------------------------------------------------------------
class Unsnapshotted(Dossiers):
    snapshotting_intervals = {}  # noqa: RUF012 - snapshots would only slow the build


@pytest.mark.slow
def test_a_store_of_20000_events_in_4000_streams_verifies_clean(app_factory):
    # Many batches and streams; how fast verification goes is measured by `make bench`.
    app = app_factory(Unsnapshotted)
    for _ in range(200):  # 200 saves of 20 dossiers x 5 events
        batch = []
        for _ in range(20):
            dossier = Dossier(full_name="Ana Popescu", birth_year=1999)
            for i in range(4):
                dossier.add_note(f"visit {i}")
            batch.append(dossier)
        app.save(*batch, ctx=CTX)
    report = verify(app)
    assert report.ok and report.events == 20_000 and report.streams == 4_000, report.summary()
