"""`haven audit verify`: tampering in PostgreSQL -- an altered byte, a deleted record, two
swapped records, a rewritten and re-chained tail -- each reported with where it is."""

from __future__ import annotations

import dataclasses
import json
import uuid

import psycopg
import pytest

from bench.verify_100k import Seeded, seed
from shared.audit_trail.checkpoints import Checkpointer, load_checkpoints, record_checkpoint
from shared.audit_trail.verification import verify_service
from shared.verify import verify
from tests.audit.casework_like import CaseworkLike, fresh
from tests.audit.conftest import ctx
from tests.audit.tampering import cli, nid_of, rechain_from, rows, tamper


def build(app: CaseworkLike, cases: int = 3) -> list[uuid.UUID]:
    """A few cases, interleaved: each opened, assigned, noted."""
    ids = [app.open_case(ctx("cw-1", "caseworker", "open_case"), f"KC-2026-{n:04d}", "Ana")
           for n in range(cases)]
    for case_id in ids:
        app.change(ctx("sup-1", "supervisor", "assign"), case_id, "assign", "cw-2")
    for case_id in ids:
        app.change(ctx("cw-2", "caseworker", "note"), case_id, "add_note", "first visit")
    return ids


@pytest.fixture
def store(cfg):
    app = fresh(CaseworkLike, cfg, "avf")
    ids = build(app)
    record_checkpoint(app)
    yield app, ids
    app.close()


def verify_cli(app, *more: str):
    return cli("verify", "--service", app.name, "--no-progress", *more)


def breaks(result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("BREAK")]


def test_an_untouched_store_verifies_clean_with_exit_0(store):
    app, _ = store
    result = verify_cli(app)
    assert result.exit_code == 0, result.output
    assert f"{app.name} (postgres): 9 events in 3 streams" in result.output
    assert "1 signed checkpoint(s), last #1 at position 9: intact" in result.output
    assert "events/s" in result.output and not breaks(result)

    as_json = json.loads(verify_cli(app, "--format", "json").output)
    assert as_json["ok"] and as_json["events"] == 9 and as_json["rate"] > 0
    assert as_json["services"][0]["last_checkpoint"]["position"] == 9


def test_one_altered_byte_is_reported_with_its_stream_and_position(store):
    app, ids = store
    where = nid_of(app, ids[1], 2)
    assert tamper(app, "UPDATE {events} SET state = set_byte(state, 30, get_byte(state, 30) # 1)"
                       " WHERE notification_id = %s", where) == 1
    result = verify_cli(app)
    assert result.exit_code == 1, result.output
    assert breaks(result)[0].startswith(
        f"BREAK {app.name} stream_hash_mismatch stream={ids[1].hex} position=2"
        f" notification={where}:")


def test_a_deleted_record_is_reported(store):
    app, ids = store
    where = nid_of(app, ids[0], 2)
    tamper(app, "DELETE FROM {events} WHERE notification_id = %s", where)
    result = verify_cli(app)
    assert result.exit_code == 1
    assert f"missing_record stream={ids[0].hex} position=2 notification={where}" \
        in breaks(result)[0]


def test_two_swapped_records_are_reported(store):
    app, ids = store
    one, two = nid_of(app, ids[0], 3), nid_of(app, ids[1], 3)
    for old, new in ((one, -1), (two, one), (-1, two)):  # the unique key is checked per row
        tamper(app, "UPDATE {events} SET notification_id = %s WHERE notification_id = %s",
               new, old)
    result = verify_cli(app)
    assert result.exit_code == 1
    found = breaks(result)
    assert f"out_of_order stream={ids[0].hex} position=3 notification={one}" in found[0]
    assert f"out_of_order stream={ids[1].hex} position=3 notification={two}" in found[1]


def test_a_rewritten_and_rechained_tail_passes_the_chains_but_not_the_checkpoint(store, cfg):
    app, ids = store
    first_checkpoint = load_checkpoints(app)[0]
    app.change(ctx("cw-2", "caseworker", "close"), ids[0], "close", "referred")
    app.change(ctx("cw-2", "caseworker", "close"), ids[1], "close", "referred")
    second = record_checkpoint(app)
    assert second is not None and second.position == 11
    # Rewrite history after the first checkpoint: case 0's closing reason, then re-chain
    # every entry from there so that each stream and log hash is consistent again.
    where = nid_of(app, ids[0], 4)
    assert where > first_checkpoint.position
    assert tamper(app, "UPDATE {events} SET state = convert_to(replace(convert_from(state,"
                       " 'UTF8'), 'referred', 'withdrawn'), 'UTF8') WHERE notification_id = %s",
                  where) == 1
    assert rechain_from(app, where) == 2

    assert verify(app).ok, "the chains alone cannot see a re-chained rewrite"
    result = verify_cli(app)
    assert result.exit_code == 1, result.output
    found = breaks(result)
    assert len(found) == 1 and "checkpoint_mismatch" in found[0]
    assert "position=11 notification=11" in found[0]
    assert "checkpoint #2" in found[0] and "still matched at checkpoint #1 (notification 9)" \
        in found[0]


def test_deleting_the_newest_records_is_caught_by_the_checkpoint(store):
    app, _ = store
    tamper(app, "DELETE FROM {events} WHERE notification_id = 9")
    tamper(app, "DELETE FROM {chain} WHERE notification_id = 9")
    assert verify(app).ok  # a shorter log, consistent in itself
    result = verify_cli(app)
    assert result.exit_code == 1
    assert "checkpoint_mismatch stream=None position=9" in breaks(result)[0]


def test_the_checkpoint_log_is_append_only_and_its_own_chain_catches_edits(store):
    app, _ = store
    record_checkpoint(app)  # unchanged head: nothing new
    assert len(load_checkpoints(app)) == 1
    with pytest.raises(psycopg.errors.RaiseException):
        tamper(app, "UPDATE {checkpoints} SET position = 8")
    with pytest.raises(psycopg.errors.RaiseException):
        tamper(app, "DELETE FROM {checkpoints}")
    # An owner can switch the guard off; the checkpoint chain still tells.
    tamper(app, "ALTER TABLE {checkpoints} DISABLE TRIGGER USER")
    tamper(app, "UPDATE {checkpoints} SET recorded_at = '2020-01-01T00:00:00+00:00'")
    result = verify_cli(app)
    assert result.exit_code == 1
    assert "checkpoint_chain_mismatch stream=None position=1" in breaks(result)[0]


def test_every_store_is_verified_and_a_missing_one_is_not_reported_clean(store):
    app, _ = store
    result = cli("verify", "--service", app.name, "--service", "nosuchstore", "--no-progress")
    assert result.exit_code == 2
    assert "nosuchstore: NO STORE" in result.output and f"{app.name} (postgres)" in result.output


def test_a_few_thousand_events_verify_and_one_change_among_them_is_found(cfg):
    app = fresh(Seeded, cfg, "avs")
    try:
        assert seed(app, 3000) == 3000
        record_checkpoint(app)
        verdict = verify_service(app.name, cfg, progress=lambda n: None)
        assert verdict.ok and verdict.report.events == 3000 and verdict.report.streams == 600
        tamper(app, "UPDATE {events} SET topic = topic || 'x' WHERE notification_id = 1234")
        verdict = verify_service(app.name, cfg)
        # Found where it is, and the checkpoint after it no longer matches either.
        assert [(b.kind, b.notification_id) for b in verdict.breaks] == [
            ("stream_hash_mismatch", 1234), ("checkpoint_mismatch", 3000)]
    finally:
        app.close()


def test_a_progress_bar_counts_every_position(store):
    app, _ = store
    seen: list[int] = []
    verify_service(app.name, app.settings, progress=seen.append)
    assert sum(seen) == 9
    result = verify_cli(app, "--progress")
    assert result.exit_code == 0 and "verifying" in result.output


def test_the_checkpointer_records_at_most_once_per_interval(store):
    app, ids = store
    timer = Checkpointer(app, interval=3600)
    app.change(ctx("cw-2", "caseworker", "note"), ids[2], "add_note", "second visit")
    assert timer.tick() is not None and timer.tick() is None
    assert [p.position for p in load_checkpoints(app)] == [9, 10]


def test_checkpoint_command_and_verify_in_embedded_mode(cfg, tmp_path):
    lite = dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path)
    app = fresh(CaseworkLike, lite, "avl")
    ids = build(app, 2)
    app.close()
    env = {"HAVEN_STORE": "postgres"}  # --data-dir must switch it to SQLite
    recorded = cli("--data-dir", str(tmp_path), "checkpoint", "--service", app.name, env=env)
    assert recorded.exit_code == 0 and "checkpoint #1 at position 6" in recorded.output
    clean = cli("--data-dir", str(tmp_path), "verify", "--service", app.name, "--no-progress",
                env=env)
    assert clean.exit_code == 0 and "(sqlite): 6 events" in clean.output, clean.output
    import sqlite3

    with sqlite3.connect(tmp_path / f"{app.name}.sqlite") as conn:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("DELETE FROM audit_checkpoints")
        conn.execute("UPDATE stored_events SET state = state || x'20' WHERE originator_id = ?"
                     " AND originator_version = 2", (ids[1].hex,))
    broken = cli("--data-dir", str(tmp_path), "verify", "--service", app.name, "--no-progress",
                 env=env)
    assert broken.exit_code == 1
    assert f"stream_hash_mismatch stream={ids[1].hex} position=2" in broken.output
    assert rows  # imported for the PostgreSQL tests; keeps ruff quiet about this module
