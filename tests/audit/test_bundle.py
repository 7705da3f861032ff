"""`haven audit export` / `verify-bundle`: a case's events, verifiable with nothing but
the file; one byte changed anywhere, and it fails."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from shared.audit_trail.bundle import verify_bundle
from shared.audit_trail.checkpoints import record_checkpoint
from tests.audit.conftest import ctx
from tests.audit.tampering import cli


def services(world) -> list[str]:
    return [a for name in world.services for a in ("--service", name)]


@pytest.fixture
def bundle(world, tmp_path):
    for app in world.apps:
        record_checkpoint(app)
    out = tmp_path / "case.jsonl"
    exported = cli("export", world.reference, "--out", str(out), *services(world))
    assert exported.exit_code == 0, exported.output
    return out


def lines_of(path) -> list[dict]:
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def test_an_exported_bundle_verifies_offline(world, bundle):
    report = verify_bundle(bundle)
    assert report.ok, report.text()
    assert (report.case_id, report.reference, report.events) == \
        (str(world.case_id), world.reference, 8)
    assert set(report.attested) == set(world.services)
    assert all("checkpoint #1" in how for how in report.attested.values())
    result = cli("verify-bundle", str(bundle))
    assert result.exit_code == 0 and "VERIFIED" in result.output


def test_the_bundle_is_self_contained_and_holds_no_plaintext_personal_data(world, bundle):
    raw = bundle.read_bytes()
    for secret in (b"Olena", b"Kovalenko", b"passport", b"station"):
        assert secret not in raw
    kinds = [line["type"] for line in lines_of(bundle)]
    assert kinds[0] == "header" and kinds[-1] == "end"
    assert kinds.count("checkpoint") == 3 and kinds.count("event") == 8
    # Between the case's first event and each checkpoint, what is not the case's is there as
    # hashes only: the other contact's closing (intake), the other case's opening (casework).
    assert kinds.count("log_link") == 2
    links = [line for line in lines_of(bundle) if line["type"] == "log_link"]
    assert all(set(link) == {"type", "service", "notification_id", "originator_id",
                             "originator_version", "stream_hash", "log_hash"}
               for link in links)


@pytest.mark.parametrize("where", ["header", "checkpoint", "event", "log_link", "end"])
def test_one_changed_byte_anywhere_makes_it_fail(bundle, where):
    raw = bytearray(bundle.read_bytes())
    lines = raw.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if json.loads(line)["type"] == where)
    offset = sum(len(line) for line in lines[:index]) + len(lines[index]) // 2
    raw[offset] ^= 0x01
    bundle.write_bytes(bytes(raw))
    assert not verify_bundle(bundle).ok
    assert cli("verify-bundle", str(bundle)).exit_code == 1


def rewrite(path, change) -> None:
    """Change lines, then recompute the end digest, as a forger would."""
    objects = lines_of(path)[:-1]
    change(objects)
    body = b"".join(json.dumps(o, sort_keys=True, separators=(",", ":")).encode() + b"\n"
                    for o in objects)
    end = {"type": "end", "lines": len(objects), "sha256": hashlib.sha256(body).hexdigest()}
    path.write_bytes(body + json.dumps(end, sort_keys=True, separators=(",", ":")).encode()
                     + b"\n")


def test_a_forged_event_fails_on_its_chain_even_with_the_digest_recomputed(bundle):
    def forge(objects):
        event = next(o for o in objects if o["type"] == "event" and o["event"] == "NoteAdded")
        state = base64.b64decode(event["state"]).replace(b"add_note", b"add_nope")
        event["state"] = base64.b64encode(state).decode()

    rewrite(bundle, forge)
    report = verify_bundle(bundle)
    assert not report.ok
    assert any("stream" in p and "not the ones chained" in p for p in report.problems), \
        report.problems


def test_an_event_left_out_of_a_bundled_stream_is_noticed(bundle):
    def drop(objects):
        event = next(o for o in objects if o["type"] == "event"
                     and o["event"] == "CaseworkerAssigned")
        objects[objects.index(event)] = {
            "type": "log_link", "service": event["service"],
            "notification_id": event["notification_id"],
            "originator_id": event["originator_id"],
            "originator_version": event["originator_version"],
            "stream_hash": event["stream_hash"], "log_hash": event["log_hash"]}

    rewrite(bundle, drop)
    problems = verify_bundle(bundle).problems
    assert any("left out" in p for p in problems), problems


def test_a_bundle_against_a_rewritten_checkpoint_fails(bundle):
    def move(objects):
        point = next(o for o in objects if o["type"] == "checkpoint")
        point["recorded_at"] = "2020-01-01T00:00:00.000000+00:00"

    rewrite(bundle, move)
    problems = verify_bundle(bundle).problems
    assert any("does not hash to its checkpoint_hash" in p for p in problems), problems


def test_events_after_the_last_checkpoint_are_chained_but_said_to_be_unattested(world, bundle,
                                                                              tmp_path):
    world.casework.change(ctx("cw-5", "caseworker", "add_note"), world.case_id, "add_note",
                          "second visit")
    out = tmp_path / "later.jsonl"
    assert cli("export", world.reference, "--out", str(out), *services(world)).exit_code == 0
    report = verify_bundle(out)
    assert report.ok, report.problems
    assert any("not yet attested" in n for n in report.notes)


def test_without_any_checkpoint_the_bundle_checks_consistency_only(world, tmp_path):
    out = tmp_path / "case.jsonl"
    assert cli("export", world.reference, "--out", str(out), *services(world)).exit_code == 0
    report = verify_bundle(out)
    assert report.ok and any("no checkpoint" in n for n in report.notes)


def test_export_needs_a_token(world, tmp_path):
    out = tmp_path / "x.jsonl"
    assert cli("export", world.reference, "--out", str(out), roles=()).exit_code == 3
    assert not out.exists()
