"""Legal's rules, without any server."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.legal.domain import CaseRecord, Disclosure, Hearing, Matter, StaffCalendar
from services.legal.domain.access import may_read_personal_data
from services.legal.domain.letters import (
    consent_relied_on,
    recipient_address_for,
    share_purpose,
)
from services.legal.domain.reminders import deadline_reminder, hearing_reminders, token
from services.legal.domain.rules import (
    AlreadyDone,
    ConsentNotHeld,
    InvalidValue,
    MatterClosed,
    StaffBusy,
)

pytestmark = pytest.mark.no_servers

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
CASE = str(uuid.uuid4())
GRANTED = {"allowed": True, "reason": "granted", "consent": {
    "recipient": "any", "decision": "granted", "decided_on": date(2026, 2, 1),
    "expires_on": None, "revoked_on": None}}


def replayed(aggregate):
    copy = None
    for e in aggregate.collect_events():
        copy = e.mutate(copy)
    return copy


def matter(**overrides) -> Matter:
    values = {"matter_id": uuid.uuid4(), "case_id": CASE, "kind": "criminal_proceedings",
              "source": "direct", "opened_at": T0, "standing": "injured_party",
              "lawyer_id": "law-1", **overrides}
    return Matter.open(**values)


def hearing(starts_at: datetime = T0 + timedelta(days=7), now: datetime = T0,
            **overrides) -> Hearing:
    values = {"hearing_id": uuid.uuid4(), "matter_id": "m-1", "case_id": CASE,
              "starts_at": starts_at, "ends_at": starts_at + timedelta(hours=2),
              "time_zone": "Europe/Warsaw", "hearing_type": "main_trial",
              "court": "Sąd Rejonowy Kraków", "room": "12", "judge": None, "lawyer_id": "law-1",
              "interpreter_needed": False, "interpreter_language": None,
              "accompaniment_needed": True, "measures_requested": [], "now": now, **overrides}
    return Hearing.schedule(**values)


# -- matters ------------------------------------------------------------------------------
def test_criminal_proceedings_take_the_victims_standing_in_them():
    assert matter(standing="auxiliary_prosecutor").standing == "auxiliary_prosecutor"
    with pytest.raises(InvalidValue) as refused:
        matter(standing="claimant")
    assert refused.value.field == "standing"
    assert matter(kind="labour_claim", standing="claimant").standing == "claimant"
    assert matter(kind="other", standing=None).standing is None


def test_details_change_only_what_is_given_and_a_closed_matter_refuses_work():
    m = matter()
    assert m.record_details({"docket_number": "II K 123/26"}, T0)
    assert m.record_details({"court": "Sąd Okręgowy w Krakowie"}, T0)
    assert (m.docket_number, m.court) == ("II K 123/26", "Sąd Okręgowy w Krakowie")
    assert not m.change_stage("assessment", T0) and m.change_stage("first_instance", T0)
    m.close("conviction", T0 + timedelta(days=90))
    with pytest.raises(MatterClosed):
        m.change_stage("appeal", T0)
    assert replayed(m).__dict__ == m.__dict__


def test_a_deadline_is_reminded_three_days_before_at_eight_centre_time_and_only_once():
    assert deadline_reminder(date(2026, 7, 10), T0) == datetime(2026, 7, 7, 6, 0, tzinfo=UTC)
    assert deadline_reminder(date(2027, 1, 10), T0) == datetime(2027, 1, 7, 7, 0, tzinfo=UTC)
    assert deadline_reminder(date(2026, 3, 4), T0) is None  # already within three days
    m = matter()
    m.set_deadline(deadline_id="d-1", kind="court_submission", due_on=date(2026, 3, 20), now=T0)
    at = T0 + timedelta(days=15)
    assert not m.remind_of_deadline("d-1", "deadline_3d", "2026-03-21", at)  # stale token
    assert m.remind_of_deadline("d-1", "deadline_3d", "2026-03-20", at)
    assert not m.remind_of_deadline("d-1", "deadline_3d", "2026-03-20", at)  # once
    m.move_deadline("d-1", date(2026, 3, 27), at)
    assert m.remind_of_deadline("d-1", "deadline_3d", "2026-03-27", at)  # a new due day
    m.close_deadline("d-1", "met", date(2026, 3, 26))
    with pytest.raises(AlreadyDone):
        m.close_deadline("d-1", "missed", date(2026, 3, 28))


# -- hearings -----------------------------------------------------------------------------
def test_hearing_reminders_ahead_are_planned_and_each_recorded_once():
    h = hearing()
    assert set(h.__dict__["_pending_events"][0].reminders) == {"hearing_48h", "hearing_24h"}
    assert set(hearing_reminders(T0 + timedelta(hours=30), T0)) == {"hearing_24h"}
    at = h.starts_at - timedelta(hours=47)
    assert h.remind("hearing_48h", token(h.starts_at), at)
    assert not h.remind("hearing_48h", token(h.starts_at), at)
    h.move(starts_at=h.starts_at + timedelta(days=1), ends_at=h.ends_at + timedelta(days=1),
           now=at)
    assert not h.remind("hearing_24h", token(T0 + timedelta(days=7)), at)  # moved since
    assert h.remind("hearing_48h", token(h.starts_at), at)  # the new date's own reminder
    h.cancel("vacated_by_court", at)
    assert not h.remind("hearing_24h", token(h.starts_at), at)
    assert replayed(h).__dict__ == h.__dict__


def test_a_hearing_names_its_interpreter_language_exactly_when_one_is_needed():
    assert hearing(interpreter_needed=True, interpreter_language="uk").interpreter_language == "uk"
    for bad in ({"interpreter_needed": True}, {"interpreter_language": "uk"}):
        with pytest.raises(InvalidValue) as refused:
            hearing(**bad)
        assert refused.value.field == "interpreter_language"
    with pytest.raises(InvalidValue):
        hearing(time_zone="Mars/Olympus")
    with pytest.raises(InvalidValue):
        hearing(ends_at=T0)


def test_the_preparation_day_is_counted_on_the_courts_calendar():
    late = hearing(starts_at=datetime(2026, 3, 9, 23, 30, tzinfo=UTC))  # 00:30 in Warsaw
    assert late.days_before(2) == date(2026, 3, 8)


# -- staff calendar ----------------------------------------------------------------------
def test_a_second_booking_at_an_overlapping_time_is_refused_naming_the_first():
    calendar = StaffCalendar.start("cw-1")
    calendar.book(slot_id="s-1", case_id=CASE, kind="witness_preparation",
                  starts_at=T0, ends_at=T0 + timedelta(hours=2))
    with pytest.raises(StaffBusy) as refused:
        calendar.book(slot_id="s-2", case_id=CASE, kind="accompaniment",
                      starts_at=T0 + timedelta(hours=1), ends_at=T0 + timedelta(hours=3))
    assert "witness_preparation s-1" in str(refused.value) and "cw-1" in str(refused.value)
    calendar.book(slot_id="s-3", case_id=CASE, kind="accompaniment",  # back to back is fine
                  starts_at=T0 + timedelta(hours=2), ends_at=T0 + timedelta(hours=3))
    assert replayed(calendar).__dict__ == calendar.__dict__


def test_a_hearing_is_booked_whatever_it_overlaps_and_its_accompaniment_fits_it():
    calendar = StaffCalendar.start("law-1")
    calendar.book(slot_id="s-1", case_id=CASE, kind="witness_preparation", starts_at=T0,
                  ends_at=T0 + timedelta(hours=2))
    assert [sid for sid, _ in calendar.clashes(T0, T0 + timedelta(hours=1), "h-1", None)] == \
        ["s-1"]
    calendar.book(slot_id="h-1", case_id=CASE, kind="hearing", starts_at=T0,
                  ends_at=T0 + timedelta(hours=1), hearing_id="h-1", strict=False)
    with pytest.raises(StaffBusy):
        calendar.book(slot_id="a-1", case_id=CASE, kind="accompaniment", starts_at=T0,
                      ends_at=T0 + timedelta(hours=1), hearing_id="h-9")
    calendar.release("s-1")
    calendar.book(slot_id="a-1", case_id=CASE, kind="accompaniment", starts_at=T0,
                  ends_at=T0 + timedelta(hours=1), hearing_id="h-1")


# -- sharing ------------------------------------------------------------------------------
def test_sharing_needs_casework_to_say_yes_and_name_the_consent():
    assert consent_relied_on(GRANTED, "share_with_police", "police") == {
        "purpose": "share_with_police", "recipient": "any", "decided_on": "2026-02-01",
        "expires_on": None}
    for answer in ({"allowed": False, "reason": "revoked", "consent": GRANTED["consent"]},
                   {"allowed": False, "reason": "no_consent", "consent": None},
                   {"allowed": True, "reason": "granted", "consent": None}, {}):
        with pytest.raises(ConsentNotHeld):
            consent_relied_on(answer, "share_with_police", "police")


def test_who_a_disclosure_needs_consent_for():
    assert share_purpose("prosecutor", None) == "share_with_prosecutor"
    assert share_purpose("client", None) is None and share_purpose("employer", None) is None
    assert share_purpose("other", "share_with_family") == "share_with_family"
    for recipient, purpose in (("other", None), ("other", "share_with_police"),
                               ("prosecutor", "share_with_family")):
        with pytest.raises(InvalidValue):  # no borrowing another recipient's consent
            share_purpose(recipient, purpose)


def test_only_an_organisation_s_address_is_printed_never_the_client_s():
    assert recipient_address_for("court", "ul. Ogrodowa 51, Kraków") == "ul. Ogrodowa 51, Kraków"
    assert recipient_address_for("client", None) is None
    with pytest.raises(InvalidValue) as refused:
        recipient_address_for("client", "ul. Cicha 5")  # it may be a shelter's
    assert refused.value.field == "recipient_address"


def test_a_disclosure_shares_one_thing_once():
    consent = consent_relied_on(GRANTED, "share_with_court", "court-1")
    values = {"disclosure_id": uuid.uuid4(), "case_id": CASE, "matter_id": "m-1",
              "recipient_type": "court", "recipient": "court-1", "purpose": "share_with_court",
              "consent": consent, "prepared_at": T0}
    with pytest.raises(InvalidValue):
        Disclosure.prepare(letter_id=None, document=None, **values)
    d = Disclosure.prepare(letter_id=None, document="medical opinion", **values)
    d.make(consent, T0)
    with pytest.raises(AlreadyDone):
        d.cancel("consent_revoked", T0)


def test_a_revocation_or_refusal_names_the_pending_disclosures_it_withdraws():
    case = CaseRecord.start(CASE)
    case.note_consent(purpose="share_with_police", recipient="any", decision="granted",
                      decided_on=date(2026, 2, 1), expires_on=None)
    consent = consent_relied_on(GRANTED, "share_with_police", "police-krakow")
    case.hold_pending("d-1", consent, "police-krakow")
    case.hold_pending("d-2", {**consent, "purpose": "share_with_court"}, "court-1")
    case.check_not_withdrawn(consent)
    assert case.note_consent(purpose="share_with_police", recipient="police-krakow",
                             decision="refused", decided_on=date(2026, 3, 1),
                             expires_on=None) == ["d-1"]
    assert case.note_revocation(purpose="share_with_police", recipient="any",
                                revoked_on=date(2026, 3, 2)) == ["d-1"]
    with pytest.raises(ConsentNotHeld):
        case.check_not_withdrawn(consent)  # casework answered before this revocation
    case.settle("d-1")
    assert list(case.pending) == ["d-2"]


def test_a_caseworker_put_back_on_a_case_waits_for_a_new_confirmation_in_legal_too():
    case = CaseRecord.start(CASE)
    case.note_caseworker("cw-1", 2, confirmed=False)
    case.note_caseworker("cw-1", 3, confirmed=True)
    assert case.trusted_caseworker == "cw-1"
    case.note_caseworker("cw-2", 4, confirmed=False)
    case.note_caseworker("cw-1", 5, confirmed=False)  # taken back, no supervisor since
    assert case.trusted_caseworker is None
    case.note_caseworker("cw-1", 6, confirmed=True)
    assert case.trusted_caseworker == "cw-1"


def test_the_caseworker_gets_personal_data_once_confirmed_whatever_order_facts_come_in():
    case = CaseRecord.start(CASE)
    assert case.note_caseworker("cw-2", 5, confirmed=False)
    assert not case.note_caseworker("cw-1", 3, confirmed=False)  # older, arrived later
    assert case.caseworker_id == "cw-2" and case.trusted_caseworker is None
    case.note_caseworker("cw-2", 6, confirmed=True)
    assert case.trusted_caseworker == "cw-2"
    assert may_read_personal_data("caseworker", "cw-2", "law-1", case.trusted_caseworker)
    assert not may_read_personal_data("caseworker", "cw-1", "law-1", case.trusted_caseworker)
    assert may_read_personal_data("lawyer", "law-1", "law-1", None)
    assert not may_read_personal_data("lawyer", "law-2", "law-1", None)
    assert may_read_personal_data("supervisor", "sup-1", None, None)
    assert not may_read_personal_data("auditor", "aud-1", "aud-1", "aud-1")
