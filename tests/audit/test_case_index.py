"""The case index (shared.case_index): written in the events' own transaction, what case
lookups answer from, checked by `haven audit verify`, rebuilt for stores older than it."""

from __future__ import annotations

import dataclasses
import sqlite3
import uuid

import psycopg
import pytest
from eventsourcing.persistence import DataError
from psycopg import sql

from shared import case_index
from shared.audit_trail.history import case_history
from shared.audit_trail.index import KIND, index_breaks
from shared.audit_trail.links import collect_case
from shared.audit_trail.replay import replay_case
from shared.audit_trail.sources import StoreReader
from shared.audit_trail.verification import verify_service
from shared.eventstore import HavenApplication, _conninfo
from tests.audit.casework_like import CaseworkLike, fresh
from tests.audit.conftest import build_world, ctx
from tests.audit.tampering import cli


def names(app: HavenApplication) -> sql.Identifier:
    return sql.Identifier(app.settings.schema(app.name), f"{app.name}_events_names")


def index_rows(app: HavenApplication) -> set[tuple[str, int]]:
    with psycopg.connect(_conninfo(app.settings)) as conn:
        return {(r[0], int(r[1])) for r in conn.execute(sql.SQL(
            "SELECT needle, notification_id FROM {}").format(names(app)))}


def change_index(app: HavenApplication, statement: str, *params: object) -> int:
    with psycopg.connect(_conninfo(app.settings), autocommit=True) as conn:
        return conn.execute(sql.SQL(statement).format(names=names(app)), params).rowcount


def expected_rows(app: HavenApplication) -> set[tuple[str, int]]:
    """What the index should hold: every stored event's needles, re-derived."""
    return set(case_index.rows_of((n.id, n.state) for n in
                                  app.recorder.select_notifications(1, 10**6)))


def scanning(monkeypatch: pytest.MonkeyPatch) -> None:
    """Case lookups as they were before the index: every stored event read."""
    monkeypatch.setattr(StoreReader, "containing", StoreReader.scan)


def index_kinds(service: str, cfg) -> list[str]:
    return [b.kind for b in verify_service(service, cfg).breaks if b.kind == KIND]


# -- what is indexed ----------------------------------------------------------------------
def test_ids_and_references_are_indexed_but_never_personal_data(world):
    rows = index_rows(world.casework)
    needles = {needle for needle, _ in rows}
    assert world.reference in needles  # the case's own stream need not name its id
    assert f"{world.intake.name}:" in "".join(needles)  # the opening's causation id
    for other in (world.intake, world.shelter):  # the linked contact, the admission
        assert str(world.case_id) in {needle for needle, _ in index_rows(other)}
    assert rows == expected_rows(world.casework)
    everything = " ".join(needles | {n for n, _ in index_rows(world.intake)})
    for secret in ("Olena", "Kovalenko", "passport", "600 100", "station", "pd1:", "pd2:"):
        assert secret not in everything


def test_tokens_normalise_uuids_and_skip_sealed_and_long_values():
    case = uuid.uuid4()
    state = (b'{"case_id": {"_type_": "uuid_hex", "_data_": "%s"}, "client_id": "%s",'
             b' "reference": "pd2:abc:def", "case_reference": "%s", "summary": "KC-1",'
             b' "_audit": {"causation_id": "intake:12", "correlation_id": "c-1"}}'
             % (case.hex.encode(), str(case).upper().encode(), b"x" * 500))
    assert case_index.tokens(state) == {str(case), "intake:12"}
    assert case_index.tokens(b"not json") == set()


# -- same transaction ---------------------------------------------------------------------
def test_a_save_that_fails_after_indexing_leaves_no_index_rows(world, monkeypatch):
    before, log = index_rows(world.casework), world.last_nid(world.casework)
    real = case_index.write_postgres

    def index_then_fail(curs, *args, **kwargs):
        real(curs, *args, **kwargs)
        curs.execute("SELECT 1 / 0")  # the database fails the transaction after indexing

    monkeypatch.setattr(case_index, "write_postgres", index_then_fail)
    with pytest.raises(DataError):
        world.casework.open_case(ctx("cw-1", "caseworker", "open_case"), "KC-2026-4242", "Ana")
    monkeypatch.undo()
    assert index_rows(world.casework) == before  # rolled back with the events
    assert world.last_nid(world.casework) == log
    case_id = world.casework.open_case(ctx("cw-1", "caseworker", "open_case"),
                                       "KC-2026-4242", "Ana")
    nid = world.last_nid(world.casework)
    assert {("KC-2026-4242", nid)} <= index_rows(world.casework)
    assert case_history("KC-2026-4242", world.casework.settings,
                        world.catalogue).case_id == str(case_id)


# -- lookups ------------------------------------------------------------------------------
def test_history_replay_and_links_from_the_index_equal_those_from_a_scan(world, cfg,
                                                                           monkeypatch):
    # More cases, so that a lookup has others to leave out.
    for n in range(3):
        other = world.casework.open_case(ctx("cw-2", "caseworker", "open_case"),
                                         f"KC-2025-{n:04d}", "Ion")
        world.casework.change(ctx("cw-2", "caseworker", "assign"), other, "assign", "cw-3")
    refs = [world.reference, str(world.case_id), str(world.other_case_id), "KC-2025-0001"]
    moment = world.casework.clock()

    def answers() -> list:
        return [(case_history(ref, cfg, world.catalogue).to_dict(),
                 replay_case(ref, moment, cfg, world.catalogue).to_dict(),
                 sorted(collect_case(ref, cfg, world.catalogue).whole_streams))
                for ref in refs]

    indexed = answers()
    scanning(monkeypatch)
    assert indexed == answers()
    assert len(indexed[0][0]["events"]) == 8


def test_a_store_without_index_is_scanned_then_indexed_when_its_service_starts(world, cfg):
    history = case_history(world.reference, cfg, world.catalogue).to_dict()
    expected = index_rows(world.casework)
    change_index(world.casework, "DROP TABLE {names}")  # a store older than the index
    with StoreReader(world.casework.name, cfg) as reader:
        assert not reader.indexed()
    assert case_history(world.reference, cfg, world.catalogue).to_dict() == history
    assert any("no case index yet" in note
               for note in verify_service(world.casework.name, cfg).notes)
    again = type(world.casework)(cfg)  # the service starts: its tables are created
    again.close()
    assert index_rows(world.casework) == expected
    assert case_history(world.reference, cfg, world.catalogue).to_dict() == history


# -- verify and rebuild -------------------------------------------------------------------
def test_verify_reports_a_deleted_altered_or_added_index_row(world, cfg):
    service = world.casework.name
    assert index_kinds(service, cfg) == []
    opened = next(nid for needle, nid in index_rows(world.casework)
                  if needle == world.reference)
    assert change_index(world.casework, "DELETE FROM {names} WHERE needle = %s",
                        world.reference) == 1
    found, count = index_breaks(service, cfg)
    assert count == 1 and found[0].notification_id == opened
    assert world.reference in found[0].detail and "lacks" in found[0].detail
    broken = cli("verify", "--service", service, "--no-progress", "--no-sealed")
    assert broken.exit_code == 1 and f"{KIND} " in broken.output

    change_index(world.casework, "INSERT INTO {names} VALUES (%s, %s)", world.reference,
                 opened + 1)  # filed under the wrong event
    change_index(world.casework, "INSERT INTO {names} VALUES ('KC-2026-0000', 999999)")
    assert index_kinds(service, cfg) == [KIND] * 3

    rebuilt = cli("index", "rebuild", service)
    assert rebuilt.exit_code == 0 and "case index rebuilt" in rebuilt.output, rebuilt.output
    assert index_rows(world.casework) == expected_rows(world.casework)
    assert index_kinds(service, cfg) == []


def test_incremental_check_reads_only_after_the_position(world, cfg):
    service = world.casework.name
    first = min(nid for _, nid in index_rows(world.casework))
    change_index(world.casework, "DELETE FROM {names} WHERE notification_id = %s", first)
    assert index_breaks(service, cfg, after=first)[1] == 0
    assert index_breaks(service, cfg, after=first - 1)[1] >= 1


# -- SQLite (embedded mode) ---------------------------------------------------------------
def test_sqlite_index_same_transaction_lookups_verify_and_backfill(cfg, tmp_path, monkeypatch):
    lite = dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path)
    world = build_world(lite)
    try:
        app = world.casework
        path = tmp_path / f"{app.name}.sqlite"

        def stored() -> set[tuple[str, int]]:
            with sqlite3.connect(path) as conn:
                return {(n, int(i)) for n, i in conn.execute(
                    "SELECT needle, notification_id FROM stored_events_names")}

        assert (world.reference, 1) in stored() and stored() == expected_rows(app)
        history = case_history(world.reference, lite, world.catalogue).to_dict()
        with monkeypatch.context() as patch:
            scanning(patch)
            assert case_history(world.reference, lite, world.catalogue).to_dict() == history

        before = stored()
        real = case_index.write_sqlite

        def index_then_fail(*args, **kwargs):
            real(*args, **kwargs)
            raise RuntimeError("fails after indexing")

        with monkeypatch.context() as patch:
            patch.setattr(case_index, "write_sqlite", index_then_fail)
            with pytest.raises(RuntimeError):
                app.open_case(ctx("cw-1", "caseworker", "open_case"), "KC-2026-5151", "Ana")
        assert stored() == before

        with sqlite3.connect(path) as conn:
            conn.execute("DELETE FROM stored_events_names WHERE needle = ?", (world.reference,))
        assert index_kinds(app.name, lite) == [KIND]
        rebuilt = cli("--data-dir", str(tmp_path), "index", "rebuild", app.name,
                      env={"HAVEN_STORE": "postgres"})  # --data-dir switches it to SQLite
        assert rebuilt.exit_code == 0, rebuilt.output
        assert stored() == before and index_kinds(app.name, lite) == []
        with sqlite3.connect(path) as conn:
            conn.execute("DROP TABLE stored_events_names")  # a store older than the index
        type(app)(lite).close()  # its service starts again: the index is filled
        assert stored() == before and index_kinds(app.name, lite) == []
    finally:
        for made in world.apps:
            made.close()


def test_rebuild_of_an_unindexed_postgres_store_by_command(cfg):
    app = fresh(CaseworkLike, cfg, "aix")
    try:
        case_id = app.open_case(ctx("cw-1", "caseworker", "open_case"), "KC-2026-6161", "Ana")
        app.change(ctx("cw-1", "caseworker", "assign"), case_id, "assign", "cw-2")
        expected = index_rows(app)
        change_index(app, "DROP TABLE {names}")
        result = cli("index", "rebuild", app.name)
        assert result.exit_code == 0, result.output
        assert index_rows(app) == expected == expected_rows(app)
    finally:
        app.close()


def test_verify_since_checkpoint_checks_the_index_of_what_came_after(cfg):
    from shared.audit_trail.checkpoints import record_checkpoint

    app = fresh(CaseworkLike, cfg, "aik")
    try:
        app.open_case(ctx("cw-1", "caseworker", "open_case"), "KC-2026-7171", "Ana")
        assert record_checkpoint(app) is not None
        app.open_case(ctx("cw-1", "caseworker", "open_case"), "KC-2026-7272", "Ion")
        change_index(app, "DELETE FROM {names} WHERE needle = 'KC-2026-7171'")
        since = cli("verify", "--service", app.name, "--no-progress", "--since-checkpoint")
        assert since.exit_code == 0, since.output  # before the checkpoint: the full run's job
        change_index(app, "DELETE FROM {names} WHERE needle = 'KC-2026-7272'")
        since = cli("verify", "--service", app.name, "--no-progress", "--since-checkpoint")
        assert since.exit_code == 1 and "KC-2026-7272" in since.output, since.output
        assert "KC-2026-7171" not in since.output
        full = cli("verify", "--service", app.name, "--no-progress", "--no-sealed")
        assert full.exit_code == 1 and "KC-2026-7171" in full.output
    finally:
        app.close()
