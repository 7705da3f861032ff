from __future__ import annotations

import pytest

from shared.audit import CommandContext, Unauthenticated
from shared.crypto import ERASED
from tests.platform.sample import Dossier, Dossiers

CTX = CommandContext(actor_id="u-17", actor_role="caseworker", command="register_dossier",
                     reason="first contact")


@pytest.fixture
def app(cfg):
    application = Dossiers(cfg)
    yield application
    application.close()


def test_every_stored_event_carries_who_when_and_why(app):
    dossier = Dossier(full_name="Ana Popescu", birth_year=1999)
    app.save(dossier, ctx=CTX)
    stored = app.recorder.select_events(dossier.id)
    audit = app.mapper.audit_of(stored[0])
    assert audit["actor_id"] == "u-17"
    assert audit["actor_role"] == "caseworker"
    assert audit["command"] == "register_dossier"
    assert audit["reason"] == "first contact"
    assert audit["service"] == "dossiers"
    assert audit["correlation_id"] and audit["recorded_at"].endswith("+00:00")


def test_a_command_without_an_authenticated_actor_is_refused(app):
    dossier = Dossier(full_name="Ana Popescu", birth_year=1999)
    with pytest.raises(Unauthenticated):
        app.save(dossier)
    assert app.recorder.select_events(dossier.id) == []
    with pytest.raises(Unauthenticated):
        CommandContext(actor_id="", actor_role="caseworker", command="x")


def test_personal_data_is_sealed_in_the_store_and_readable_through_the_app(app):
    dossier = Dossier(full_name="Ana Popescu", birth_year=1999)
    app.save(dossier, ctx=CTX)
    raw = app.recorder.select_events(dossier.id)[0].state
    assert b"Popescu" not in raw
    assert b"1999" in raw  # not personal data: statistics stay readable
    assert app.repository.get(dossier.id).full_name == "Ana Popescu"


def test_shredding_the_subject_key_leaves_an_erased_marker_not_an_exception(app):
    dossier = Dossier(full_name="Ana Popescu", birth_year=1999)
    dossier.add_note("lives at the old mill")
    app.save(dossier, ctx=CTX)
    app.vault.shred(dossier.id)
    app.repository.cache = None
    again = app.repository.get(dossier.id)
    assert again.full_name == ERASED
    assert again.notes == [ERASED]
    assert again.birth_year == 1999


def test_snapshots_seal_personal_data_too(app):
    dossier = Dossier(full_name="Ana Popescu", birth_year=1999)
    for i in range(6):
        dossier.add_note(f"visit {i}")
    app.save(dossier, ctx=CTX)
    snapshots = app.snapshots.recorder.select_events(dossier.id)
    assert snapshots, "a snapshot is taken every 5 events"
    assert b"Popescu" not in snapshots[-1].state and b"visit" not in snapshots[-1].state
    restored = app.repository.get(dossier.id)
    assert restored.full_name == "Ana Popescu" and len(restored.notes) == 6


def test_a_version_1_event_is_upcast_to_version_2(app):
    dossier = Dossier(full_name="Ana Popescu", birth_year=1999)
    dossier.flag("urgent")
    app.save(dossier, ctx=CTX)
    # Rewrite the stored record as version 1 wrote it: no class_version, no priority.
    stored = app.recorder.select_events(dossier.id)[1]
    state = app.mapper.transcoder.decode(stored.state)
    state.pop("class_version")
    state.pop("priority")
    old = app.mapper.transcoder.encode(state)
    event = app.mapper.to_domain_event(stored.__class__(
        originator_id=stored.originator_id, originator_version=stored.originator_version,
        topic=stored.topic, state=old))
    assert event.priority == "routine"
    assert app.mapper.to_domain_event(stored).priority == "urgent"
