"""Outreach at intake on the real PostgreSQL store and over RPC on the real broker:
recording, the read models and the month's figures, and who may do what."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.intake.service import IntakeService
from services.intake.tests.conftest import OPERATOR, SUPERVISOR, T0
from shared.audit import CommandContext
from shared.errors import Forbidden, InvalidInput, NotFound, RuleViolated
from shared.testing.plugin import module_service, rpc

CASEWORKER = CommandContext(actor_id="cw-1", actor_role="caseworker", command="test")


def consultation(**overrides):
    return {"institution": "Urząd Wojewódzki w Lublinie",
            "institution_type": "CentralGovernmentOrganisation", "topic": "referral_procedures",
            "outcome": "agreement_reached", "channel": "in_person",
            "held_at": T0 - timedelta(days=1), "follow_up_action": None, "follow_up_due": None,
            **overrides}


def activity(**overrides):
    return {"kind": "training", "title": "Indicators of trafficking for labour inspectors",
            "audience": "public_officials", "held_at": T0 - timedelta(hours=3),
            "participants": 30, "materials_distributed": 60, "language": "pl", **overrides}


def test_the_months_outreach_counts_what_took_place_and_leaves_out_what_was_withdrawn(
        app, views):
    app.record_consultation(CASEWORKER, **consultation())
    app.record_consultation(OPERATOR, **consultation(institution_type="LocalGovernmentOrganisation",
                                                      topic="prevention"))
    app.record_consultation(OPERATOR, **consultation(held_at=T0 - timedelta(days=40)))  # Jan
    app.record_prevention_activity(OPERATOR, **activity())
    app.record_prevention_activity(OPERATOR, **activity(kind="publication", participants=0,
                                                        materials_distributed=500,
                                                        audience="general_public"))
    wrong = app.record_prevention_activity(OPERATOR, **activity(participants=300))["activity_id"]
    app.withdraw_outreach_record(SUPERVISOR, wrong, "duplicate")

    stats = views.outreach_stats("2026-03")
    assert stats["consultations"] == 2
    assert stats["consultations_by_institution_type"] == {
        "CentralGovernmentOrganisation": 1, "LocalGovernmentOrganisation": 1}
    assert stats["prevention_activities"] == 2
    assert stats["prevention_by_kind"] == {
        "publication": {"activities": 1, "participants": 0, "materials_distributed": 500},
        "training": {"activities": 1, "participants": 30, "materials_distributed": 60}}
    assert (stats["participants"], stats["materials_distributed"]) == (30, 560)
    assert stats["participants_by_audience"] == {"general_public": 0, "public_officials": 30}
    listed = views.prevention_activities(month="2026-03")
    assert listed["total"] == 3 and {r["withdrawn_reason"] for r in listed["items"]} == \
        {None, "duplicate"}


def test_a_follow_up_waits_in_the_list_until_it_is_done(app, views):
    due = consultation(follow_up_action="meeting", follow_up_due=T0 + timedelta(days=14))
    waiting = app.record_consultation(OPERATOR, **due)["consultation_id"]
    app.record_consultation(OPERATOR, **consultation())
    pending = views.consultations(follow_up_pending=True)
    assert [r["consultation_id"] for r in pending["items"]] == [str(waiting)]
    assert pending["items"][0]["follow_up_due"] == T0 + timedelta(days=14)
    app.complete_consultation_follow_up(OPERATOR, waiting)
    assert views.consultations(follow_up_pending=True)["total"] == 0
    assert views.consultations(follow_up_pending=False)["total"] == 2
    with pytest.raises(RuleViolated):
        app.complete_consultation_follow_up(OPERATOR, waiting)


def test_a_withdrawal_needs_a_known_record_and_a_reason_code(app):
    record = app.record_prevention_activity(OPERATOR, **activity())["activity_id"]
    with pytest.raises(InvalidInput) as refused:
        app.withdraw_outreach_record(SUPERVISOR, record, "felt like it")
    assert set(refused.value.errors) == {"withdrawal_reason"}
    with pytest.raises(NotFound):
        app.withdraw_outreach_record(SUPERVISOR, uuid.uuid4(), "duplicate")


# -- over RPC: the shell's policy and schemas ------------------------------------------------
@pytest.fixture(scope="module")
def service():
    """A container of its own, on schemas of its own."""
    with module_service(IntakeService, "outreach") as container:
        yield container


@pytest.fixture
def call(haven_run, service):
    def call(method, payload=None, roles=("caseworker",), user="u1"):
        return rpc("intake", method, payload, roles, user)

    return call


def _wire(values: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()
            if v is not None}


def test_outreach_over_rpc_records_lists_and_counts(call):
    held = datetime(2025, 11, 5, 10, tzinfo=UTC)
    made = call("record_consultation", _wire(consultation(held_at=held)))
    call("record_prevention_activity", _wire(activity(held_at=held, participants=12)),
         roles=("lawyer",))
    stats = call("outreach_stats", {"month": "2025-11"}, roles=("auditor",))
    assert (stats["consultations"], stats["participants"]) == (1, 12)
    page = call("list_consultations", {"month": "2025-11"}, roles=("ops",))
    assert [r["consultation_id"] for r in page["items"]] == [made["consultation_id"]]
    assert page["items"][0]["recorded_by"] == "u1"  # from the token, never from the body


def test_outreach_refuses_roles_without_the_right_and_bad_input_stores_nothing(call):
    held = datetime(2025, 12, 1, 9, tzinfo=UTC).isoformat()
    with pytest.raises(Forbidden):
        call("record_prevention_activity", _wire(activity(held_at=held)), roles=("ops",))
    with pytest.raises(Forbidden):
        call("record_consultation", _wire(consultation(held_at=held)), roles=("auditor",))
    record = call("record_prevention_activity", _wire(activity(held_at=held)))["activity_id"]
    with pytest.raises(Forbidden):  # only a supervisor takes a record back
        call("withdraw_outreach_record", {"record_id": record, "withdrawal_reason": "duplicate"})
    with pytest.raises(InvalidInput) as refused:
        call("record_prevention_activity", {**_wire(activity(held_at=held)), "kind": "party",
                                            "participants": -3, "names": ["Ana"]})
    assert set(refused.value.errors) == {"kind", "participants", "names"}
    with pytest.raises(InvalidInput) as refused:  # the domain's rule, named the same way
        call("record_consultation", _wire(consultation(
            held_at=(datetime.now(UTC) + timedelta(days=3)).isoformat())))
    assert set(refused.value.errors) == {"held_at"}
    stats = call("outreach_stats", {"month": "2025-12"}, roles=("supervisor",))
    assert stats["prevention_activities"] == 1  # the refused ones left nothing behind
    withdrawn = call("withdraw_outreach_record", {"record_id": record,
                                                  "withdrawal_reason": "duplicate"},
                     roles=("supervisor",))
    assert withdrawn["withdrawn"] is True
    assert call("outreach_stats", {"month": "2025-12"}, roles=("supervisor",))[
        "prevention_activities"] == 0
