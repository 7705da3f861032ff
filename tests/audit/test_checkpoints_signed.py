"""Tamper evidence against the database's owner: checkpoints signed with a key the database
never sees, written outside it, checked by `haven audit verify` (real PostgreSQL)."""

from __future__ import annotations

import base64
import dataclasses
import json
from pathlib import Path

import pytest

from shared.audit_trail import sources
from shared.audit_trail.checkpoints import (
    CheckpointsNotConfigured,
    chain_breaks,
    file_name,
    load_checkpoints,
    record_checkpoint,
    store_name,
)
from shared.audit_trail.reveals import read_only_vault
from shared.audit_trail.verification import verify_services
from shared.signing import new_pair, private_seed, public_raw
from shared.verify import locate, verify
from tests.audit.casework_like import CaseworkLike, fresh
from tests.audit.conftest import ctx
from tests.audit.tampering import (
    cli,
    drop_triggers,
    nid_of,
    rechain_from,
    rewrite_checkpoint_table,
    tamper,
)
from tests.audit.test_verify_cli import breaks, build, verify_cli


@pytest.fixture
def store(cfg):
    """Nine events, checkpoint #1 at 9; two more, checkpoint #2 at 11."""
    app = fresh(CaseworkLike, cfg, "asg")
    ids = build(app)
    record_checkpoint(app)
    app.change(ctx("cw-2", "caseworker", "close"), ids[0], "close", "referred")
    app.change(ctx("cw-2", "caseworker", "close"), ids[1], "close", "referred")
    record_checkpoint(app)
    yield app, ids
    app.close()


def signed_file(app, seq: int) -> Path:
    assert app.settings.checkpoint_dir is not None
    return app.settings.checkpoint_dir / store_name(locate(app, None)) / file_name(seq)


def kinds(result) -> list[str]:
    return [line.split()[2] for line in breaks(result)]


def test_each_checkpoint_is_signed_into_a_file_outside_the_database(store):
    app, _ = store
    for seq, position in ((1, 9), (2, 11)):
        document = json.loads(signed_file(app, seq).read_text())
        assert (document["seq"], document["position"], document["service"]) == \
            (seq, position, app.name)
        assert document["signature"] and document["key_id"]
    table = load_checkpoints(app)
    assert json.loads(signed_file(app, 2).read_text())["checkpoint_hash"] == \
        table[1].checkpoint_hash.hex()
    result = verify_cli(app)
    assert result.exit_code == 0, result.output
    assert "2 signed checkpoint(s), last #2 at position 11: intact" in result.output


def test_change_rechain_drop_triggers_rewrite_checkpoints_is_detected(store):
    app, ids = store
    # The owner's attack: change an event after checkpoint #1, re-chain every hash after it,
    # drop the guards, make the checkpoint table attest the rewritten log.
    where = nid_of(app, ids[0], 4)
    assert where == 10
    assert tamper(app, "UPDATE {events} SET state = convert_to(replace(convert_from(state,"
                       " 'UTF8'), 'referred', 'withdrawn'), 'UTF8') WHERE notification_id = %s",
                  where) == 1
    assert rechain_from(app, where) == 2
    assert set(drop_triggers(app)) == {"append_only", "append_only_truncate"}
    assert rewrite_checkpoint_table(app) == 2
    # Everything inside the database agrees with itself now.
    table = load_checkpoints(app)
    assert verify(app, checkpoints=table).ok and chain_breaks(table) == []

    result = verify_cli(app)
    assert result.exit_code == 1, result.output
    found = breaks(result)
    assert kinds(result) == ["checkpoint_mismatch", "checkpoint_table_mismatch"], found
    assert "checkpoint #2" in found[0] and "still matched at checkpoint #1" in found[0]
    assert "checkpoint #2 in the table differs from its signed copy" in found[1]
    assert "total: 1 store(s), 11 events in 3 streams" in result.output
    assert result.output.rstrip().endswith("2 break(s)")


def test_deleting_checkpoint_rows_and_the_newest_events_is_detected(store):
    app, ids = store
    drop_triggers(app)
    tamper(app, "DELETE FROM {events} WHERE notification_id > 9")
    tamper(app, "DELETE FROM {chain} WHERE notification_id > 9")
    tamper(app, "DELETE FROM {checkpoints} WHERE seq = 2")
    assert verify(app, checkpoints=load_checkpoints(app)).ok  # the database alone: intact
    result = verify_cli(app)
    assert result.exit_code == 1
    assert kinds(result) == ["checkpoint_mismatch", "checkpoint_table_mismatch"]
    assert "signed checkpoint #2 (position 11) is missing from the checkpoint table" \
        in breaks(result)[1]
    # And the relay cannot be made to overwrite the signed #2 with a new one.
    app.change(ctx("cw-2", "caseworker", "note"), ids[2], "add_note", "later")
    with pytest.raises(FileExistsError, match="already exists"):
        record_checkpoint(app)
    assert [p.seq for p in load_checkpoints(app)] == [1]
    assert json.loads(signed_file(app, 2).read_text())["position"] == 11


def test_a_checkpoint_file_with_edited_content_is_reported(store):
    app, _ = store
    path = signed_file(app, 1)
    document = json.loads(path.read_text())
    document["position"] = 8  # signature kept
    path.write_text(json.dumps(document))
    result = verify_cli(app)
    assert result.exit_code == 1
    assert kinds(result) == ["checkpoint_signature_invalid"], result.output
    assert f"{path}: the signature does not match its content" in breaks(result)[0]


def test_a_checkpoint_file_with_a_bad_signature_is_reported(store):
    app, _ = store
    path = signed_file(app, 2)
    document = json.loads(path.read_text())
    signature = bytearray(base64.b64decode(document["signature"]))
    signature[5] ^= 0x01
    document["signature"] = base64.b64encode(bytes(signature)).decode()
    path.write_text(json.dumps(document))
    result = verify_cli(app)
    assert result.exit_code == 1
    assert kinds(result) == ["checkpoint_signature_invalid"], result.output
    assert "edited or forged" in breaks(result)[0] and "position=2" in breaks(result)[0]


def test_a_checkpoint_forged_with_another_key_is_reported(store, cfg):
    app, _ = store
    path = signed_file(app, 2)
    path.unlink()
    forger, _public = new_pair()  # the attacker's own key, not the checkpoint key
    record_as = dataclasses.replace(app.settings, checkpoint_signing_key=private_seed(forger))
    drop_triggers(app)
    tamper(app, "DELETE FROM {checkpoints} WHERE seq = 2")
    assert record_checkpoint(app, record_as) is not None
    result = verify_cli(app)
    assert result.exit_code == 1
    assert kinds(result) == ["checkpoint_signature_invalid"], result.output
    assert "not by the checkpoint key" in breaks(result)[0]


def test_a_removed_checkpoint_file_is_reported(store):
    app, _ = store
    signed_file(app, 1).unlink()
    result = verify_cli(app)
    assert result.exit_code == 1
    assert kinds(result) == ["checkpoint_chain_mismatch", "checkpoint_chain_mismatch",
                             "checkpoint_unsigned"], result.output
    assert "checkpoint #1 in the table has no signed copy" in breaks(result)[2]


def test_without_the_public_key_verify_does_not_say_intact(store):
    app, _ = store
    # Production without HAVEN_CHECKPOINT_PUBLIC_KEY: the table alone proves nothing.
    cfg = dataclasses.replace(app.settings, checkpoint_public_key=None)
    [verdict] = verify_services(cfg, sources.Catalogue((app.name,)))
    assert not verdict.ok
    assert [b.kind for b in verdict.breaks] == ["checkpoints_not_verifiable"]
    assert "HAVEN_CHECKPOINT_PUBLIC_KEY" in verdict.breaks[0].detail
    # With another public key, every genuine file is refused.
    other = dataclasses.replace(app.settings, checkpoint_public_key=public_raw(new_pair()[1]))
    [verdict] = verify_services(other, sources.Catalogue((app.name,)))
    assert [b.kind for b in verdict.breaks] == ["checkpoint_signature_invalid"] * 2
    assert "not by the checkpoint key" in verdict.breaks[0].detail


def test_no_signing_key_or_directory_records_nothing(store):
    app, ids = store
    app.change(ctx("cw-2", "caseworker", "note"), ids[2], "add_note", "second visit")
    for missing, variable in (("checkpoint_signing_key", "HAVEN_CHECKPOINT_SIGNING_KEY"),
                              ("checkpoint_dir", "HAVEN_CHECKPOINT_DIR")):
        with pytest.raises(CheckpointsNotConfigured, match=variable):
            record_checkpoint(app, dataclasses.replace(app.settings, **{missing: None}))
    assert [p.seq for p in load_checkpoints(app)] == [1, 2]
    assert not signed_file(app, 3).exists()


def test_verify_lists_sealed_values_failing_authentication(app_factory, cfg, monkeypatch):
    from tests.platform.sample import Dossier, Dossiers
    from tests.platform.test_sealing import CTX, rewrite

    app = app_factory(Dossiers)
    dossier = Dossier(full_name="Amara Okafor", birth_year=1999)
    app.save(dossier, ctx=CTX)
    record_checkpoint(app)

    def flip(state: dict) -> None:
        head, blob = state["full_name"].rsplit(":", 1)
        raw = bytearray(base64.b64decode(blob))
        raw[20] ^= 0x01
        state["full_name"] = head + ":" + base64.b64encode(bytes(raw)).decode()

    rewrite(app, dossier.id, 1, flip)
    monkeypatch.setattr(sources, "_application_class",
                        lambda name: Dossiers if name == app.name else None)
    result = cli("verify", "--service", app.name, "--no-progress")
    assert result.exit_code == 1, result.output
    assert f"TAMPERED {app.name} stream={dossier.id.hex} version=1 notification=1" \
           " field=full_name" in result.output
    assert "1 tampered value(s)" in result.output
    as_json = json.loads(cli("verify", "--service", app.name, "--no-progress", "--format",
                             "json").output)
    assert as_json["tampered_values"] == 1 and not as_json["ok"]
    # An erased subject's values are not tampering.
    app.vault.shred(dossier.id)
    [verdict] = verify_services(cfg, sources.Catalogue((app.name,), {app.name: Dossiers}),
                                vault=read_only_vault(cfg))
    assert verdict.tampered == []
