"""Intake's commands and queries on a real PostgreSQL store."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import timedelta

import psycopg
import pytest
from psycopg import sql

from services.intake.access import ReadLog, read_log_id
from services.intake.contracts import REFERRED_BLIND_INDEX_SEALED_IN
from services.intake.domain import Contact
from services.intake.tests.conftest import (
    OPERATOR,
    PERSON,
    SUPERVISOR,
    T0,
    contact,
    known_case,
)
from shared.contracts import ContractViolation
from shared.crypto import ERASED, blind_index, seal_context, sealed_subject
from shared.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolated, domain_refusals
from shared.eventstore import _conninfo

SECRETS = ("passport", "Ána", "Popescu", "712 345", "old mill")


def dump_schema(cfg, schema: str) -> str:
    """Every row of every table in the schema, as text: what a database dump would show."""
    with psycopg.connect(_conninfo(cfg)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
            (schema,))]
        assert {"contact_log", "callbacks", "shifts"} <= set(tables)
        return "\n".join(
            bytes(v).decode("utf-8", "replace") if isinstance(v, bytes | memoryview) else str(v)
            for table in tables for row in conn.execute(sql.SQL("SELECT * FROM {}.{}").format(
                sql.Identifier(schema), sql.Identifier(table))) for v in row)


def referred(app, **overrides):
    contact_id = app.log_contact(OPERATOR, **contact())["contact_id"]
    app.screen_contact(OPERATOR, contact_id, ["retained_documents"], "presumed_victim")
    values = {"person": PERSON, "birth_year": 1999, "gender": "Female", "citizenship": "RO",
              "languages": ["ro"], "exploitation_types": ["ForcedLabour"], "urgency": None,
              **overrides}
    return contact_id, app.refer_to_casework(OPERATOR, contact_id, **values)["person_subject_id"]


def integration_events(app):
    mapper = copy.copy(app.mapper)
    mapper.unseal_on_read = False  # as the outbox relay reads
    published = [app.to_integration_event(mapper.to_domain_event(n))
                 for n in app.recorder.select_notifications(0, 1000)]
    return [e for e in published if e is not None]  # facts learned of casework stay here


def test_a_logged_contact_reads_back_whole_with_the_operator_from_the_token(app):
    contact_id = app.log_contact(OPERATOR, **contact())["contact_id"]
    found = app.get_contact(OPERATOR, contact_id)
    assert found["summary"] == contact()["summary"]
    assert found["callback_contact"] == "+40 712 345 678"
    assert found["operator_id"] == "op-1" and found["status"] == "open"
    audit = app.mapper.audit_of(app.recorder.select_events(contact_id)[0])
    assert (audit["actor_id"], audit["service"]) == ("op-1", app.name)


def test_personal_data_is_sealed_in_every_table_of_the_service_schema(app, runner, cfg):
    contact_id, _ = referred(app)
    app.close_contact(OPERATOR, contact_id, "referred_to_casework")
    app.record_missed_call(OPERATOR, "phone", callback_contact="+40 712 345 678")
    runner.catch_up()
    everything = dump_schema(cfg, cfg.schema(app.name))
    assert "retained_documents" in everything  # codes stay readable: the scan does see rows
    for secret in SECRETS:
        assert secret not in everything


def test_a_referral_gives_the_person_a_subject_of_their_own_and_a_blind_index(app, cfg):
    contact_id, subject_id = referred(app)
    assert subject_id != str(contact_id)
    logged, _, stored = (app.mapper.decode_state(s)
                         for s in app.recorder.select_events(contact_id))
    assert sealed_subject(stored["person"]) == subject_id
    assert sealed_subject(logged["summary"]) == str(contact_id)
    # Sealed under the person too, so it goes with them; accents, case and spacing do not
    # matter: casework finds "Ana POPESCU" born 1999.
    assert sealed_subject(stored["blind_index"]) == subject_id
    where = seal_context(app.name, "Contact", "blind_index")  # as intake/Contact.blind_index
    assert where == REFERRED_BLIND_INDEX_SEALED_IN.replace("intake", app.name, 1)
    assert app.vault.unseal(stored["blind_index"], where) == \
        blind_index(cfg.blind_index_key, "ana  POPESCU", 1999)


def test_shredding_the_person_erases_them_but_not_the_call(app):
    contact_id, subject_id = referred(app)
    app.vault.shred(subject_id)
    found = app.get_contact(OPERATOR, contact_id)
    assert found["referral"]["person"] == ERASED
    assert found["summary"] == contact()["summary"]
    assert found["referral"]["birth_year"] == 1999  # statistics survive erasure


def test_rules_come_back_as_rule_violated_and_bad_values_as_invalid_input(app):
    contact_id = app.log_contact(OPERATOR, **contact())["contact_id"]
    with pytest.raises(RuleViolated):
        app.refer_to_casework(OPERATOR, contact_id, person=PERSON, gender="Female",
                              citizenship=None, languages=[], exploitation_types=[],
                              urgency=None)
    app.close_contact(OPERATOR, contact_id, "no_action")
    with pytest.raises(RuleViolated):
        app.close_contact(OPERATOR, contact_id, "no_action")
    with pytest.raises(InvalidInput) as refused:
        app.log_contact(OPERATOR, **contact(ended_at=T0 - timedelta(hours=1)))
    assert "ended_at" in refused.value.errors


def test_unknown_or_foreign_ids_are_not_found(app):
    shift_id = app.start_shift(OPERATOR)["shift_id"]
    for missing in (uuid.uuid4(), shift_id):
        with pytest.raises(NotFound):
            app.get_contact(OPERATOR, missing)
    missed = app.record_missed_call(OPERATOR, "phone")["missed_call_id"]
    with pytest.raises(NotFound):
        app.complete_callback(OPERATOR, missed, uuid.uuid4())


def test_two_operators_saving_one_contact_at_once_get_a_conflict(app):
    contact_id = app.log_contact(OPERATOR, **contact())["contact_id"]
    first = app.repository.get(contact_id)
    app.close_contact(OPERATOR, contact_id, "no_action")
    first.close("information_given", T0 + timedelta(minutes=5))
    with pytest.raises(Conflict), domain_refusals():
        app.save(first, ctx=OPERATOR)


def test_only_a_supervisor_starts_or_ends_a_shift_for_someone_else(app):
    with pytest.raises(Forbidden):
        app.start_shift(OPERATOR, operator_id="op-2")
    shift_id = app.start_shift(SUPERVISOR, operator_id="op-2")["shift_id"]
    with pytest.raises(Forbidden):
        app.end_shift(OPERATOR, shift_id)
    app.end_shift(SUPERVISOR, shift_id)


def test_callback_numbers_go_to_the_operators_on_duty_and_every_read_is_logged(app, views):
    app.views = views
    missed = app.record_missed_call(OPERATOR, "sms", T0,
                                    callback_contact="+40 712 345 678")["missed_call_id"]
    silent = app.record_missed_call(OPERATOR, "phone", T0 + timedelta(minutes=1))
    off_duty = app.pending_callbacks(OPERATOR)
    assert [i["callback_contact"] for i in off_duty["items"]] == [None, None]
    assert "on duty" in off_duty["personal_data_note"]
    app.start_shift(OPERATOR, started_at=T0)
    items = app.pending_callbacks(OPERATOR)["items"]
    assert [(i["missed_call_id"], i["callback_contact"]) for i in items] == [
        (str(missed), "+40 712 345 678"), (str(silent["missed_call_id"]), None)]
    log = app.load(ReadLog, read_log_id(missed))
    assert [(e["actor_id"], e["outcome"], e["fields"]) for e in log.entries] == [
        ("op-1", "withheld", ["callback_contact"]), ("op-1", "read", ["callback_contact"])]
    assert app.find(ReadLog, read_log_id(silent["missed_call_id"])) is None  # no number


def test_integration_events_carry_codes_and_a_sealed_person_never_the_conversation(app):
    contact_id, subject_id = referred(app, urgency="emergency")
    app.link_to_case(SUPERVISOR, contact_id, known_case(app))
    app.close_contact(OPERATOR, contact_id, "referred_to_casework")
    missed = app.record_missed_call(OPERATOR, "phone",
                                    callback_contact="+40 712 345 678")["missed_call_id"]
    app.complete_callback(OPERATOR, missed, contact_id)
    shift = app.start_shift(OPERATOR)["shift_id"]
    app.end_shift(OPERATOR, shift)
    events = integration_events(app)
    assert [(e.type, e.version) for e in events] == [
        ("ContactLogged", 1), ("ContactScreened", 1), ("ReferredToCasework", 2),
        ("ContactLinkedToCase", 1), ("ContactClosed", 1), ("CallMissed", 1),
        ("CallbackDone", 1), ("ShiftStarted", 1), ("ShiftEnded", 1)]
    on_the_wire = json.dumps([e.data for e in events])
    for secret in (*SECRETS, '"summary"', '"callback_contact"'):
        assert secret not in on_the_wire
    # The person and the blind index; not even sealed conversations travel.
    assert on_the_wire.count("pd2:") == 2
    referral = events[2].data
    assert referral["person"].startswith(f"pd2:{subject_id}:")
    assert referral["blind_index"].startswith(f"pd2:{subject_id}:")
    assert referral["person_subject_id"] == subject_id
    assert referral["contact_id"] == str(contact_id)
    assert (referral["birth_year"], referral["gender"], referral["citizenship"]) == \
        (1999, "Female", "RO")
    assert (referral["urgency"], referral["exploitation_types"]) == ("emergency", ["ForcedLabour"])
    assert referral["blind_index"] and referral["languages"] == ["ro"]
    assert events[5].data["has_callback_contact"] is True
    assert events[8].data == {"shift_id": str(shift), "operator_id": "op-1",
                              "ended_at": events[8].data["ended_at"]}


def test_an_unsealed_person_is_never_published(app):
    contact_id, _ = referred(app)
    unsealed = app.mapper.to_domain_event(app.recorder.select_events(contact_id)[-1])
    assert unsealed.person["family_name"] == "Popescu"  # the app's own mapper unseals
    with pytest.raises(ContractViolation) as refused:
        app.to_integration_event(unsealed)
    assert set(refused.value.errors) == {"person", "blind_index"}


def test_a_command_landing_while_casework_links_the_contact_runs_again_not_refused(
        app, monkeypatch):
    """Casework's case opening links a referred contact at any moment (learn_opened_case).
    An operator's command saved just after it is run again on the fresh contact: the
    operator gave no version, so "changed concurrently; reload and retry" would be noise
    (it failed a flow test on a busy machine)."""
    missed = app.record_missed_call(OPERATOR, "phone",
                                    callback_contact="+40 712 345 678")["missed_call_id"]
    contact_id, _ = referred(app)
    load, raced = app.load, []

    def load_then_link(cls, aggregate_id, **kwargs):
        found = load(cls, aggregate_id, **kwargs)
        if cls is Contact and not raced:  # the consumer saves between our load and save
            raced.append(aggregate_id)
            linked = load(Contact, aggregate_id, sealed=True)
            assert linked.link_to_case(str(uuid.uuid4()), "2026/0001")
            app.save(linked, ctx=OPERATOR)
        return found

    monkeypatch.setattr(app, "load", load_then_link)
    assert app.complete_callback(OPERATOR, missed, contact_id)["missed_call_id"] == missed
    assert raced == [contact_id]
    assert app.load(Contact, contact_id, sealed=True).missed_calls_answered == [str(missed)]
