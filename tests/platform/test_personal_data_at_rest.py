"""A full dump of the database holds no personal data in plaintext, before or after erasure;
after erasure, not even the master key can bring it back.

pg_dump's plain format writes bytea (event states, snapshots, keys) as hex, so searching the
dump text alone would prove nothing: the dump is searched with every bytea value decoded.
"""

from __future__ import annotations

import json
import re
import uuid

import psycopg
import pytest
from psycopg import sql

from shared.audit import CommandContext
from shared.crypto import ERASED, SEAL_PREFIX, KeyVault, seal_context
from shared.eventstore import _conninfo
from shared.keystore import PostgresKeyStore
from tests.dumps import DumpKeyStore, bytea, copy_rows, pg_dump, psql, readable
from tests.dumps import needles as dump_needles
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
    return set(dump_needles(value))


PLAINTEXT = sorted(set().union(*(needles(v) for v in [NAME, *NOTES, *TELLING_WORDS])))


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


def sealed_fields(dump: bytes, app: Dossiers, subject: Dossier) -> list[tuple[str, str]]:
    """(ciphertext, where it opens) of every personal value of the subject in the dump."""
    states = [*events_of(dump, app, subject),
              *(s["state"] for s in events_of(dump, app, subject, "snapshots"))]
    found = []
    for state in states:
        for name in ("full_name", "notes"):
            values = state.get(name) or state.get("_" + name) or []
            for value in values if isinstance(values, list) else [values]:
                found.append((value, seal_context(app.name, "Dossier", name)))
    return found


def sealed_values(dump: bytes, subject: Dossier) -> list[str]:
    prefix = f"{SEAL_PREFIX}{subject.id}:".encode()
    return sorted({m.decode() for m in re.findall(re.escape(prefix) + rb"[A-Za-z0-9+/=]+",
                                                   readable(dump))})


def assert_no_plaintext(dump: bytes) -> None:
    # Long base64 runs (sealed values, wrapped keys) are taken out before the search is
    # made case-blind: megabytes of ciphertext, lower-cased, spell "zlata" by chance (a CI
    # run failed so). Every needle here is shorter, or holds a space or a hyphen.
    haystack = re.sub(rb"[A-Za-z0-9+/]{16,}={0,2}", b" ", readable(dump)).lower()
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
    fields = sealed_fields(before, app, subject)
    assert sorted({v for v, _ in fields}) == sealed  # every ciphertext is a field's
    assert NAME in [from_backup.unseal(v, where) for v, where in fields]
    wrapped = DumpKeyStore(before, cfg).keys[str(subject.id)].wrapped
    assert wrapped and len(wrapped) == 12 + 32 + 16  # nonce, AES-256 key, GCM tag

    app.vault.shred(subject.id)
    after = pg_dump(cfg)
    assert_no_plaintext(after)

    # The key is gone from the dump: a tombstone row without key material, and its
    # bytes nowhere else.
    keys = DumpKeyStore(after, cfg).keys
    assert (keys[str(subject.id)].wrapped, keys[str(subject.id)].shredded) == (None, True)
    assert wrapped.hex().encode() not in after and wrapped not in readable(after)

    # The sealed values survive (events are never rewritten), unreadable even with the
    # master key: from the dump's own key table, and from a fresh vault on the live one.
    assert sealed_values(after, subject) == sealed
    from_dump = KeyVault(DumpKeyStore(after, cfg), cfg.master_key)
    live = PostgresKeyStore(_conninfo(cfg), cfg.schema("keys"))
    try:
        fresh = KeyVault(live, cfg.master_key)  # a new process-level cache
        assert {from_dump.unseal(v, where) for v, where in fields} == {ERASED}
        assert {fresh.unseal(v, where) for v, where in fields} == {ERASED}
    finally:
        live.close()

    # Statistics survive erasure.
    assert events_of(after, app, subject)[0]["birth_year"] == BIRTH_YEAR
    assert events_of(after, app, subject, "snapshots")[-1]["state"]["birth_year"] == BIRTH_YEAR


def test_a_backup_taken_before_an_erasure_and_restored_after_it_reveals_nothing(
        cfg, app, subject):
    """The keys live in a store of their own, backed up apart (and kept for less time than
    the erasure deadline): a restored backup of the service's database finds no key."""
    backup = pg_dump(cfg, cfg.schema(app.name))
    assert copy_rows(backup, f"{cfg.schema(app.name)}.{app.name}_events")
    assert b"subject_keys" not in backup and b"blind_index" not in backup
    app.vault.shred(subject.id)

    with psycopg.connect(_conninfo(cfg), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(
            cfg.schema(app.name))))
    psql(cfg, backup)

    restored = app.repository.get(subject.id)  # the events are back...
    assert restored.birth_year == BIRTH_YEAR and len(restored.notes) == len(NOTES)
    assert restored.full_name == ERASED and set(restored.notes) == {ERASED}  # ...the person not
    live = PostgresKeyStore(_conninfo(cfg), cfg.schema("keys"))
    try:
        fresh = KeyVault(live, cfg.master_key)  # another process, with the current master key
        assert {fresh.unseal(v, where) for v, where in
                sealed_fields(pg_dump(cfg), app, subject)} == {ERASED}
    finally:
        live.close()
