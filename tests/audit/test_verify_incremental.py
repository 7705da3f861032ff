"""`haven audit verify --since-checkpoint`: the checkpoint chain, then only the events after
the last signed checkpoint, going on from the log hash it attests (real PostgreSQL, and
SQLite for embedded mode)."""

from __future__ import annotations

import base64
import dataclasses
import json
import sqlite3

import pytest

from shared.audit_trail.checkpoints import load_signed, record_checkpoint, verify_since_checkpoint
from shared.verify import verify
from tests.audit.casework_like import CaseworkLike, fresh
from tests.audit.conftest import ctx
from tests.audit.tampering import cli, nid_of, rechain_from, tamper
from tests.audit.test_checkpoints_signed import kinds, signed_file
from tests.audit.test_verify_cli import breaks, build, verify_cli

FLIP_A_BYTE = ("UPDATE {events} SET state = set_byte(state, 30, get_byte(state, 30) # 1)"
               " WHERE notification_id = %s")


@pytest.fixture
def store(cfg):
    """Nine events (three cases), checkpoint #1 at 9; then each case goes on after it
    (three more events, 10..12), with no checkpoint yet."""
    app = fresh(CaseworkLike, cfg, "avi")
    ids = build(app)
    assert record_checkpoint(app) is not None
    for case_id in ids:
        app.change(ctx("cw-2", "caseworker", "note"), case_id, "add_note", "second visit")
    yield app, ids
    app.close()


def since(app, *more: str):
    return verify_cli(app, "--since-checkpoint", *more)


def test_only_the_events_after_the_last_checkpoint_are_checked(store, cfg):
    app, ids = store
    result = since(app)
    assert result.exit_code == 0, result.output
    assert f"{app.name} (postgres): 3 events after checkpoint #1 (notification 9) in 3 streams" \
        in result.output
    assert "1 signed checkpoint(s), last #1 at position 9: intact" in result.output
    assert "sealed values not checked: --since-checkpoint" in result.output

    as_json = json.loads(since(app, "--format", "json").output)
    assert as_json["ok"] and as_json["events"] == 3
    assert as_json["services"][0]["since_checkpoint"] == {"seq": 1, "position": 9}
    assert as_json["services"][0]["head"]["position"] == 12

    # The next night: a new checkpoint at 12, one more event after it.
    assert record_checkpoint(app) is not None
    app.change(ctx("cw-2", "caseworker", "close"), ids[1], "close", "referred")
    checked = verify_since_checkpoint(app.name, cfg)
    assert checked is not None and checked.report.ok, checked.report.breaks
    assert (checked.start.seq, checked.start.position) == (2, 12)
    assert (checked.report.events, checked.report.streams) == (1, 1)


def test_what_lies_before_the_checkpoint_is_left_to_the_full_verify(store):
    """What makes it incremental, and its limit: a record before the checkpoint changed
    without touching any hash is not re-read (the full verify, the default, finds it)."""
    app, ids = store
    assert tamper(app, FLIP_A_BYTE, nid_of(app, ids[1], 2)) == 1
    assert since(app).exit_code == 0
    full = verify_cli(app)
    assert full.exit_code == 1 and "stream_hash_mismatch" in breaks(full)[0]


def test_an_event_altered_after_the_checkpoint_is_found_where_it_is(store):
    app, ids = store
    where = nid_of(app, ids[1], 4)  # its stream began before the checkpoint
    assert where > 9 and tamper(app, FLIP_A_BYTE, where) == 1
    result = since(app)
    assert result.exit_code == 1, result.output
    assert breaks(result)[0].startswith(
        f"BREAK {app.name} stream_hash_mismatch stream={ids[1].hex} position=4"
        f" notification={where}:")
    assert "3 events after checkpoint #1" in result.output


def test_a_deleted_event_after_the_checkpoint_is_found(store):
    app, ids = store
    where = nid_of(app, ids[0], 4)
    tamper(app, "DELETE FROM {events} WHERE notification_id = %s", where)
    result = since(app)
    assert result.exit_code == 1
    assert f"missing_record stream={ids[0].hex} position=4 notification={where}" \
        in breaks(result)[0]


def test_history_rewritten_and_rechained_before_the_checkpoint_is_caught_by_it(store):
    app, ids = store
    where = nid_of(app, ids[0], 2)
    assert where < 9 and tamper(app, FLIP_A_BYTE, where) == 1
    rechain_from(app, where)
    assert verify(app).ok, "the chains alone cannot see a re-chained rewrite"
    result = since(app)
    assert result.exit_code == 1, result.output
    found = breaks(result)
    assert "checkpoint_mismatch stream=None position=9" in found[0]
    assert "checkpoint #1" in found[0] and "history up to there was rewritten" in found[0]


def test_the_newest_events_removed_up_to_the_checkpoint_are_caught(store):
    app, _ = store
    assert record_checkpoint(app) is not None  # checkpoint #2 at 12
    tamper(app, "DELETE FROM {events} WHERE notification_id > 10")
    tamper(app, "DELETE FROM {chain} WHERE notification_id > 10")
    assert verify(app).ok  # a shorter log, consistent in itself
    result = since(app)
    assert result.exit_code == 1
    assert "checkpoint_mismatch stream=None position=12" in breaks(result)[0]
    assert "the log ends before it" in breaks(result)[0]


def test_a_forged_last_checkpoint_is_reported_and_not_trusted(store):
    """An intruder who rewrote the events after checkpoint #1 and re-chained them cannot
    sign a checkpoint over the result: its signature fails, and the run starts from #1."""
    app, ids = store
    assert record_checkpoint(app) is not None  # checkpoint #2 at 12
    path = signed_file(app, 2)
    document = json.loads(path.read_text())
    signature = bytearray(base64.b64decode(document["signature"]))
    signature[5] ^= 0x01
    document["signature"] = base64.b64encode(bytes(signature)).decode()
    path.write_text(json.dumps(document))
    result = since(app)
    assert result.exit_code == 1, result.output
    assert "checkpoint_signature_invalid" in kinds(result)
    assert "edited or forged" in breaks(result)[kinds(result).index(
        "checkpoint_signature_invalid")]
    assert "3 events after checkpoint #1 (notification 9)" in result.output


def test_a_broken_link_in_the_checkpoint_chain_is_reported(store):
    app, ids = store
    assert record_checkpoint(app) is not None  # #2 at 12
    app.change(ctx("cw-2", "caseworker", "close"), ids[2], "close", "referred")
    assert record_checkpoint(app) is not None  # #3 at 13
    signed_file(app, 2).unlink()
    result = since(app)
    assert result.exit_code == 1
    assert kinds(result).count("checkpoint_chain_mismatch") == 2, result.output
    assert "checkpoint #3 follows #1" in result.output
    assert "checkpoint #3 does not link to its predecessor" in result.output
    assert "0 events after checkpoint #3 (notification 13)" in result.output


def test_a_rewritten_checkpoint_table_is_reported(store):
    app, _ = store
    tamper(app, "ALTER TABLE {checkpoints} DISABLE TRIGGER USER")
    tamper(app, "UPDATE {checkpoints} SET recorded_at = '2020-01-01T00:00:00+00:00'")
    result = since(app)
    assert result.exit_code == 1
    assert {"checkpoint_chain_mismatch", "checkpoint_table_mismatch"} <= set(kinds(result))


def test_the_full_verify_stays_the_default(store):
    app, _ = store
    result = verify_cli(app)
    assert result.exit_code == 0, result.output
    assert f"{app.name} (postgres): 12 events in 3 streams" in result.output
    assert "after checkpoint" not in result.output
    assert json.loads(verify_cli(app, "--format", "json").output)["services"][0][
        "since_checkpoint"] is None


def test_without_a_signed_checkpoint_the_store_is_verified_in_full(cfg):
    app = fresh(CaseworkLike, cfg, "avn")
    try:
        build(app)
        result = since(app)
        assert result.exit_code == 0, result.output
        assert f"{app.name} (postgres): 9 events in 3 streams" in result.output
        assert "no signed checkpoint to start from: verified in full" in result.output
    finally:
        app.close()


def test_embedded_mode_checks_only_the_new_events(cfg, tmp_path):
    lite = dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path)
    app = fresh(CaseworkLike, lite, "avj")
    ids = build(app, 2)
    assert record_checkpoint(app) is not None  # at 6
    app.change(ctx("cw-2", "caseworker", "note"), ids[1], "add_note", "second visit")
    app.close()
    env = {"HAVEN_STORE": "postgres"}  # --data-dir must switch it to SQLite
    args = ("--data-dir", str(tmp_path), "verify", "--service", app.name, "--no-progress",
            "--since-checkpoint")
    clean = cli(*args, env=env)
    assert clean.exit_code == 0, clean.output
    assert "(sqlite): 1 events after checkpoint #1 (notification 6) in 1 streams" \
        in clean.output
    with sqlite3.connect(tmp_path / f"{app.name}.sqlite") as conn:
        conn.execute("UPDATE stored_events SET state = state || x'20' WHERE originator_id = ?"
                     " AND originator_version = 4", (ids[1].hex,))
    broken = cli(*args, env=env)
    assert broken.exit_code == 1
    assert f"stream_hash_mismatch stream={ids[1].hex} position=4 notification=7" \
        in broken.output


def test_narrow_windows_and_holes_give_the_same_verdict(store, cfg):
    """The incremental read goes window by window of notification ids; one emptied by a
    deleted record is stepped over to the next stored id, not taken for the end."""
    app, ids = store
    start = load_signed(app.name, cfg).valid[-1]
    assert verify(app, since=start, batch=1).events == 3
    where = nid_of(app, ids[1], 4)
    tamper(app, "DELETE FROM {events} WHERE notification_id = %s", where)
    tamper(app, "DELETE FROM {chain} WHERE notification_id = %s", where)
    wide, narrow = verify(app, since=start), verify(app, since=start, batch=1)
    assert narrow.events == wide.events == 2
    assert [(b.kind, b.notification_id) for b in narrow.breaks] == \
        [(b.kind, b.notification_id) for b in wide.breaks] == [("missing_record", where)]
