"""Sealing holds against a user who pastes ciphertext and an insider who edits the store.

A ciphertext is bound to its service, aggregate, field and subject: input that looks
sealed is sealed again as the text it is; a value altered in the store reads as tampered
(counted and listed), never as erased, and never breaks a read or an erasure.
"""

from __future__ import annotations

import base64
import json
import uuid

import psycopg
import pytest
from prometheus_client import REGISTRY
from psycopg import sql

from shared.audit import CommandContext
from shared.audit_trail.reveals import read_only_vault
from shared.audit_trail.sealing import tampered_values
from shared.audit_trail.sources import Catalogue
from shared.crypto import ERASED, LEGACY_PREFIX, SEAL_PREFIX, TAMPERED, seal_context
from shared.eventstore import _conninfo
from tests.platform.sample import Dossier, Dossiers

CTX = CommandContext(actor_id="u-3", actor_role="caseworker", command="register_dossier")


@pytest.fixture
def app(app_factory):
    return app_factory(Dossiers)


def stored_state(app: Dossiers, dossier_id: uuid.UUID, version: int = 1) -> dict:
    [stored] = [e for e in app.recorder.select_events(dossier_id)
                if e.originator_version == version]
    return json.loads(stored.state)


def rewrite(app: Dossiers, dossier_id: uuid.UUID, version: int, change) -> None:
    """What the database's owner can do: edit an event's stored bytes in place."""
    state = stored_state(app, dossier_id, version)
    change(state)
    cfg = app.settings
    with psycopg.connect(_conninfo(cfg), autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER TABLE {} DISABLE TRIGGER USER").format(
            sql.Identifier(cfg.schema(app.name), f"{app.name}_events")))
        try:
            conn.execute(sql.SQL("UPDATE {} SET state = %s WHERE originator_id = %s"
                                 " AND originator_version = %s").format(
                sql.Identifier(cfg.schema(app.name), f"{app.name}_events")),
                (json.dumps(state).encode(), dossier_id, version))
        finally:
            conn.execute(sql.SQL("ALTER TABLE {} ENABLE TRIGGER USER").format(
                sql.Identifier(cfg.schema(app.name), f"{app.name}_events")))


def tampered_count() -> float:
    return REGISTRY.get_sample_value("haven_sealed_values_tampered_total") or 0.0


def test_another_subjects_ciphertext_pasted_into_a_field_is_stored_as_text(app):
    victim = Dossier(full_name="Nadia Haddad", birth_year=1990)
    app.save(victim, ctx=CTX)
    ciphertext = stored_state(app, victim.id)["full_name"]
    assert ciphertext.startswith(SEAL_PREFIX)

    # A caseworker types the other person's ciphertext (or a legacy-looking one) as a name.
    pasted = Dossier(full_name=ciphertext, birth_year=1991)
    pasted.add_note(LEGACY_PREFIX + ciphertext.removeprefix(SEAL_PREFIX))
    app.save(pasted, ctx=CTX)

    read = app.repository.get(pasted.id)
    assert read.full_name == ciphertext  # the text typed, not Nadia's name
    assert read.notes == [LEGACY_PREFIX + ciphertext.removeprefix(SEAL_PREFIX)]
    stored = stored_state(app, pasted.id)["full_name"]
    assert stored != ciphertext and stored.startswith(f"{SEAL_PREFIX}{pasted.id}:")


def test_a_ciphertext_moved_to_another_field_does_not_open_there(app):
    """The associated data names the field: the same subject's name, copied by someone
    with write access into the notes, reads as tampered, not as the name."""
    dossier = Dossier(full_name="Farida Yusuf", birth_year=1985)
    dossier.add_note("first visit")
    app.save(dossier, ctx=CTX)
    name = stored_state(app, dossier.id, 1)["full_name"]
    rewrite(app, dossier.id, 2, lambda s: s.update(notes=name))
    before = tampered_count()
    assert app.repository.get(dossier.id).notes == [TAMPERED]
    assert tampered_count() > before
    # ... and neither does it under another service's or aggregate's name.
    assert app.vault.unseal(name, seal_context("intake", "Dossier", "full_name")) == TAMPERED
    assert app.vault.unseal(name, seal_context(app.name, "Dossier", "full_name")) == \
        "Farida Yusuf"


def test_a_flipped_byte_is_reported_as_tampering_counted_and_listed(app, cfg):
    dossier = Dossier(full_name="Amara Okafor", birth_year=1999)
    app.save(dossier, ctx=CTX)

    def flip(state: dict) -> None:
        head, blob = state["full_name"].rsplit(":", 1)
        raw = bytearray(base64.b64decode(blob))
        raw[20] ^= 0x01
        state["full_name"] = head + ":" + base64.b64encode(bytes(raw)).decode()

    rewrite(app, dossier.id, 1, flip)
    before = tampered_count()
    assert app.repository.get(dossier.id).full_name == TAMPERED  # not "[erased]"
    assert tampered_count() > before
    found = tampered_values(app.name, cfg, Catalogue((app.name,), {app.name: Dossiers}),
                            read_only_vault(cfg))
    assert [(f.stream, f.version, f.field) for f in found] == \
        [(dossier.id.hex, 1, "full_name")]
    # An erased subject's values read as erased, and are not listed as tampering.
    app.vault.shred(dossier.id)
    assert app.repository.get(dossier.id).birth_year == 1999
    assert tampered_values(app.name, cfg, Catalogue((app.name,), {app.name: Dossiers}),
                           read_only_vault(cfg)) == []


@pytest.mark.parametrize("garbage", [
    LEGACY_PREFIX + "garbage",
    LEGACY_PREFIX + "not-a-subject:%%%notbase64",
    SEAL_PREFIX + str(uuid.uuid4()) + ":" + base64.b64encode(b"x" * 40).decode(),
    SEAL_PREFIX,
])
def test_garbage_that_looks_sealed_neither_breaks_reads_nor_blocks_erasure(app, garbage):
    dossier = Dossier(full_name="Leyla Aziz", birth_year=2001)
    dossier.add_note("needs an interpreter")
    app.save(dossier, ctx=CTX)
    rewrite(app, dossier.id, 2, lambda s: s.update(notes=garbage))

    read = app.repository.get(dossier.id)
    assert (read.full_name, read.notes) == ("Leyla Aziz", [TAMPERED])
    app.vault.shred(dossier.id)  # erasure does not depend on what the values are
    read = app.repository.get(dossier.id)
    assert read.full_name == ERASED and read.birth_year == 2001
