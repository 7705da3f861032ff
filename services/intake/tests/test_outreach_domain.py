"""Outreach's rules, without any server: consultations and prevention activities."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.intake.outreach_domain import AlreadyDone, Consultation, PreventionActivity
from shared.checks import InvalidValue

pytestmark = pytest.mark.no_servers

NOW = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)


def consultation(**overrides) -> Consultation:
    values = {"institution": "Komenda Wojewódzka Policji w Lublinie",
              "institution_type": "LawEnforcement", "topic": "identification",
              "outcome": "agreement_reached", "channel": "in_person",
              "held_at": NOW - timedelta(days=2), "recorded_by": "cw-1", "recorded_at": NOW,
              "follow_up_action": "training", "follow_up_due": NOW + timedelta(days=30),
              **overrides}
    return Consultation.record(**values)


def activity(**overrides) -> PreventionActivity:
    values = {"kind": "seminar", "title": "Safe work abroad: a seminar for students",
              "audience": "youth_and_students", "held_at": NOW - timedelta(days=1),
              "participants": 45, "materials_distributed": 120, "language": "pl",
              "recorded_by": "op-1", "recorded_at": NOW, **overrides}
    return PreventionActivity.record(**values)


def test_a_consultation_records_the_body_topic_outcome_and_follow_up():
    c = consultation()
    assert (c.institution_type, c.topic, c.outcome) == \
        ("LawEnforcement", "identification", "agreement_reached")
    assert c.follow_up_action == "training" and c.follow_up_done_at is None
    c.complete_follow_up(NOW + timedelta(days=10))
    assert c.follow_up_done_at == NOW + timedelta(days=10)
    with pytest.raises(AlreadyDone):
        c.complete_follow_up(NOW + timedelta(days=11))


@pytest.mark.parametrize(("overrides", "field"), [
    ({"institution": " "}, "institution"),
    ({"institution_type": "Church"}, "institution_type"),
    ({"topic": "gossip"}, "topic"),
    ({"held_at": NOW + timedelta(days=1)}, "held_at"),  # record what took place
    ({"held_at": datetime(2026, 3, 1, 12)}, "held_at"),  # no zone
    ({"follow_up_due": None}, "follow_up_due"),  # an action without a date
    ({"follow_up_due": NOW - timedelta(days=5)}, "follow_up_due"),  # before it was held
])
def test_a_consultation_refuses_bad_values_naming_the_field(overrides, field):
    with pytest.raises(InvalidValue) as refused:
        consultation(**overrides)
    assert refused.value.field == field


def test_a_consultation_without_a_follow_up_has_none_to_complete():
    c = consultation(follow_up_action=None, follow_up_due=None)
    with pytest.raises(AlreadyDone):
        c.complete_follow_up(NOW)


def test_a_prevention_activity_counts_participants_and_materials_never_names():
    a = activity()
    assert (a.kind, a.audience, a.participants, a.materials_distributed) == \
        ("seminar", "youth_and_students", 45, 120)
    assert not hasattr(PreventionActivity, "PERSONAL_DATA")  # nothing here is sealed


@pytest.mark.parametrize(("overrides", "field"), [
    ({"kind": "party"}, "kind"),
    ({"participants": -1}, "participants"),
    ({"participants": True}, "participants"),
    ({"materials_distributed": 10**9}, "materials_distributed"),
    ({"language": "polish"}, "language"),
    ({"title": "x" * 201}, "title"),
])
def test_a_prevention_activity_refuses_bad_values_naming_the_field(overrides, field):
    with pytest.raises(InvalidValue) as refused:
        activity(**overrides)
    assert refused.value.field == field


def test_a_withdrawn_record_takes_nothing_more():
    c, a = consultation(), activity()
    c.withdraw("duplicate", NOW)
    a.withdraw("cancelled", NOW)
    assert c.withdrawn == {"reason": "duplicate", "withdrawn_at": NOW}
    with pytest.raises(AlreadyDone):
        c.complete_follow_up(NOW)
    with pytest.raises(AlreadyDone):
        a.withdraw("duplicate", NOW)
    with pytest.raises(InvalidValue):
        activity().withdraw("bored", NOW)
