"""Casework's rules, without any server."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from services.casework.domain import AccessLog, Case, CaseNumbering, Client
from services.casework.domain.access import (
    ASSIGNED,
    EMERGENCY,
    PERSONAL_DATA,
    check_may_assign,
    check_may_change,
    relations,
)
from services.casework.domain.rules import (
    AccessDenied,
    AlreadyDone,
    CaseClosed,
    ClientErased,
    ErasureRefused,
    InvalidValue,
    NotADuplicate,
    NotAssigned,
)
from shared.countries import continent_of

pytestmark = pytest.mark.no_servers

T0 = datetime(2026, 3, 2, 21, 0, tzinfo=UTC)
D0 = T0.date()


def case(**overrides) -> Case:
    values = {"case_id": uuid.uuid4(), "reference": "KC-2026-0001", "client_id": "client-1",
              "source": "direct", "opened_at": T0,
              "facts": {"origin_country": "UA", "exploitation_types": ["ForcedLabour"],
                        "urgency": "urgent"}, **overrides}
    return Case.open(**values)


def client(**overrides) -> Client:
    values = {"client_id": uuid.uuid4(), "subject_id": "subject-1",
              "person": {"given_name": "Olena", "family_name": "Kovalenko",
                         "birth_date": "1998-05-01"},
              "blind_index": "bi", "gender": "Female", "birth_year": None, "citizenship": "UA",
              "languages_spoken": ["uk", "pl", "uk"], "registered_at": T0, **overrides}
    return Client.register(**values)


def replayed(aggregate):
    copy = None
    for e in aggregate.collect_events():
        copy = e.mutate(copy)
    return copy


def names(aggregate) -> list[str]:
    return [type(e).__name__ for e in aggregate.collect_events()]


# -- references ------------------------------------------------------------------
def test_references_are_numbered_per_year_without_gaps():
    numbering = CaseNumbering.start(2026)
    assert [numbering.issue(f"case-{i}") for i in range(3)] == [
        "KC-2026-0001", "KC-2026-0002", "KC-2026-0003"]
    assert CaseNumbering.start(2026).id == numbering.id != CaseNumbering.start(2027).id
    assert replayed(numbering).last == 3


# -- opening and the profile ---------------------------------------------------------
def test_an_opened_case_is_open_until_someone_is_assigned_then_active():
    c = case()
    assert (c.status, c.caseworker_id, c.version) == ("Open", None, 1)
    assert c.assign("cw-1", T0) is True
    assert c.status == "Active"
    assert c.assign("cw-1", T0) is False  # already theirs: nothing recorded
    c.assign("cw-2", T0 + timedelta(days=1))
    event = c.collect_events()[-1]
    assert (event.caseworker_id, event.previous_caseworker_id) == ("cw-2", "cw-1")
    assert case(caseworker_id="cw-1").status == "Active"


def test_codes_are_kept_once_each_in_the_vocabulary_order():
    c = case(facts={"exploitation_types": ["SexualExploitation", "ForcedLabour",
                                           "SexualExploitation"],
                    "methods_of_control": ["WithholdsDocuments", "DebtBondage"]})
    assert c.exploitation_types == ["ForcedLabour", "SexualExploitation"]
    assert c.methods_of_control == ["DebtBondage", "WithholdsDocuments"]
    assert c.urgency == "routine"  # when none is given


@pytest.mark.parametrize(("facts", "field"), [
    ({"origin_country": "UKR"}, "origin_country"), ({"origin_country": "XX"}, "origin_country"),
    ({"exploitation_country": "pl"}, "exploitation_country"),
    ({"exploitation_types": ["Farming"]}, "exploitation_types"),
    ({"methods_of_control": ["Charm"]}, "methods_of_control"),
    ({"recruitment": "ByPigeon"}, "recruitment"),
    ({"relationship_to_trafficker": "Cousin"}, "relationship_to_trafficker"),
    ({"urgency": "whenever"}, "urgency"),
])
def test_a_fact_outside_its_vocabulary_is_refused_naming_the_field(facts, field):
    with pytest.raises(InvalidValue) as refused:
        case(facts=facts)
    assert refused.value.field == field


def test_updating_the_facts_records_only_a_real_change():
    c = case()
    assert c.update_facts({"urgency": "urgent"}, T0) is False
    assert c.update_facts({"origin_country": "MD", "recruitment": "AtWork"}, T0) is True
    assert (c.origin_country, c.recruitment, c.urgency) == ("MD", "AtWork", "urgent")
    assert names(c)[-1] == "CaseFactsUpdated"


def test_naive_times_are_refused_and_every_time_is_kept_in_utc():
    with pytest.raises(InvalidValue) as refused:
        case(opened_at=datetime(2026, 3, 2, 21, 0))
    assert refused.value.field == "opened_at"
    far_east = T0.astimezone(timezone(timedelta(hours=14)))
    assert case(opened_at=far_east).opened_at.utcoffset() == timedelta(0)


# -- identification and reflection ---------------------------------------------------
def test_identification_keeps_who_decided_and_the_previous_status():
    c = case()
    c.change_identification("Presumed", "NGO", D0)
    c.change_identification("Identified", "Prosecutor", D0 + timedelta(days=40))
    assert c.identification == {"status": "Identified", "decided_by": "Prosecutor",
                                "decided_on": D0 + timedelta(days=40)}
    assert c.collect_events()[-1].previous_status == "Presumed"
    with pytest.raises(InvalidValue) as refused:
        c.change_identification("Identified", "Neighbour", D0)
    assert refused.value.field == "decided_by"


def test_a_reflection_period_ends_after_it_starts_and_within_a_year():
    c = case()
    with pytest.raises(InvalidValue):
        c.start_reflection_period(D0, D0)
    with pytest.raises(InvalidValue):
        c.start_reflection_period(D0, D0 + timedelta(days=400))
    c.start_reflection_period(D0, D0 + timedelta(days=90))
    assert c.reflection_period == {"starts_on": D0, "ends_on": D0 + timedelta(days=90)}


# -- consent ---------------------------------------------------------------------------
def consent(c: Case, purpose="share_with_police", recipient="any", decision="granted",
            on=D0, expires=None, evidence="signed form no. 7") -> None:
    c.record_consent(purpose=purpose, recipient=recipient, decision=decision, decided_on=on,
                     expires_on=expires, evidence=evidence)


def test_sharing_needs_a_consent_in_force_on_the_day():
    c = case()
    assert c.may_share("share_with_police", "police-wroclaw", D0).reason == "no_consent"
    consent(c, on=D0 + timedelta(days=1), expires=D0 + timedelta(days=30))
    assert not c.may_share("share_with_police", "police-wroclaw", D0).allowed  # not yet
    granted = c.may_share("share_with_police", "police-wroclaw", D0 + timedelta(days=30))
    assert (granted.allowed, granted.reason, granted.recipient) == (True, "granted", "any")
    expired = c.may_share("share_with_police", "police-wroclaw", D0 + timedelta(days=31))
    assert (expired.allowed, expired.reason) == (False, "expired")
    assert c.may_share("share_with_court", "any", D0 + timedelta(days=5)).reason == "no_consent"


def test_a_specific_recipient_overrides_a_consent_for_any_recipient():
    c = case()
    consent(c, purpose="share_with_partner_ngo")
    consent(c, purpose="share_with_partner_ngo", recipient="ngo-7", decision="refused")
    assert c.may_share("share_with_partner_ngo", "ngo-3", D0).allowed
    refused = c.may_share("share_with_partner_ngo", "ngo-7", D0)
    assert (refused.allowed, refused.reason, refused.recipient) == (False, "refused", "ngo-7")


def test_a_revoked_consent_allowed_sharing_until_the_day_it_was_revoked():
    c = case()
    consent(c)
    c.revoke_consent(purpose="share_with_police", recipient="any",
                     revoked_on=D0 + timedelta(days=10))
    assert c.may_share("share_with_police", "any", D0 + timedelta(days=9)).allowed
    assert c.may_share("share_with_police", "any", D0 + timedelta(days=10)).reason == "revoked"
    with pytest.raises(AlreadyDone):
        c.revoke_consent(purpose="share_with_police", recipient="any",
                         revoked_on=D0 + timedelta(days=11))
    consent(c, on=D0 + timedelta(days=20))  # given again later
    assert c.may_share("share_with_police", "any", D0 + timedelta(days=20)).allowed
    assert replayed(c).consents == c.consents


def test_a_consent_is_revocable_on_a_closed_case_and_recorded_with_its_evidence_sealed():
    c = case()
    consent(c, evidence="scan of the signed form")
    c.close(status="Closed", closure_reason="goals_achieved", closed_at=T0 + timedelta(days=3))
    c.revoke_consent(purpose="share_with_police", recipient="any", revoked_on=D0)
    assert "scan of the signed form" in c.texts.values()
    assert Case.PERSONAL_DATA["evidence"] == "id"  # sealed under the case's own key
    with pytest.raises(InvalidValue) as refused:
        consent(c, recipient="Police in Wrocław")  # a code, never a free-text name
    assert refused.value.field == "recipient"
    with pytest.raises(InvalidValue) as refused:
        consent(c, expires=D0 - timedelta(days=1))
    assert refused.value.field == "expires_on"


# -- services, plan, follow-ups, notes ---------------------------------------------------
def test_a_crisis_intervention_records_how_long_the_client_waited():
    c = case()
    c.provide_service(service_id="s1", service_type="crisis_intervention",
                      provided_at=T0 + timedelta(minutes=40), duration_minutes=90,
                      provided_by="cw-1", language="uk")
    c.provide_service(service_id="s2", service_type="cultural_mediation",
                      provided_at=T0 + timedelta(days=1), duration_minutes=None,
                      provided_by="partner-ngo", language=None)
    assert names(c)[-2:] == ["CrisisInterventionProvided", "ServiceProvided"]
    assert [(s["service_type"], s["response_seconds"]) for s in c.services] == [
        ("crisis_intervention", 2400), ("cultural_mediation", None)]
    with pytest.raises(InvalidValue) as refused:
        c.provide_service(service_id="s3", service_type="medical",
                          provided_at=T0 - timedelta(hours=1), duration_minutes=None,
                          provided_by="cw-1", language=None)
    assert refused.value.field == "provided_at"


def test_the_case_plan_has_objectives_with_actions_each_done_once():
    c = case()
    c.add_objective(objective_id="o1", objective_type="Health", description="dental care",
                    due_on=None)
    c.add_action(action_id="a1", objective_id="o1", description="book the dentist",
                 due_on=D0 + timedelta(days=7))
    with pytest.raises(InvalidValue) as refused:
        c.add_action(action_id="a2", objective_id="o9", description="x", due_on=None)
    assert refused.value.field == "objective_id"
    c.complete_action("a1", D0 + timedelta(days=5))
    with pytest.raises(AlreadyDone):
        c.complete_action("a1", D0 + timedelta(days=6))
    c.complete_objective("o1", D0 + timedelta(days=6))
    with pytest.raises(AlreadyDone):
        c.add_action(action_id="a3", objective_id="o1", description="more", due_on=None)
    assert c.plan["o1"]["actions"]["a1"]["done_on"] == D0 + timedelta(days=5)
    assert c.texts["objective:o1"] == "dental care"


def test_a_follow_up_is_overdue_once_its_time_has_passed_undone():
    c = case()
    c.schedule_follow_up("f1", T0 + timedelta(days=7))
    c.schedule_follow_up("f2", T0 + timedelta(days=14))
    assert c.overdue_follow_ups(T0 + timedelta(days=10)) == ["f1"]
    c.complete_follow_up("f1", T0 + timedelta(days=11))
    assert c.overdue_follow_ups(T0 + timedelta(days=20)) == ["f2"]
    with pytest.raises(AlreadyDone):
        c.complete_follow_up("f1", T0 + timedelta(days=12))
    with pytest.raises(InvalidValue):
        c.schedule_follow_up("f3", T0 - timedelta(days=1))


def test_a_closed_case_takes_notes_but_no_more_work_until_reopened():
    c = case()
    c.close(status="ClosedReferred", closure_reason="referred_to_other_organisation",
            closed_at=T0 + timedelta(days=30))
    for work in (lambda: c.schedule_follow_up("f", T0 + timedelta(days=40)),
                 lambda: c.assign("cw-1", T0),
                 lambda: c.provide_service(service_id="s", service_type="medical",
                                           provided_at=T0 + timedelta(days=31),
                                           duration_minutes=None, provided_by="x",
                                           language=None)):
        with pytest.raises(CaseClosed):
            work()
    c.add_note(note_id="n1", note="She called to say thank you.", written_by="cw-1",
               written_at=T0 + timedelta(days=35))
    with pytest.raises(InvalidValue):
        c.reopen(T0 + timedelta(days=29))  # before the closure
    c.reopen(T0 + timedelta(days=40))
    assert (c.status, c.closure) == ("Open", None)
    with pytest.raises(InvalidValue) as refused:
        c.close(status="Closed", closure_reason="goals_achieved",
                closed_at=T0 + timedelta(days=39))
    assert refused.value.field == "closed_at"
    with pytest.raises(InvalidValue) as refused:
        c.close(status="Active", closure_reason="goals_achieved",
                closed_at=T0 + timedelta(days=41))
    assert refused.value.field == "status"


def test_a_shelter_request_needs_a_reason_exactly_when_isolation_is_needed():
    c = case()
    for isolation, reason in ((True, None), (False, "safety")):
        with pytest.raises(InvalidValue) as refused:
            c.request_shelter_placement(request_id="r", needs_isolation=isolation,
                                        isolation_reason=reason, accompanying_children=0,
                                        needed_from=None, requested_at=T0, gender="Female",
                                        languages_spoken=["uk"])
        assert refused.value.field == "isolation_reason"
    c.request_shelter_placement(request_id="r1", needs_isolation=True, isolation_reason="health",
                                accompanying_children=2, needed_from=D0, requested_at=T0,
                                gender="Female", languages_spoken=["uk"])
    c.request_legal_assistance(request_id="r2", matter="compensation_claim", requested_at=T0)
    assert [r["kind"] for r in c.requests] == ["shelter_placement", "legal_assistance"]


def test_a_busy_case_replays_to_the_same_state():
    c = case()
    c.assign("cw-1", T0)
    consent(c)
    c.provide_service(service_id="s1", service_type="crisis_intervention",
                      provided_at=T0 + timedelta(minutes=5), duration_minutes=30,
                      provided_by="cw-1", language="uk")
    c.add_objective(objective_id="o1", objective_type="Legal", description=None, due_on=None)
    c.schedule_follow_up("f1", T0 + timedelta(days=7))
    c.add_note(note_id="n1", note="first talk", written_by="cw-1", written_at=T0)
    c.change_phase("FollowUp", T0 + timedelta(days=8))
    assert replayed(c).__dict__ == c.__dict__


# -- duplicates -----------------------------------------------------------------------------
def test_only_a_possible_duplicate_is_reviewed_and_only_once():
    with pytest.raises(NotADuplicate):
        case().review_duplicate(outcome="same_person", reviewed_by="cw-1", reviewed_at=T0)
    c = case(possible_duplicate=True,
             candidate={"subject_id": "s-2", "person": {"given_name": "Olena"},
                        "profile": {"gender": "Female"}})
    assert c.candidate_person == {"given_name": "Olena"}
    assert c.review_duplicate(outcome="different_person", reviewed_by="cw-1",
                              reviewed_at=T0) == "different_person"
    with pytest.raises(NotADuplicate):
        c.review_duplicate(outcome="same_person", reviewed_by="cw-1", reviewed_at=T0)
    assert case(candidate={"subject_id": "s", "person": {"x": 1}}).candidate_person is None


# -- clients -----------------------------------------------------------------------------------
def test_a_client_keeps_statistics_in_clear_and_the_rest_as_personal_data():
    cl = client()
    assert (cl.gender, cl.birth_year, cl.citizenship, cl.languages) == \
        ("Female", 1998, "UA", ["uk", "pl"])
    assert cl.person["family_name"] == "Kovalenko"
    assert set(Client.PERSONAL_DATA) >= {"given_name", "family_name", "birth_date", "phone",
                                         "email", "address", "identity_documents"}
    assert not {"gender", "birth_year", "citizenship", "languages"} & set(Client.PERSONAL_DATA)


@pytest.mark.parametrize(("overrides", "field"), [
    ({"person": {"given_name": " ", "family_name": "K"}}, "given_name"),
    ({"person": {"given_name": "O", "family_name": "K", "birth_date": "1998-13-01"}},
     "birth_date"),
    ({"person": {"given_name": "O", "family_name": "K", "nickname": "Lena"}}, "nickname"),
    ({"person": {"given_name": "O", "family_name": "K",
                 "identity_documents": [{"kind": "library_card", "number": "1"}]}},
     "identity_documents.kind"),
    ({"birth_year": 1997}, "birth_year"),  # the birth date says 1998
    ({"birth_year": 1850, "person": {"given_name": "O", "family_name": "K"}}, "birth_year"),
    ({"gender": "female"}, "gender"), ({"citizenship": "Ukraine"}, "citizenship"),
    ({"languages_spoken": ["ukr"]}, "languages"),
])
def test_a_client_with_bad_details_is_refused_naming_the_field(overrides, field):
    with pytest.raises(InvalidValue) as refused:
        client(**overrides)
    assert refused.value.field == field


def test_correcting_details_records_only_a_real_change():
    cl = client()
    same = {"person": cl.person, "blind_index": "bi", "gender": "Female", "birth_year": 1998,
            "citizenship": "UA", "languages_spoken": ["uk", "pl"], "corrected_at": T0}
    assert cl.correct_details(**same) is False
    assert cl.correct_details(**{**same, "person": {**cl.person, "phone": "+48 600"}}) is True
    assert cl.phone == "+48 600" and names(cl)[-1] == "ClientDetailsCorrected"


def test_an_erasure_needs_a_request_and_a_second_person_who_is_a_supervisor():
    cl = client()
    with pytest.raises(ErasureRefused):
        cl.approve_erasure(approved_by="sup-2", approver_role="supervisor", approved_at=T0)
    cl.request_erasure(requested_by="sup-1", erasure_reason="client_request", requested_at=T0)
    with pytest.raises(AlreadyDone):
        cl.request_erasure(requested_by="cw-1", erasure_reason="client_request",
                           requested_at=T0)
    with pytest.raises(ErasureRefused, match="second person"):
        cl.approve_erasure(approved_by="sup-1", approver_role="supervisor", approved_at=T0)
    with pytest.raises(ErasureRefused, match="supervisor"):
        cl.approve_erasure(approved_by="cw-9", approver_role="caseworker", approved_at=T0)
    with pytest.raises(ErasureRefused):
        cl.record_erased(subject_ids=["subject-1"], case_ids=[], contact_ids=[], erased_at=T0)
    with pytest.raises(ErasureRefused):
        cl.link_case("case-9")  # no new case while the erasure is pending
    assert cl.approve_erasure(approved_by="sup-2", approver_role="supervisor",
                              approved_at=T0) is True
    assert cl.approve_erasure(approved_by="sup-2", approver_role="supervisor",
                              approved_at=T0) is False  # approved: only completing is left
    cl.record_erased(subject_ids=["subject-1"], case_ids=["c1"], contact_ids=[],
                     erased_at=T0)
    assert cl.erased and names(cl)[-2:] == ["ErasureApproved", "SubjectErased"]
    with pytest.raises(ClientErased):
        cl.link_case("case-10")


def test_a_rejected_erasure_can_be_requested_again():
    cl = client()
    cl.request_erasure(requested_by="cw-1", erasure_reason="other", requested_at=T0)
    cl.reject_erasure(rejected_by="sup-1", rejected_at=T0)
    assert cl.erasure is None
    cl.request_erasure(requested_by="cw-1", erasure_reason="consent_withdrawn",
                       requested_at=T0)


# -- who sees and changes what ------------------------------------------------------------
def test_personal_data_is_for_supervisors_and_the_caseworker_a_supervisor_confirmed():
    assert PERSONAL_DATA.allows("supervisor", set())
    assert PERSONAL_DATA.allows("caseworker", {ASSIGNED})
    assert PERSONAL_DATA.allows("caseworker", {EMERGENCY})
    assert not PERSONAL_DATA.allows("caseworker", set())
    for role in ("auditor", "ops", "lawyer", "admin", "helpline_operator"):
        assert not PERSONAL_DATA.allows(role, {ASSIGNED, EMERGENCY})
    assert "caseworker (assigned to the person's case by a supervisor or holding emergency" \
        in PERSONAL_DATA.refusal("caseworker")
    assert PERSONAL_DATA.refusal("auditor").startswith("the role auditor is not given")


def test_taking_or_being_handed_a_case_waits_for_a_supervisors_confirmation():
    c = case(caseworker_id="cw-1")
    assert c.assignment_pending and relations("cw-1", [c], None, T0) == set()
    c.confirm_assignment("sup-1", T0)
    assert not c.assignment_pending and relations("cw-1", [c], None, T0) == {ASSIGNED}
    c.assign("cw-2", T0)  # handed over: the new caseworker waits, the old one lost it
    assert relations("cw-2", [c], None, T0) == set() == relations("cw-1", [c], None, T0)
    assert c.confirm_assignment("sup-1", T0) and not c.confirm_assignment("sup-1", T0)
    assert replayed(c).confirmed_caseworker_id == "cw-2"


def test_a_supervisor_confirms_the_caseworker_they_mean_not_whoever_holds_the_case_now():
    c = case(caseworker_id="cw-1")  # the review queue shows cw-1 waiting
    c.assign("cw-2", T0)  # meanwhile cw-1 hands the case to cw-2
    with pytest.raises(NotAssigned):
        c.confirm_assignment("sup-1", T0, meant="cw-1")
    assert c.assignment_pending
    assert c.confirm_assignment("sup-1", T0, meant="cw-2")
    assert relations("cw-2", [c], None, T0) == {ASSIGNED}


def test_a_caseworker_moved_off_a_case_and_put_back_waits_for_a_new_confirmation():
    """Any caseworker may assign a case; only a supervisor's confirmation opens its person's
    data. Taking back a case one was moved off must not skip that."""
    c = case(caseworker_id="cw-1")
    c.confirm_assignment("sup-1", T0)
    c.assign("cw-2", T0)
    c.assign("cw-1", T0)  # cw-1 takes it back without a supervisor
    assert c.assignment_pending and relations("cw-1", [c], None, T0) == set()
    assert replayed(c).assignment_pending
    assert c.confirm_assignment("sup-1", T0) and relations("cw-1", [c], None, T0) == {ASSIGNED}


def test_emergency_access_has_a_reason_and_ends_on_time():
    log = AccessLog.start(uuid.uuid4())
    grant = {"grant_id": "g-1", "actor_id": "cw-9", "case_id": "c-1", "case_ids": ["c-1"],
             "reason_code": "imminent_danger", "reason_text": "police at the door",
             "granted_at": T0, "minutes": 60}
    with pytest.raises(AccessDenied):
        log.grant_emergency_access(role="supervisor", **grant)
    with pytest.raises(InvalidValue):
        log.grant_emergency_access(role="caseworker", **{**grant, "reason_code": "curious"})
    log.grant_emergency_access(role="caseworker", **grant)
    assert relations("cw-9", [], log, T0 + timedelta(minutes=59)) == {EMERGENCY}
    assert relations("cw-9", [], log, T0 + timedelta(minutes=60)) == set()
    assert relations("cw-8", [], log, T0) == set()
    with pytest.raises(AccessDenied):  # its user, also a supervisor, does not review it
        log.review_emergency_access(grant_id="g-1", outcome="confirmed", reviewed_by="cw-9",
                                    reviewed_at=T0 + timedelta(hours=1))
    log.review_emergency_access(grant_id="g-1", outcome="flagged", reviewed_by="sup-1",
                                reviewed_at=T0 + timedelta(hours=2))
    with pytest.raises(AlreadyDone):
        log.review_emergency_access(grant_id="g-1", outcome="confirmed", reviewed_by="sup-2",
                                    reviewed_at=T0 + timedelta(hours=3))
    assert replayed(log).grants["g-1"]["review"]["outcome"] == "flagged"


def test_a_case_is_changed_by_its_caseworker_or_a_supervisor():
    check_may_change("caseworker", "cw-1", "cw-1")
    check_may_change("supervisor", "sup-1", "cw-1")
    for role, actor, assigned in (("caseworker", "cw-2", "cw-1"), ("caseworker", "cw-2", None),
                                  ("auditor", "cw-1", "cw-1")):
        with pytest.raises(AccessDenied):
            check_may_change(role, actor, assigned)


def test_a_caseworker_takes_an_unassigned_case_or_hands_over_their_own():
    check_may_assign("caseworker", "cw-1", None, "cw-1")
    check_may_assign("caseworker", "cw-1", "cw-1", "cw-2")
    check_may_assign("supervisor", "sup-1", "cw-1", "cw-2")
    with pytest.raises(AccessDenied):
        check_may_assign("caseworker", "cw-1", None, "cw-2")
    with pytest.raises(AccessDenied):
        check_may_assign("caseworker", "cw-1", "cw-2", "cw-1")


def test_the_access_log_keeps_who_read_what_and_why():
    log = AccessLog.start("client-1")
    log.record_read(actor_id="cw-1", role="caseworker", purpose="case_work", case_id="c1",
                    fields=["notes", "person", "notes"], read_at=T0)
    log.record_read(actor_id="op-2", role="helpline_operator", purpose="case_work",
                    case_id="c1", fields=[], read_at=T0, service="intake", withheld=True)
    assert log.entries == [
        {"actor_id": "cw-1", "role": "caseworker", "purpose": "case_work", "case_id": "c1",
         "fields": ["notes", "person"], "read_at": T0, "service": "casework", "outcome": "read",
         "emergency": False},
        {"actor_id": "op-2", "role": "helpline_operator", "purpose": "case_work",
         "case_id": "c1", "fields": [], "read_at": T0, "service": "intake",
         "outcome": "withheld", "emergency": False}]
    assert replayed(log).entries == log.entries
    with pytest.raises(InvalidValue) as refused:
        log.record_read(actor_id="cw-1", role="caseworker", purpose="curiosity", case_id=None,
                        fields=[], read_at=T0)
    assert refused.value.field == "purpose"


def test_the_centres_countries_report_under_their_continents():
    europe = "BY BG LT MD DE RU RO TR UA PL".split()
    asia = "AZ BD CN PH MN TJ TH UZ VN".split()
    africa = "DJ EG NG UG".split()
    for codes, continent in ((europe, "Europe"), (asia, "Asia"), (africa, "Africa")):
        assert {continent_of(c) for c in codes} == {continent}
    assert (continent_of("BR"), continent_of("AU"), continent_of(None)) == \
        ("Americas", "Oceania", "Unknown")
