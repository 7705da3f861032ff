"""The helpline's rules, without any server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.intake.domain import Contact, MissedCall, Shift
from services.intake.rules import (
    AlreadyReferred,
    CallbackAlreadyDone,
    ContactClosed,
    InvalidValue,
    LinkedToAnotherCase,
    ReferralNotWarranted,
    ShiftAlreadyEnded,
)

pytestmark = pytest.mark.no_servers

T0 = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)


def log(**overrides) -> Contact:
    values = {"channel": "phone", "direction": "inbound", "started_at": T0, "language": "uk",
              "caller_type": "potential_victim", "topic": "emergency", "urgency": "emergency",
              "operator_id": "op-1", "summary": "works 16 hours, no pay",
              "callback_contact": "+420 600 000 000", **overrides}
    return Contact.log(**values)


def refer(c: Contact, **overrides) -> None:
    values = {"person_subject_id": "subject-1", "blind_index": "bi",
              "person": {"given_name": "Olena", "family_name": "Shevchenko"}, "birth_year": 1998,
              "gender": "Female", "citizenship": "UA", "languages": ["uk", "ru"],
              "exploitation_types": ["ForcedLabour"], "urgency": None,
              "referred_at": T0 + timedelta(minutes=20), **overrides}
    c.refer_to_casework(**values)


def screened(assessment="presumed_victim") -> Contact:
    c = log()
    c.screen(["withheld_wages", "excessive_overtime"], assessment, T0 + timedelta(minutes=10))
    return c


def replayed(aggregate):
    copy = None
    for e in aggregate.collect_events():
        copy = e.mutate(copy)
    return copy


def test_a_logged_contact_keeps_its_codes_and_its_personal_data():
    c = log(ended_at=T0 + timedelta(minutes=12))
    assert (c.channel, c.topic, c.urgency, c.language) == ("phone", "emergency", "emergency", "uk")
    assert c.summary == "works 16 hours, no pay" and c.duration_seconds == 720
    assert not c.closed
    assert replayed(c).__dict__ == c.__dict__


@pytest.mark.parametrize(("field", "value"), [
    ("channel", "fax"), ("direction", "sideways"), ("caller_type", "journalist"),
    ("topic", "weather"), ("urgency", "whenever"), ("language", "ukr"), ("language", "UK"),
    ("started_at", datetime(2026, 3, 2, 21, 0)), ("ended_at", T0 - timedelta(seconds=1)),
])
def test_a_contact_with_a_value_outside_the_vocabulary_is_refused_naming_the_field(field, value):
    with pytest.raises(InvalidValue) as refused:
        log(**{field: value})
    assert refused.value.field == field


def test_screening_keeps_each_indicator_once_in_the_vocabulary_order():
    c = log()
    c.screen(["debt_bondage", "deception", "debt_bondage"], "unclear", T0)
    assert c.screening.indicators == ("deception", "debt_bondage")
    c.screen([], "presumed_victim", T0 + timedelta(minutes=1))  # a later screening supersedes
    assert c.screening.assessment == "presumed_victim"
    with pytest.raises(InvalidValue):
        c.screen(["bad_vibes"], "unclear", T0)


def test_a_closed_contact_cannot_be_screened_referred_or_closed_again():
    c = screened()
    c.close("information_given", T0 + timedelta(minutes=30))
    with pytest.raises(ContactClosed):
        c.screen(["isolation"], "presumed_victim", T0)
    with pytest.raises(ContactClosed):
        refer(c)
    with pytest.raises(ContactClosed):
        c.close("no_action", T0 + timedelta(minutes=31))


def test_closing_before_the_start_is_refused():
    with pytest.raises(InvalidValue) as refused:
        log().close("no_action", T0 - timedelta(minutes=1))
    assert refused.value.field == "ended_at"


@pytest.mark.parametrize("assessment", [None, "not_a_victim"])
def test_a_referral_needs_a_screening_that_did_not_rule_trafficking_out(assessment):
    c = log() if assessment is None else screened(assessment)
    with pytest.raises(ReferralNotWarranted):
        refer(c)


def test_a_referral_carries_the_person_and_the_screening_and_happens_once():
    c = screened("unclear")
    refer(c)
    event = c.collect_events()[-1]
    assert type(event).__name__ == "ReferredToCasework"
    assert event.person == {"given_name": "Olena", "family_name": "Shevchenko"}
    assert event.person_subject_id == "subject-1"
    assert c.person == event.person and c.person_subject_id == "subject-1"
    assert event.urgency == "emergency"  # the contact's, when none is given
    assert event.indicators == ["withheld_wages", "excessive_overtime"]
    with pytest.raises(AlreadyReferred):
        refer(c)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"person": {"given_name": "Olena", "family_name": " "}}, "person.family_name"),
    ({"gender": "female"}, "gender"),
    ({"citizenship": "UKR"}, "citizenship"),
    ({"exploitation_types": ["Farming"]}, "exploitation_types"),
    ({"birth_year": 1850}, "birth_year"),
    ({"person": {"given_name": "O", "family_name": "S", "birth_date": "1997-05-01"}},
     "birth_year"),
])
def test_a_referral_with_bad_details_is_refused_naming_the_field(overrides, field):
    with pytest.raises(InvalidValue) as refused:
        refer(screened(), **overrides)
    assert refused.value.field == field


def test_the_birth_year_comes_from_the_birth_date_when_only_that_is_known():
    c = screened()
    refer(c, birth_year=None,
          person={"given_name": "O", "family_name": "S", "birth_date": "1997-05-01"})
    assert c.referral.birth_year == 1997


def test_closing_as_referred_to_casework_needs_the_referral_first():
    c = screened()
    with pytest.raises(ReferralNotWarranted):
        c.close("referred_to_casework", T0 + timedelta(minutes=30))
    refer(c)
    c.close("referred_to_casework", T0 + timedelta(minutes=30))
    assert c.outcome == "referred_to_casework"
    assert replayed(c).referral == c.referral


def test_linking_to_a_case_works_after_closing_and_only_to_one_case():
    c = log()
    c.close("information_given", T0 + timedelta(minutes=5))
    assert c.link_to_case("case-1", "KC-2026-0042") is True
    assert c.link_to_case("case-1", "KC-2026-0042") is False  # a redelivery changes nothing
    with pytest.raises(LinkedToAnotherCase):
        c.link_to_case("case-2", None)
    assert [type(e).__name__ for e in c.collect_events()][-1] == "ContactLinkedToCase"


def test_a_missed_call_is_called_back_once_and_not_before_it_was_missed():
    missed = MissedCall.record(channel="phone", missed_at=T0, callback_contact="+420 1")
    with pytest.raises(InvalidValue):
        missed.complete("contact-1", T0 - timedelta(minutes=1))
    missed.complete("contact-1", T0 + timedelta(minutes=9))
    assert missed.contact_id == "contact-1"
    with pytest.raises(CallbackAlreadyDone):
        missed.complete("contact-2", T0 + timedelta(minutes=10))


def test_a_shift_ends_once_and_not_before_it_started():
    shift = Shift.start(operator_id="op-1", started_at=T0)
    with pytest.raises(InvalidValue):
        shift.end(T0 - timedelta(hours=1))
    shift.end(T0 + timedelta(hours=8))
    with pytest.raises(ShiftAlreadyEnded):
        shift.end(T0 + timedelta(hours=9))
    assert [type(e).__name__ for e in shift.collect_events()] == ["ShiftStarted", "ShiftEnded"]


def test_every_time_is_kept_in_utc_whatever_offset_it_came_with():
    far_east = timezone(timedelta(hours=23, minutes=59))  # Python allows it; PostgreSQL not
    c = log(started_at=T0.astimezone(far_east), ended_at=(T0 + timedelta(hours=1)).astimezone(
        far_east))
    c.close("no_action", (T0 + timedelta(hours=2)).astimezone(far_east))
    assert c.started_at.utcoffset() == c.ended_at.utcoffset() == timedelta(0)
    assert c.started_at == T0


def test_codes_with_a_trailing_newline_and_times_without_a_utc_form_are_refused():
    from datetime import datetime, timedelta, timezone

    import pytest

    from services.intake.rules import InvalidValue, moment, pattern
    from services.intake.vocabulary import COUNTRY_CODE, LANGUAGE_CODE

    with pytest.raises(InvalidValue):
        pattern(LANGUAGE_CODE, "uk\n", "language")
    with pytest.raises(InvalidValue):
        pattern(COUNTRY_CODE, "UA\n", "citizenship")
    with pytest.raises(InvalidValue):
        moment(datetime(1, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), "started_at")
