"""Casework's commands and reads on a real PostgreSQL store: openings, references,
duplicates, optimistic concurrency, field-level access and erasure."""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from datetime import date, timedelta

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError
from psycopg import sql

from services.casework.application import SNAPSHOT_EVERY, Casework
from services.casework.domain import Case, CaseNumbering, Client
from services.casework.domain.ids import numbering_id
from services.casework.tests.conftest import (
    AUDITOR,
    CASEWORKER,
    COLLEAGUE,
    SECOND_SUPERVISOR,
    SUPERVISOR,
    T0,
    integration_events,
    letters,
    new_client,
    opened,
)
from shared.crypto import ERASED, blind_index
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolated
from shared.errors import domain_refusals as domain_rules
from shared.eventstore import _conninfo
from tests.dumps import needles


def dump_schema(cfg, schema: str) -> str:
    """Every value of every table in the schema, bytes decoded: what a dump would show."""
    with psycopg.connect(_conninfo(cfg)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,))]
        return "\n".join(
            bytes(v).decode("utf-8", "replace") if isinstance(v, bytes | memoryview) else str(v)
            for table in tables for row in conn.execute(sql.SQL("SELECT * FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table))) for v in row)


# -- opening ---------------------------------------------------------------------------
def test_a_direct_opening_registers_the_client_and_takes_the_years_first_reference(app):
    first, details = opened(app)
    assert first.reference == "KC-2026-0001" and first.possible_duplicate is False
    second, _ = opened(app, ctx=SUPERVISOR, caseworker_id="cw-7")
    assert second.reference == "KC-2026-0002"
    case = app.load(Case, first.case_id)
    assert (case.caseworker_id, case.status, case.source) == ("cw-1", "Active", "direct")
    client = app.load(Client, first.client_id)
    assert client.family_name == details["family_name"] and client.birth_year == 1998
    assert client.case_ids == [first.case_id]
    assert app.load(Case, second.case_id).caseworker_id == "cw-7"


def test_opening_for_a_known_client_links_the_case_to_them(app):
    first, _ = opened(app)
    again = app.open_case(CASEWORKER, client_id=uuid.UUID(first.client_id), urgency="routine")
    assert again.client_id == first.client_id and not again.possible_duplicate
    assert app.load(Client, first.client_id).case_ids == [first.case_id, again.case_id]
    with pytest.raises(NotFound):
        app.open_case(CASEWORKER, client_id=uuid.uuid4())


def test_a_caseworker_opens_cases_for_themselves_only(app):
    with pytest.raises(Forbidden):
        opened(app, caseworker_id="cw-2")


def test_references_stay_unique_and_gap_free_under_concurrent_openings(app):
    results, errors = [], []

    def open_one():
        try:
            results.append(opened(app, ctx=SUPERVISOR)[0].reference)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [f"KC-2026-{n:04d}" for n in range(1, 11)]


def test_a_process_loads_the_years_numbering_once_not_per_opening(app, monkeypatch):
    """Openings in one process queue for the next number instead of each loading the
    numbering and all but one losing the race: the cost of an opening does not grow with
    the cases the year holds, and ten at once do not collide."""
    loads, collisions = [], []
    find, insert = app.find, app.recorder.insert_events

    def counting_find(kind, *args, **kwargs):
        if kind is CaseNumbering:
            loads.append(args)
        return find(kind, *args, **kwargs)

    def counting_insert(*args, **kwargs):
        try:
            return insert(*args, **kwargs)
        except IntegrityError:
            collisions.append(args)
            raise

    monkeypatch.setattr(app, "find", counting_find)
    monkeypatch.setattr(app.recorder, "insert_events", counting_insert)
    opened(app, ctx=SUPERVISOR)
    threads = [threading.Thread(target=lambda: opened(app, ctx=SUPERVISOR)) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and collisions == []
    assert app.repository.get(numbering_id(2026)).last == 11


def test_two_replicas_opening_at_once_keep_references_unique_and_gap_free(app):
    """Each replica issues from the numbering it saved last; when the other one issued in
    between, its save loses the race, it reloads, and no number is used twice or skipped."""
    replica = type(app)(app.settings)
    replica.clock = app.clock
    references, errors = [], []

    def open_some(application):
        try:
            references.extend(opened(application, ctx=SUPERVISOR)[0].reference
                              for _ in range(8))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=open_some, args=(a,))
                   for a in (app, replica, app, replica)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        replica.close()
    assert errors == []
    assert sorted(references) == [f"KC-2026-{n:04d}" for n in range(1, 33)]


def test_a_failed_opening_leaves_no_hole_in_the_references(app, monkeypatch):
    """The number an unsaved opening took is not kept: the next opening gets it."""
    first, _ = opened(app, ctx=SUPERVISOR)

    def refuse(*objs, **kwargs):
        raise RuleViolated("the store refused")

    with monkeypatch.context() as m:
        m.setattr(app, "save", refuse)
        with pytest.raises(RuleViolated):
            opened(app, ctx=SUPERVISOR)
    assert [first.reference, opened(app, ctx=SUPERVISOR)[0].reference] == [
        "KC-2026-0001", "KC-2026-0002"]


def test_the_years_numbering_loads_from_a_snapshot_however_many_cases_it_issued(app):
    """Opening a case loads the year's numbering: from its latest snapshot and the few
    events after it, not from every reference the year issued."""
    references = [opened(app, ctx=SUPERVISOR)[0].reference for _ in range(SNAPSHOT_EVERY + 3)]
    assert references == [f"KC-2026-{n:04d}" for n in range(1, SNAPSHOT_EVERY + 4)]
    numbering = numbering_id(2026)
    snapshots = list(app.snapshots.get(numbering, desc=True, limit=1))  # type: ignore[union-attr]
    assert snapshots and snapshots[0].originator_version >= SNAPSHOT_EVERY
    after = list(app.events.get(numbering, gt=snapshots[0].originator_version))
    assert len(after) < SNAPSHOT_EVERY and app.repository.get(numbering).last == len(references)


def test_the_same_new_person_opened_twice_at_once_becomes_one_client(app):
    person = new_client()
    found = []
    threads = [threading.Thread(target=lambda: found.append(
        opened(app, ctx=SUPERVISOR, client=dict(person))[0])) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({o.client_id for o in found}) == 1
    assert sorted(o.possible_duplicate for o in found) == [False, True]


# -- duplicates ---------------------------------------------------------------------------
def test_the_same_name_spelt_differently_and_born_the_same_year_is_a_possible_duplicate(app):
    family = "Brzęczyszczykiewicz-" + letters()
    first, _ = opened(app, client=new_client(given_name="Ána", family_name=family))
    second, _ = opened(app, client=new_client(given_name="ANA", family_name=family.upper(),
                                              phone="+48 700 000 000"))
    # The caller is not told who matched: a supervisor reviews it.
    assert second.client_id is None and second.possible_duplicate is True
    assert second.assignment == "pending"
    assert app.load(Case, second.case_id).client_id == first.client_id
    other_year, _ = opened(app, client=new_client(given_name="Ana", family_name=family,
                                                  birth_year=1999))
    assert other_year.client_id != first.client_id and not other_year.possible_duplicate
    # Linked, not merged: the client's details stay as first registered; the second
    # description waits on the case, sealed under a subject of its own, for review.
    assert app.load(Client, first.client_id).phone == "+48 511 222 333"
    candidate = app.load(Case, second.case_id).candidate_person
    assert candidate["phone"] == "+48 700 000 000"


def test_a_reviewed_different_person_becomes_a_client_of_their_own(app):
    family = "Nowak-" + letters()
    first, _ = opened(app, client=new_client(family_name=family))
    second, _ = opened(app, client=new_client(family_name=family, phone="+48 600 100 200"))
    app.review_duplicate(SUPERVISOR, uuid.UUID(second.case_id), "different_person")
    case = app.load(Case, second.case_id)
    assert case.client_id != first.client_id and case.duplicate_review["outcome"] == \
        "different_person"
    separate = app.load(Client, case.client_id)
    assert (separate.phone, separate.subject_id) == ("+48 600 100 200",
                                                     case.candidate_subject_id)
    assert separate.case_ids == [second.case_id]
    assert app.load(Client, first.client_id).case_ids == [first.case_id]
    with pytest.raises(RuleViolated):
        app.review_duplicate(SUPERVISOR, uuid.UUID(second.case_id), "same_person")


# -- optimistic concurrency ------------------------------------------------------------
def test_a_change_decided_on_a_stale_version_is_a_conflict_and_loses_nothing(app):
    o, _ = opened(app)
    case_id = uuid.UUID(o.case_id)
    seen = app.case_detail(CASEWORKER, case_id)["version"]
    app.add_note(CASEWORKER, case_id, "first caseworker's note", expected_version=seen)
    with pytest.raises(Conflict):
        app.record_service(SUPERVISOR, case_id, "medical", expected_version=seen)
    app.record_service(SUPERVISOR, case_id, "medical", expected_version=seen + 1)
    detail = app.case_detail(SUPERVISOR, case_id, purpose="supervision")
    assert [n["text"] for n in detail["notes"]] == ["first caseworker's note"]
    assert [s["service_type"] for s in detail["services"]] == ["medical"]


def test_two_saves_of_the_same_version_at_once_give_one_conflict(app):
    o, _ = opened(app)
    first = app.load(Case, o.case_id, sealed=True)
    second = app.load(Case, o.case_id, sealed=True)
    first.add_note(note_id="n1", note="one", written_by="cw-1", written_at=T0)
    second.add_note(note_id="n2", note="two", written_by="sup-1", written_at=T0)
    app.save(first, ctx=CASEWORKER)
    with pytest.raises(Conflict), domain_rules():
        app.save(second, ctx=SUPERVISOR)
    assert app.load(Case, o.case_id).texts == {"note:n1": "one"}


# -- who sees personal data ---------------------------------------------------------------
def test_personal_data_goes_to_the_assigned_caseworker_who_says_why_and_is_logged(app):
    o, details = opened(app)
    case_id = uuid.UUID(o.case_id)
    app.add_note(CASEWORKER, case_id, "afraid of the foreman")
    app.record_consent(CASEWORKER, case_id, "share_with_police", "any", "granted",
                       evidence="signed at the first meeting")
    app.add_plan_objective(CASEWORKER, case_id, "Health", description="see a dentist")

    for reader in (AUDITOR, COLLEAGUE):
        seen = app.case_detail(reader, case_id, purpose="case_work")
        assert seen["personal_data"] == "withheld"
        text = json.dumps(seen, default=str)
        for secret in (details["family_name"], "foreman", "signed at", "dentist", "pd2:"):
            assert secret not in text
        assert seen["origin_country"] == "UA" and seen["notes"][0]["written_by"] == "cw-1"
        assert "client_id" not in seen or reader is AUDITOR  # the person's id goes with them
    assert app.case_detail(CASEWORKER, case_id)["personal_data"] == "not_requested"
    attempts = app.access_log(SUPERVISOR, case_id=case_id)["items"]
    assert [(e["actor_id"], e["outcome"]) for e in attempts] == \
        [("aud-1", "withheld"), ("cw-2", "withheld")]

    mine = app.case_detail(CASEWORKER, case_id, purpose="case_work")
    assert mine["personal_data"] == "included"
    assert mine["person"]["family_name"] == details["family_name"]
    assert mine["notes"][0]["text"] == "afraid of the foreman"
    assert mine["consents"][0]["evidence"] == "signed at the first meeting"
    assert mine["plan"][0]["description"] == "see a dentist"
    entry = app.access_log(SUPERVISOR, case_id=case_id)["items"][-1]
    assert (entry["actor_id"], entry["role"], entry["purpose"], entry["case_id"],
            entry["outcome"]) == ("cw-1", "caseworker", "case_work", o.case_id, "read")
    assert entry["fields"] == ["consent_evidence", "notes", "person", "plan_descriptions"]

    app.client_detail(SUPERVISOR, uuid.UUID(o.client_id), purpose="supervision")
    entries = app.access_log(SUPERVISOR, client_id=uuid.UUID(o.client_id))["items"]
    assert [e["actor_id"] for e in entries] == ["aud-1", "cw-2", "cw-1", "sup-1"]
    # The case's log shows the client-level read too: one log per person.
    assert app.access_log(SUPERVISOR, case_id=case_id)["items"] == entries
    assert "person" not in app.client_detail(AUDITOR, uuid.UUID(o.client_id), "supervision")


def test_only_the_cases_caseworker_or_a_supervisor_changes_it(app):
    o, _ = opened(app)
    with pytest.raises(Forbidden):
        app.add_note(COLLEAGUE, uuid.UUID(o.case_id), "not my case")
    app.assign_caseworker(CASEWORKER, uuid.UUID(o.case_id), "cw-2")  # a handover
    app.add_note(COLLEAGUE, uuid.UUID(o.case_id), "my case now")
    with pytest.raises(Forbidden):
        app.add_note(CASEWORKER, uuid.UUID(o.case_id), "no longer mine")


# -- consent and other commands ------------------------------------------------------------
def test_may_we_share_with_a_recipient_on_a_date(app, clock):
    o, _ = opened(app)
    case_id = uuid.UUID(o.case_id)
    today = clock().date()
    app.record_consent(CASEWORKER, case_id, "share_with_prosecutor", "any", "granted",
                       expires_on=today + timedelta(days=30))
    answer = app.may_share(CASEWORKER, case_id, "share_with_prosecutor", "prosecutor-wroclaw")
    assert (answer["allowed"], answer["reason"], answer["on"]) == (True, "granted", today)
    assert answer["consent"]["recipient"] == "any"
    later = app.may_share(CASEWORKER, case_id, "share_with_prosecutor", "any",
                          today + timedelta(days=31))
    assert (later["allowed"], later["reason"]) == (False, "expired")
    app.revoke_consent(CASEWORKER, case_id, "share_with_prosecutor", "any")
    assert app.may_share(CASEWORKER, case_id, "share_with_prosecutor", "any")["reason"] == "revoked"


def test_domain_refusals_come_back_in_the_error_contract(app):
    o, _ = opened(app)
    case_id = uuid.UUID(o.case_id)
    with pytest.raises(InvalidInput) as refused:
        app.start_reflection_period(CASEWORKER, case_id, date(2026, 3, 1), date(2027, 6, 1))
    assert set(refused.value.errors) == {"ends_on"}
    app.close_case(CASEWORKER, case_id, "goals_achieved")
    with pytest.raises(RuleViolated):
        app.record_service(CASEWORKER, case_id, "medical")
    with pytest.raises(NotFound):
        app.add_note(CASEWORKER, uuid.uuid4(), "nowhere")
    with pytest.raises(NotFound):
        app.case_detail(CASEWORKER, uuid.UUID(o.client_id))  # a client's id is no case


def test_correcting_a_name_moves_the_client_in_the_blind_index(app, cfg):
    o, details = opened(app)
    client_id = uuid.UUID(o.client_id)
    new_family = "Zielińska-" + letters()
    app.correct_client_details(CASEWORKER, client_id, family_name=new_family, phone=None)
    client = app.load(Client, client_id)
    assert (client.family_name, client.phone, client.address) == \
        (new_family, None, details["address"])
    found, _ = opened(app, SUPERVISOR, client=new_client(family_name=new_family.lower()))
    assert found.client_id == o.client_id and found.possible_duplicate
    old_name, _ = opened(app, SUPERVISOR, client=new_client(family_name=details["family_name"]))
    assert old_name.client_id != o.client_id  # the old name no longer leads to them
    old_digest = blind_index(cfg.blind_index_key, f"Olena {details['family_name']}", 1998)
    assert app.vault.claim_index(old_digest, "nobody") == old_name.client_id


# -- erasure ----------------------------------------------------------------------------------
def test_erasure_is_approved_by_a_second_supervisor_then_the_person_is_gone(app, cfg):
    o, details = opened(app)
    case_id, client_id = uuid.UUID(o.case_id), uuid.UUID(o.client_id)
    app.add_note(CASEWORKER, case_id, "lives above the car wash")
    app.record_service(CASEWORKER, case_id, "crisis_intervention")
    digest = app.load(Client, client_id).blind_index
    assert digest in dump_schema(cfg, cfg.schema("keys"))  # the index leads to her...
    app.request_erasure(SUPERVISOR, client_id, "client_request")
    with pytest.raises(Forbidden):
        app.request_erasure(COLLEAGUE, client_id, "client_request")
    for refused_by in (SUPERVISOR, CASEWORKER):  # the requester; not a supervisor
        with pytest.raises(RuleViolated):
            app.approve_erasure(refused_by, client_id)
    assert app.load(Client, client_id).family_name == details["family_name"]

    result = app.approve_erasure(SECOND_SUPERVISOR, client_id)
    client = app.load(Client, client_id)
    assert result["case_ids"] == [o.case_id] and client.subject_id in result["subject_ids"]
    assert (client.family_name, client.phone) == (ERASED, ERASED)
    assert (client.gender, client.birth_year, client.citizenship) == ("Female", 1998, "UA")
    detail = app.case_detail(SUPERVISOR, case_id, purpose="data_subject_request")
    assert detail["notes"][0]["text"] == ERASED and detail["person"]["given_name"] == ERASED
    assert detail["erased"] and detail["services"][0]["service_type"] == "crisis_intervention"
    assert app.vault.is_shredded(client.subject_id) and app.vault.is_shredded(o.case_id)
    stored = dump_schema(cfg, cfg.schema(app.name))
    for secret in (details["family_name"], "car wash", "Ogrodowa"):
        assert secret not in stored
    with pytest.raises(RuleViolated):
        app.add_note(SUPERVISOR, case_id, "more about her")
    with pytest.raises(RuleViolated):
        app.correct_client_details(SUPERVISOR, client_id, phone="+48 500 600 700")
    # The index forgot her (its rows are deleted, not marked): the same name later is a
    # new person, not the erased client.
    assert digest not in dump_schema(cfg, cfg.schema("keys"))
    again, _ = opened(app, client=new_client(family_name=details["family_name"]))
    assert again.client_id != o.client_id and not again.possible_duplicate
    erased = [e for e in integration_events(app) if e.type == "SubjectErased"]
    assert [e.data["case_ids"] for e in erased] == [[o.case_id]]


def test_on_the_embedded_store_erasure_leaves_no_trace_in_any_file_or_wal(cfg, tmp_path):
    """`haven dev` keeps everything in SQLite files (and their write-ahead logs): after an
    erasure no byte of any of them holds the person, nor the key that opened her data."""
    local = Casework(dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path))
    try:
        o, details = opened(local)
        case_id, client_id = uuid.UUID(o.case_id), uuid.UUID(o.client_id)
        why = dataclasses.replace(CASEWORKER, reason="new_information",
                                  reason_detail="her cousin at the Ogrodowa car wash told us")
        local.add_note(why, case_id, "lives above the car wash")
        subject = local.load(Client, client_id).subject_id
        keys = [local.vault._store.load(s) for s in (subject, o.case_id)]
        wrapped = [k.wrapped for k in keys if k is not None and k.wrapped]
        assert len(wrapped) == 2

        def files() -> bytes:
            return b"".join(f.read_bytes() for f in sorted(tmp_path.rglob("*")) if f.is_file())

        telling = needles(details["family_name"], "car wash", "Ogrodowa")
        assert all(w in files() for w in wrapped)  # control: the scan sees the key rows
        local.request_erasure(SUPERVISOR, client_id, "client_request")
        local.approve_erasure(SECOND_SUPERVISOR, client_id)
        assert {f.suffix for f in tmp_path.rglob("*")} >= {".sqlite"}
        everything = files().lower()
        assert [n for n in telling if n in everything] == []
        assert [w for w in wrapped if w in files()] == []  # overwritten, not just unlinked
    finally:
        local.close()


def test_a_rejected_erasure_changes_nothing(app):
    o, details = opened(app)
    client_id = uuid.UUID(o.client_id)
    app.request_erasure(CASEWORKER, client_id, "other")
    app.reject_erasure(SUPERVISOR, client_id)
    with pytest.raises(RuleViolated):
        app.approve_erasure(SECOND_SUPERVISOR, client_id)
    assert app.load(Client, client_id).family_name == details["family_name"]


# -- sealed at rest, ids and codes on the broker -----------------------------------------------
def test_personal_data_is_sealed_in_every_table_of_the_service_schema(app, runner, cfg):
    o, details = opened(app, client=new_client(
        email="olena@example.org",
        identity_documents=[{"kind": "passport", "number": "FX123987", "issuing_country": "UA"}]))
    case_id = uuid.UUID(o.case_id)
    app.add_note(CASEWORKER, case_id, "the foreman keeps her passport")
    app.record_consent(CASEWORKER, case_id, "share_with_court", "any", "granted",
                       evidence="oral consent witnessed by Marta")
    objective = app.add_plan_objective(CASEWORKER, case_id, "Legal", "sue the agency Victoria")
    app.add_plan_action(CASEWORKER, case_id, uuid.UUID(objective["objective_id"]),
                        "call attorney Wiśniewski")
    app.case_detail(CASEWORKER, case_id, purpose="case_work")
    runner.catch_up()
    everything = dump_schema(cfg, cfg.schema(app.name))
    assert "ForcedLabour" in everything and "pd2:" in everything  # the scan sees the rows
    for secret in (details["family_name"], "Olena", "511 222 333", "Ogrodowa", "olena@",
                   "FX123987", "foreman", "Marta", "Victoria", "Wiśniewski"):
        assert secret not in everything


def test_integration_events_carry_ids_codes_and_dates_only(app, clock):
    o, details = opened(app, origin_country="MD")
    case_id = uuid.UUID(o.case_id)
    app.add_note(CASEWORKER, case_id, "note text never travels")
    app.assign_caseworker(SUPERVISOR, case_id, "cw-2")
    app.change_identification(SUPERVISOR, case_id, "Presumed", "NGO")
    app.start_reflection_period(SUPERVISOR, case_id, date(2026, 3, 3), date(2026, 6, 1))
    app.record_consent(SUPERVISOR, case_id, "share_with_police", "police-waw", "granted",
                       evidence="evidence never travels")
    app.revoke_consent(SUPERVISOR, case_id, "share_with_police", "police-waw")
    clock.advance(minutes=20)
    app.record_service(SUPERVISOR, case_id, "crisis_intervention", language="ro")
    app.record_service(SUPERVISOR, case_id, "legal_counsel")
    app.schedule_follow_up(SUPERVISOR, case_id, clock() + timedelta(days=7))
    app.request_shelter_placement(SUPERVISOR, case_id, True, "safety", 1)
    app.request_legal_assistance(SUPERVISOR, case_id, "criminal_proceedings")
    app.close_case(SUPERVISOR, case_id, "goals_achieved")
    app.reopen_case(SUPERVISOR, case_id)
    events = integration_events(app)
    assert [(e.type, e.version) for e in events] == [
        ("CaseOpened", 1), ("AssignmentConfirmed", 1),  # cw-1 registered the client
        ("CaseworkerAssigned", 1), ("AssignmentConfirmed", 1), ("IdentificationStatusChanged", 1),
        ("ReflectionPeriodStarted", 1), ("ConsentRecorded", 1), ("ConsentRevoked", 1),
        ("ServiceProvided", 1), ("ServiceProvided", 1), ("FollowUpScheduled", 1),
        ("ShelterPlacementRequested", 1), ("LegalAssistanceRequested", 1), ("CaseClosed", 1),
        ("CaseReopened", 1)]
    on_the_wire = json.dumps([e.data for e in events])
    for secret in (details["family_name"], "Olena", "never travels", "pd2:", '"note"',
                   '"evidence"'):
        assert secret not in on_the_wire
    assert [e.data["version"] for e in events[:4]] == [1, 2, 4, 5]  # the note is version 3
    opened_event = events[0].data
    assert (opened_event["case_id"], opened_event["reference"], opened_event["client_id"]) == \
        (o.case_id, o.reference, o.client_id)
    assert opened_event["origin_country"] == "MD" and opened_event["source"] == "direct"
    crisis = events[8].data
    assert (crisis["service_type"], crisis["crisis_response_seconds"]) == \
        ("crisis_intervention", 20 * 60)
    assert events[9].data["crisis_response_seconds"] is None
    shelter = events[11].data
    assert (shelter["needs_isolation"], shelter["gender"], shelter["languages"]) == \
        (True, "Female", ["uk"])


# -- emergency access ----------------------------------------------------------------------
def test_emergency_access_lasts_the_configured_time_marked_and_announced(app_factory, cfg,
                                                                          clock):
    app = app_factory(Casework, dataclasses.replace(cfg, emergency_access_minutes=15))
    app.clock = clock
    o, details = opened(app, SUPERVISOR, caseworker_id="cw-1")
    case_id = uuid.UUID(o.case_id)
    assert app.case_detail(COLLEAGUE, case_id, purpose="safety")["personal_data"] == "withheld"
    grant = app.break_the_glass(COLLEAGUE, case_id, "medical_emergency",
                                "collapsed at the shelter door")
    assert grant["expires_at"] - grant["granted_at"] == timedelta(minutes=15)
    seen = app.case_detail(COLLEAGUE, case_id, purpose="safety")
    assert seen["person"]["family_name"] == details["family_name"]
    clock.advance(minutes=15)
    assert app.case_detail(COLLEAGUE, case_id, purpose="safety")["personal_data"] == "withheld"
    log = [(e["actor_id"], e["outcome"], e["emergency"])
           for e in app.access_log(SUPERVISOR, case_id=case_id)["items"]]
    assert log == [("cw-2", "withheld", False), ("cw-2", "read", True),
                   ("cw-2", "withheld", False)]
    [announced] = [e for e in integration_events(app) if e.type == "EmergencyAccessGranted"]
    assert announced.data["actor_id"] == "cw-2" and announced.data["case_ids"] == [o.case_id]
    assert "collapsed" not in json.dumps(announced.data)
