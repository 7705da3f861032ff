"""A full dump of the database holds no personal data in plaintext, before or after erasure;
after erasure, not even the master key can bring it back.

pg_dump's plain format writes bytea (event states, snapshots, keys) as hex, so searching the
dump text alone would prove nothing: the dump is searched with every bytea value decoded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid

import pytest

from shared.audit import CommandContext
from shared.config import Settings
from shared.crypto import ERASED, SEAL_PREFIX, KeyVault, PostgresKeyStore
from shared.eventstore import _conninfo
from tests.platform.sample import Dossier, Dossiers

CTX = CommandContext(actor_id="u-9", actor_role="caseworker", command="register_dossier")

# Distinctive values: found anywhere in a dump, they can only have come from this test.
NAME = "Zlata Okonkwo-Vuković"  # non-ASCII on purpose: JSON may store it \u-escaped
BIRTH_YEAR = 1987
TOKEN = uuid.uuid4().hex[:12]
NOTES = [f"safe house code {TOKEN}", "mobile +40 721 555 019",
         "brother works at the Kvarner fish plant", "afraid of the man called Dragan",
         "scar on left forearm"]


# Words that identify the subject on their own, even out of their sentence. (Common words
# like "house" are left out: other tests' non-personal data in this run may contain them.)
TELLING_WORDS = ["Zlata", "Okonkwo", "Vuković", "Kvarner", "Dragan", "forearm", "721 555 019",
                 TOKEN]


def needles(value: str) -> set[bytes]:
    """Every way a plaintext value could sit in a dump: raw UTF-8 or JSON-escaped."""
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    return {form.lower().encode() for form in forms}


PLAINTEXT = sorted(set().union(*(needles(v) for v in [NAME, *NOTES, *TELLING_WORDS])))


def pg_dump(cfg: Settings) -> bytes:
    """A full plain-format dump of every schema of this test run."""
    assert shutil.which("pg_dump"), "pg_dump is needed to prove what a backup holds"
    p = cfg.postgres_params()
    env = {**os.environ, **({"PGPASSWORD": p["password"]} if p["password"] else {})}
    return subprocess.run(
        ["pg_dump", "-h", p["host"], "-p", p["port"], "-U", p["user"], "-d", p["dbname"],
         "-n", f"{cfg.schema_prefix}*", "--no-owner"],
        check=True, capture_output=True, env=env).stdout


def readable(dump: bytes) -> bytes:
    """The dump with every hex-encoded bytea value decoded next to it."""
    decoded = [bytes.fromhex(h.decode()) for h in re.findall(rb"\\\\x([0-9a-f]+)", dump)]
    return b"\n".join([dump, *decoded])


def copy_rows(dump: bytes, table: str) -> list[dict[str, str | None]]:
    """The rows of one table's COPY block (`schema.table`), by column name."""
    match = re.search(rb"^COPY " + re.escape(table.encode()) + rb" \(([^)]*)\) FROM stdin;\n"
                      rb"(.*?)^\\\.$", dump, re.M | re.S)
    assert match, f"{table} is not in the dump"
    columns = match.group(1).decode().split(", ")
    rows = []
    for line in match.group(2).decode().splitlines():
        values = [None if v == r"\N" else v for v in line.split("\t")]
        rows.append(dict(zip(columns, values, strict=True)))
    return rows


def bytea(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value.removeprefix("\\\\x"))


class DumpKeyStore:
    """The subject keys exactly as a dump holds them: what someone who has the backup
    and the master key can read. Read-only."""

    def __init__(self, dump: bytes, cfg: Settings):
        rows = copy_rows(dump, f"{cfg.schema('keys')}.subject_keys")
        self.keys = {r["subject_id"]: (bytea(r["wrapped_key"]), r["shredded_at"] is not None)
                     for r in rows}

    def load(self, subject_id: str) -> tuple[bytes | None, bool] | None:
        return self.keys.get(subject_id)

    def insert(self, subject_id: str, wrapped: bytes) -> None:
        raise AssertionError("a dump is read, never written")

    def shred(self, subject_id: str) -> None:
        raise AssertionError("a dump is read, never written")


@pytest.fixture
def app(app_factory):
    return app_factory(Dossiers)


@pytest.fixture
def subject(app):
    dossier = Dossier(full_name=NAME, birth_year=BIRTH_YEAR)
    for note in NOTES:
        dossier.add_note(note)
    app.save(dossier, ctx=CTX)
    assert app.snapshots.recorder.select_events(dossier.id), "a snapshot is in the dump too"
    assert app.repository.get(dossier.id).full_name == NAME  # really stored, really readable
    return dossier


def events_of(dump: bytes, app: Dossiers, subject: Dossier, kind: str = "events") -> list[dict]:
    table = f"{app.settings.schema(app.name)}.{app.name}_{kind}"
    return [json.loads(bytea(r["state"]) or b"") for r in copy_rows(dump, table)
            if r["originator_id"] == str(subject.id)]


def sealed_values(dump: bytes, subject: Dossier) -> list[str]:
    prefix = f"{SEAL_PREFIX}{subject.id}:".encode()
    return sorted({m.decode() for m in re.findall(re.escape(prefix) + rb"[A-Za-z0-9+/=]+",
                                                   readable(dump))})


def assert_no_plaintext(dump: bytes) -> None:
    haystack = readable(dump).lower()
    found = [n for n in PLAINTEXT if n in haystack]
    assert not found, f"personal data in plaintext in the dump: {found}"


def test_a_dump_holds_no_personal_data_in_plaintext_before_or_after_erasure(cfg, app, subject):
    before = pg_dump(cfg)
    assert_no_plaintext(before)

    # The search does see inside event states: statistics stay readable, names do not.
    states = events_of(before, app, subject)
    assert len(states) == 1 + len(NOTES)
    assert states[0]["birth_year"] == BIRTH_YEAR
    assert states[0]["full_name"].startswith(f"{SEAL_PREFIX}{subject.id}:")
    assert all(s["notes"].startswith(SEAL_PREFIX) for s in states[1:])
    assert events_of(before, app, subject, "snapshots")[-1]["state"]["birth_year"] == BIRTH_YEAR
    sealed = sealed_values(before, subject)
    assert len(sealed) >= 1 + len(NOTES) + 2  # events, and the snapshot's name and notes

    # Control: with the master key, this (pre-erasure) dump is a full copy, so the test
    # below can tell a readable dump from an erased one.
    from_backup = KeyVault(DumpKeyStore(before, cfg), cfg.master_key)
    assert NAME in [from_backup.unseal(v) for v in sealed]
    wrapped = DumpKeyStore(before, cfg).keys[str(subject.id)][0]
    assert wrapped and len(wrapped) == 12 + 32 + 16  # nonce, AES-256 key, GCM tag

    app.vault.shred(subject.id)
    after = pg_dump(cfg)
    assert_no_plaintext(after)

    # The key is gone from the dump: a tombstone row without key material, and its
    # bytes nowhere else.
    keys = DumpKeyStore(after, cfg).keys
    assert keys[str(subject.id)] == (None, True)
    assert wrapped.hex().encode() not in after and wrapped not in readable(after)

    # The sealed values survive (events are never rewritten), unreadable even with the
    # master key: from the dump's own key table, and from a fresh vault on the live one.
    assert sealed_values(after, subject) == sealed
    from_dump = KeyVault(DumpKeyStore(after, cfg), cfg.master_key)
    live = PostgresKeyStore(_conninfo(cfg), cfg.schema("keys"))
    try:
        fresh = KeyVault(live, cfg.master_key)  # a new process-level cache
        assert {from_dump.unseal(v) for v in sealed} == {ERASED}
        assert {fresh.unseal(v) for v in sealed} == {ERASED}
    finally:
        live.close()

    # Statistics survive erasure.
    assert events_of(after, app, subject)[0]["birth_year"] == BIRTH_YEAR
    assert events_of(after, app, subject, "snapshots")[-1]["state"]["birth_year"] == BIRTH_YEAR
