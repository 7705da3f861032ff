"""The event store, written once and run on both backends: PostgreSQL in production, SQLite
in embedded mode. Audit metadata, sealed personal data, hash chains and exact tracking must
behave the same on either (as eventsourcing tests each recorder with one test case).

What only one backend has (a pg_dump, SQL tampering) is in test_personal_data_at_rest.py
and test_verify.py.
"""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from eventsourcing.persistence import IntegrityError, Tracking

from shared.audit import CommandContext, Unauthenticated
from shared.config import Settings
from shared.crypto import ERASED, SEAL_PREFIX
from shared.eventstore import reason_context
from shared.verify import verify
from tests.platform.sample import Counter, Counters, Dossier, Dossiers, interleaved

CTX = CommandContext(actor_id="u-17", actor_role="caseworker", command="register_dossier",
                     reason="client_request", reason_detail="first contact, by phone")


@pytest.fixture(params=["postgres", "sqlite"])
def backend(request, cfg, tmp_path) -> Settings:
    """Settings for one backend: this run's PostgreSQL schemas, or SQLite files in tmp_path."""
    if request.param == "sqlite":
        return dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path)
    return cfg


@pytest.fixture
def app(app_factory, backend):
    return app_factory(Dossiers, backend)


# -- audit metadata ------------------------------------------------------------------
def test_every_stored_event_carries_who_when_and_why(app):
    dossier = Dossier(full_name="Ana Popescu", birth_year=1999)
    app.save(dossier, ctx=CTX)
    stored = app.recorder.select_events(dossier.id)
    audit = app.mapper.audit_of(stored[0])
    assert audit["actor_id"] == "u-17"
    assert audit["actor_role"] == "caseworker"
    assert audit["command"] == "register_dossier"
    assert audit["reason"] == "client_request"
    assert audit["service"] == app.name
    assert audit["correlation_id"] and audit["recorded_at"].endswith("+00:00")
    # The reason's free text is sealed under the event's subject: gone with its erasure.
    detail = audit["reason_detail"]
    assert b"first contact" not in stored[0].state and detail.startswith(SEAL_PREFIX)
    assert app.vault.unseal(detail, reason_context(app.name)) == "first contact, by phone"
    app.vault.shred(dossier.id)
    assert app.vault.unseal(detail, reason_context(app.name)) == ERASED


def test_free_text_reasons_are_not_kept_where_no_person_owns_them(app_factory, backend):
    """A record without personal data has no subject to seal the text under: the code is
    kept, the text is not (in clear it would outlive any erasure)."""
    counters = app_factory(Counters, backend)
    counter = Counter()
    counters.save(counter, ctx=CTX)
    audit = counters.mapper.audit_of(counters.recorder.select_events(counter.id)[0])
    assert audit["reason"] == "client_request" and "reason_detail" not in audit


def test_a_reason_is_a_code():
    with pytest.raises(ValueError, match="ChangeReason"):
        CommandContext(actor_id="u-1", actor_role="caseworker", command="x",
                       reason="because her brother called")


def test_a_command_without_an_authenticated_actor_is_refused(app):
    dossier = Dossier(full_name="Ana Popescu", birth_year=1999)
    with pytest.raises(Unauthenticated):
        app.save(dossier)
    assert app.recorder.select_events(dossier.id) == []
    with pytest.raises(Unauthenticated):
        CommandContext(actor_id="", actor_role="caseworker", command="x")


# -- personal data ---------------------------------------------------------------------
def test_personal_data_is_sealed_in_the_store_and_readable_through_the_app(app):
    dossier = Dossier(full_name="Ana Popescu", birth_year=1999)
    app.save(dossier, ctx=CTX)
    raw = app.recorder.select_events(dossier.id)[0].state
    assert b"Popescu" not in raw
    assert b"1999" in raw  # not personal data: statistics stay readable
    assert app.repository.get(dossier.id).full_name == "Ana Popescu"


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


@pytest.mark.parametrize("notes", [1, 6], ids=["events", "events-and-snapshot"])
def test_shredding_the_subject_key_leaves_erased_markers_not_an_exception(app, notes):
    dossier = Dossier(full_name="Ana Popescu", birth_year=1999)
    for i in range(notes):
        dossier.add_note(f"lives at the old mill, visit {i}")
    app.save(dossier, ctx=CTX)
    app.vault.shred(dossier.id)
    app.repository.cache = None
    again = app.repository.get(dossier.id)
    assert (again.full_name, again.notes) == (ERASED, [ERASED] * notes)
    assert again.birth_year == 1999


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
    event = app.mapper.to_domain_event(dataclasses.replace(stored, state=old))
    assert event.priority == "routine"
    assert app.mapper.to_domain_event(stored).priority == "urgent"


# -- hash chains -------------------------------------------------------------------------
def test_an_untouched_store_verifies_clean_by_app_and_by_service_name(app, backend):
    interleaved(app, CTX)
    report = verify(app)
    assert report.ok and report.first_break is None and report.breaks == []
    assert (report.events, report.streams, report.backend) == (9, 3, backend.store)
    assert report.head is not None and report.head[0] == 9
    assert verify(app.name, backend).head == report.head


def test_shredding_subjects_leaves_verification_clean(app):
    a, b, _ = interleaved(app, CTX)
    app.vault.shred(a.id)
    app.vault.shred(b.id)
    assert app.vault.is_shredded(a.id)
    report = verify(app)
    assert report.ok and report.events == 9, report.breaks


def test_verifying_a_store_that_does_not_exist_is_an_error_and_creates_nothing(backend):
    missing = "nosuchservice" + uuid.uuid4().hex[:6]
    for _ in range(2):  # had the first call created an empty store, the second would pass
        with pytest.raises(LookupError):
            verify(missing, backend)


# -- tracking ------------------------------------------------------------------------------
def test_a_tracked_message_is_recorded_exactly_and_acts_only_once(app):
    app.save(Dossier(full_name="Ana Popescu", birth_year=1999), ctx=CTX,
             tracking=Tracking("intake", 7))
    app.save(Dossier(full_name="Ion Rusu", birth_year=1987), ctx=CTX,
             tracking=Tracking("intake", 5))  # an earlier message may arrive later
    assert app.has_handled("intake", 7) and app.has_handled("intake", 5)
    assert not app.has_handled("intake", 6) and not app.has_handled("casework", 7)

    redelivered = Dossier(full_name="Ana Popescu", birth_year=1999)
    with pytest.raises(IntegrityError):
        app.save(redelivered, ctx=CTX, tracking=Tracking("intake", 7))
    assert app.recorder.select_events(redelivered.id) == []  # its events went with it


def test_a_redelivery_is_refused_as_such_when_the_refusal_arrives_early(app_factory, cfg,
                                                                        monkeypatch):
    """On a busy machine the tracking row's refusal can come back while the events are
    still being sent, before the pipeline's sync: it must still be the IntegrityError the
    consumers treat as "handled already", not PipelineAborted (an OperationalError, which
    they retry and then dead-letter). Made certain here by waiting for that answer."""
    import select

    app = app_factory(Dossiers, cfg)  # the pipeline is PostgreSQL's
    app.save(Dossier(full_name="Ana Popescu", birth_year=1999), ctx=CTX,
             tracking=Tracking("intake", 7))
    recorder = app.recorder
    send_events = recorder._insert_stored_events

    def after_the_refusal_came_back(curs, stored_events, **kwargs):
        pgconn = curs.connection.pgconn
        pgconn.send_flush_request()
        pgconn.flush()
        select.select([pgconn.socket], [], [], 60)
        return send_events(curs, stored_events, **kwargs)

    monkeypatch.setattr(recorder, "_insert_stored_events", after_the_refusal_came_back)
    redelivered = Dossier(full_name="Ana Popescu", birth_year=1999)
    with pytest.raises(IntegrityError):
        app.save(redelivered, ctx=CTX, tracking=Tracking("intake", 7))
    monkeypatch.undo()
    assert recorder.select_events(redelivered.id) == []
    assert recorder.max_notification_id() == 1 and verify(app).ok


def test_an_error_while_chaining_stores_nothing(app, monkeypatch):
    """The chain rows are written in the events' transaction: if computing them fails, the
    events are not stored either (eventsourcing's insert held such an error until after
    its transaction block, which then committed events with no chain rows)."""
    import shared.eventstore

    kept = Dossier(full_name="Ana Popescu", birth_year=1999)
    app.save(kept, ctx=CTX)

    def broken(*args, **kwargs):
        raise RuntimeError("chaining failed")

    monkeypatch.setattr(shared.eventstore, "chain_rows", broken)
    lost = Dossier(full_name="Ion Popescu", birth_year=2001)
    with pytest.raises(RuntimeError, match="chaining failed"):
        app.save(lost, ctx=CTX)
    monkeypatch.undo()
    assert app.recorder.select_events(lost.id) == []
    assert app.recorder.max_notification_id() == 1
    assert verify(app).ok
