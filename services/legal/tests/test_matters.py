"""Matters on a real PostgreSQL store: opened once per request, changed by their lawyer,
their personal data read only by those the need-to-know table names -- each read logged --
and gone with the case's key on erasure."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import timedelta
from uuid import UUID

import pytest

from services.casework.contracts import (
    ASSIGNMENT_CONFIRMED,
    CASEWORKER_ASSIGNED,
    LEGAL_ASSISTANCE_REQUESTED,
    SUBJECT_ERASED,
)
from services.legal.application import Legal
from services.legal.domain import CaseRecord, Disclosure, Matter
from services.legal.domain.ids import case_record_id, requested_matter_id
from services.legal.policy import POLICY
from services.legal.tests.conftest import (
    CASEWORKER,
    LAWYER,
    OTHER_LAWYER,
    SUPERVISOR,
    T0,
    a_hearing,
    a_matter,
    case_in_casework,
    deliver,
)
from shared.audit import CommandContext
from shared.crypto import ERASED, SEAL_PREFIX
from shared.errors import Forbidden, NotFound, RuleViolated


def requested(case_id: str, request_id: str, matter: str = "labour_claim") -> dict:
    return {"case_id": case_id, "request_id": request_id, "matter": matter,
            "requested_at": T0, "version": 3}


def read_log(app, case_id) -> list[tuple[str, str]]:
    return [(type(e).__name__, e.actor_id) for e in (
        app.mapper.to_domain_event(s)
        for s in app.recorder.select_events(case_record_id(case_id)))
        if type(e).__name__ in ("PersonalDataRead", "PersonalDataWithheld")]


def test_a_request_opens_one_matter_however_often_it_is_delivered(app):
    case_id, request_id = str(uuid.uuid4()), str(uuid.uuid4())
    for _ in range(3):  # three deliveries of one message, and two of the same request
        deliver(app, LEGAL_ASSISTANCE_REQUESTED, Legal.open_matter_from_request,
                requested(case_id, request_id))
    matter = app.load(Matter, requested_matter_id(request_id))
    assert (matter.kind, matter.source, matter.lawyer_id) == ("labour_claim", "request", None)
    assert app.load(CaseRecord, case_record_id(case_id)).matter_ids == [str(matter.id)]


def test_a_matter_is_opened_directly_only_for_a_case_legal_knows(app, casework):
    with pytest.raises(NotFound):
        a_matter(app, str(uuid.uuid4()))
    case_id = case_in_casework(app, casework)
    matter = app.load(Matter, a_matter(app, case_id))
    assert matter.lawyer_id == "law-1"  # who opens it works on it


def test_the_matters_lawyer_or_a_supervisor_changes_it(app, casework):
    matter_id = UUID(a_matter(app, case_in_casework(app, casework)))
    with pytest.raises(Forbidden):
        app.update_matter(OTHER_LAWYER, matter_id, docket_number="II K 1/26")
    with pytest.raises(Forbidden):  # taking a matter someone has
        app.assign_lawyer(OTHER_LAWYER, matter_id, "law-2")
    app.update_matter(LAWYER, matter_id, docket_number="II K 1/26", stage="investigation")
    app.assign_lawyer(SUPERVISOR, matter_id, "law-2")
    app.update_matter(OTHER_LAWYER, matter_id, court="Sąd Okręgowy w Warszawie")
    with pytest.raises(Forbidden):
        app.update_matter(LAWYER, matter_id, stage="first_instance")


def test_no_lawyer_takes_a_requested_matter_for_themselves_only_a_supervisor_assigns(
        app, casework):
    """A matter opened on casework's request may hold what a supervisor recorded before any
    lawyer was named: a lawyer naming themselves would widen their own access."""
    case_id = case_in_casework(app, casework)
    request_id = str(uuid.uuid4())
    deliver(app, LEGAL_ASSISTANCE_REQUESTED, Legal.open_matter_from_request,
            requested(case_id, request_id))
    matter_id = requested_matter_id(request_id)
    app.update_matter(SUPERVISOR, matter_id, caption="Kovalenko v. AgroFarm sp. z o.o.")
    with pytest.raises(Forbidden):
        app.assign_lawyer(OTHER_LAWYER, matter_id, "law-2")
    assert app.load(Matter, matter_id).lawyer_id is None
    withheld = app.get_matter(OTHER_LAWYER, matter_id, purpose="legal_proceedings")
    assert withheld["personal_data"] == "withheld" and "caption" not in withheld
    assert POLICY.roles("assign_lawyer") == ("supervisor",)  # the shell and the API docs
    app.assign_lawyer(SUPERVISOR, matter_id, "law-2")  # a supervisor's decision
    assert app.get_matter(OTHER_LAWYER, matter_id, purpose="legal_proceedings")["caption"] \
        == "Kovalenko v. AgroFarm sp. z o.o."
    with pytest.raises(Forbidden):  # a lawyer opens a matter for themselves, no one else
        a_matter(app, case_id, lawyer_id="law-2")


def test_a_supervisor_who_is_a_lawyer_too_does_not_name_themselves_the_lawyer(app, casework):
    """Two roles, one person: as supervisor they would give themselves, as lawyer, a
    matter's personal data that no one decided they need. Another supervisor names them."""
    case_id = case_in_casework(app, casework)
    request_id = str(uuid.uuid4())
    deliver(app, LEGAL_ASSISTANCE_REQUESTED, Legal.open_matter_from_request,
            requested(case_id, request_id))
    matter_id = requested_matter_id(request_id)
    also_supervisor = CommandContext(actor_id="law-2", actor_role="supervisor", command="test")
    with pytest.raises(Forbidden):
        app.assign_lawyer(also_supervisor, matter_id, "law-2")
    assert app.load(Matter, matter_id).lawyer_id is None
    app.assign_lawyer(SUPERVISOR, matter_id, "law-2")
    assert app.load(Matter, matter_id).lawyer_id == "law-2"


def test_personal_data_goes_to_its_lawyer_the_confirmed_caseworker_and_supervisors(
        app, casework):
    case_id = case_in_casework(app, casework)
    matter_id = UUID(a_matter(app, case_id))
    app.update_matter(LAWYER, matter_id, caption="Kovalenko v. AgroFarm sp. z o.o.")
    app.organise_representation(LAWYER, matter_id, attorney="mec. Jan Wiśniewski",
                                representation="pro_bono")
    purpose = "legal_proceedings"
    for ctx in (LAWYER, CASEWORKER, SUPERVISOR):
        detail = app.get_matter(ctx, matter_id, purpose=purpose)
        assert detail["personal_data"] == "included"
        assert detail["caption"] == "Kovalenko v. AgroFarm sp. z o.o."
        assert detail["representation"]["attorney"] == "mec. Jan Wiśniewski"
    withheld = app.get_matter(OTHER_LAWYER, matter_id, purpose=purpose)
    assert withheld["personal_data"] == "withheld" and "caption" not in withheld
    assert "attorney" not in withheld["representation"]
    assert app.get_matter(LAWYER, matter_id)["personal_data"] == "not_requested"
    assert read_log(app, case_id) == [("PersonalDataRead", "law-1"),
                                      ("PersonalDataRead", "cw-1"),
                                      ("PersonalDataRead", "sup-1"),
                                      ("PersonalDataWithheld", "law-2")]


def test_a_new_caseworker_waits_for_a_supervisors_confirmation(app, casework):
    case_id = case_in_casework(app, casework)
    matter_id = UUID(a_matter(app, case_id))
    deliver(app, CASEWORKER_ASSIGNED, Legal.note_caseworker, {
        "case_id": case_id, "caseworker_id": "cw-2", "previous_caseworker_id": "cw-1",
        "status": "Active", "assigned_at": T0, "version": 5})
    newcomer = CommandContext(actor_id="cw-2", actor_role="caseworker", command="test")
    for ctx in (CASEWORKER, newcomer):  # the old one is off the case, the new one unconfirmed
        assert app.get_matter(ctx, matter_id, purpose="case_work")["personal_data"] == \
            "withheld"
    deliver(app, ASSIGNMENT_CONFIRMED, Legal.note_assignment_confirmed, {
        "case_id": case_id, "caseworker_id": "cw-2", "confirmed_by": "sup-1",
        "confirmed_at": T0, "version": 6})
    assert app.get_matter(newcomer, matter_id, purpose="case_work")["personal_data"] == \
        "included"


def test_erasure_shreds_what_legal_sealed_and_cancels_what_was_pending(app, casework):
    case_id = case_in_casework(app, casework)
    matter_id = UUID(a_matter(app, case_id))
    app.update_matter(LAWYER, matter_id, caption="Kovalenko v. AgroFarm", docket_number="X 1/26")
    letter = app.draft_letter(LAWYER, matter_id, "wage_claim", "employer", "agrofarm",
                              client_name="Olena Kovalenko")["letter_id"]
    casework.record_consent(CASEWORKER, UUID(case_id), "share_with_court", "any", "granted")
    pending = app.share_with_authority(LAWYER, matter_id, recipient_type="court",
                                       recipient="court-1", document="statement",
                                       pending=True)["disclosure_id"]
    for _ in range(2):
        deliver(app, SUBJECT_ERASED, Legal.erase_erased_cases, {
            "client_id": str(uuid.uuid4()), "subject_ids": [str(uuid.uuid4())],
            "case_ids": [case_id], "contact_ids": [], "erased_at": T0})
    assert app.get_letter(LAWYER, UUID(letter), purpose="legal_proceedings")["body"] == ERASED
    assert app.get_matter(LAWYER, matter_id, purpose="legal_proceedings")["caption"] == ERASED
    assert app.load(Matter, matter_id).erased_at is not None
    assert app.load(Disclosure, pending).cancelled["reason"] == "client_erased"
    with pytest.raises(RuleViolated):  # nothing new can be written about the person
        app.draft_letter(LAWYER, matter_id, "wage_claim", "employer", "agrofarm")


def erase(app, case_id) -> None:
    """casework's SubjectErased for the case, delivered to legal."""
    deliver(app, SUBJECT_ERASED, Legal.erase_erased_cases, {
        "client_id": str(uuid.uuid4()), "subject_ids": [str(uuid.uuid4())],
        "case_ids": [case_id], "contact_ids": [], "erased_at": T0})


def went_out(app, after: int) -> list[str]:
    """Letters drafted or sent and disclosures prepared or made after notification `after`."""
    return [n.topic.rsplit(".", 1)[-1] for n in app.recorder.select_notifications(after + 1, 1000)
            if n.topic.endswith((".DisclosureMade", ".LetterSent", ".DisclosurePrepared",
                                 ".LetterDrafted"))]


def test_after_erasure_nothing_is_drafted_sent_or_shared(app, casework):
    case_id = case_in_casework(app, casework)
    matter_id = UUID(a_matter(app, case_id))
    casework.record_consent(CASEWORKER, UUID(case_id), "share_with_court", "any", "granted")
    to_court = UUID(app.draft_letter(LAWYER, matter_id, "request_for_information", "court",
                                     "court-1", client_name="Olena Kovalenko")["letter_id"])
    to_client = UUID(app.draft_letter(LAWYER, matter_id, "hearing_notice", "client",
                                      "client")["letter_id"])
    erase(app, case_id)
    asked, ask = [], app.ask_casework

    def casework_asked(*question):
        asked.append(question)
        return ask(*question)  # casework was not told of the erasure here: it says yes

    app.ask_casework = casework_asked
    before = app.recorder.max_notification_id()
    attempts = {
        "share the letter": lambda: app.share_with_authority(
            LAWYER, matter_id, recipient_type="court", recipient="court-1", letter_id=to_court),
        "prepare it": lambda: app.share_with_authority(
            LAWYER, matter_id, recipient_type="court", recipient="court-1", letter_id=to_court,
            pending=True),
        "send it": lambda: app.send_letter(LAWYER, to_court),
        "send to the client": lambda: app.send_letter(LAWYER, to_client),
        "draft": lambda: app.draft_letter(LAWYER, matter_id, "hearing_notice", "client",
                                          "client"),
    }
    for what, attempt in attempts.items():
        with pytest.raises(RuleViolated) as refused:
            attempt()
        assert "erased" in refused.value.message and "nothing more" in refused.value.message, \
            what
    assert app.recorder.max_notification_id() == before  # nothing stored, nothing went out
    assert went_out(app, before) == []
    assert asked == []  # refused before casework is asked for the client's consent


def test_an_erasure_recorded_while_casework_is_asked_stops_the_share(app, casework):
    """The erasure arrives between the first check and the save: the save is refused."""
    case_id = case_in_casework(app, casework)
    matter_id = UUID(a_matter(app, case_id))
    casework.record_consent(CASEWORKER, UUID(case_id), "share_with_court", "any", "granted")
    letter = UUID(app.draft_letter(LAWYER, matter_id, "request_for_information", "court",
                                   "court-1", client_name="Olena Kovalenko")["letter_id"])
    asks = app.ask_casework

    def answer_while_erased(ctx, case, purpose, recipient):
        erase(app, case_id)  # a no-op after the first: one erasure per message
        return asks(ctx, case, purpose, recipient)

    app.ask_casework = answer_while_erased
    before = app.recorder.max_notification_id()
    for pending in (False, True):
        with pytest.raises(RuleViolated) as refused:
            app.share_with_authority(LAWYER, matter_id, recipient_type="court",
                                     recipient="court-1", letter_id=letter, pending=pending)
        assert "erased" in refused.value.message
    assert went_out(app, before) == []


def test_a_pending_disclosure_the_erasure_missed_is_not_released(app, casework, monkeypatch):
    """One prepared while the erasure was being recorded (its cancellation missed it)."""
    case_id = case_in_casework(app, casework)
    matter_id = UUID(a_matter(app, case_id))
    casework.record_consent(CASEWORKER, UUID(case_id), "share_with_court", "any", "granted")
    pending = UUID(app.share_with_authority(LAWYER, matter_id, recipient_type="court",
                                            recipient="court-1", document="statement",
                                            pending=True)["disclosure_id"])
    with monkeypatch.context() as race:
        race.setattr(app, "cancel_pending", lambda *args: [])
        erase(app, case_id)
    assert app.load(Disclosure, pending).status == "pending"
    before = app.recorder.max_notification_id()
    with pytest.raises(RuleViolated) as refused:
        app.release_disclosure(LAWYER, pending)
    assert "erased" in refused.value.message
    assert app.load(Disclosure, pending).status == "pending"  # nothing changed
    assert went_out(app, before) == []


def test_the_docket_number_goes_with_the_erasure(app, casework):
    """It leads to court records naming the client: personal data, given only to a reader
    with access who names a purpose; no reader gets it once erased, and it is not recorded
    again."""
    case_id = case_in_casework(app, casework)
    matter_id = UUID(a_matter(app, case_id))
    app.update_matter(LAWYER, matter_id, docket_number="II K 17/26", court="Sąd Okręgowy")
    assert app.get_matter(LAWYER, matter_id, purpose="legal_proceedings")["docket_number"] \
        == "II K 17/26"
    for ctx, purpose in ((LAWYER, None), (OTHER_LAWYER, "legal_proceedings")):
        assert "docket_number" not in app.get_matter(ctx, matter_id, purpose=purpose)
    erase(app, case_id)
    for ctx, purpose in ((LAWYER, None), (LAWYER, "legal_proceedings"),
                         (SUPERVISOR, "legal_proceedings"), (OTHER_LAWYER, "legal_proceedings")):
        detail = app.get_matter(ctx, matter_id, purpose=purpose)
        assert detail["erased"] and detail.get("docket_number") is None
        assert detail["court"] == "Sąd Okręgowy"  # the statistics stay
    with pytest.raises(RuleViolated):
        app.update_matter(LAWYER, matter_id, docket_number="II K 17/26")
    app.update_matter(LAWYER, matter_id, stage="first_instance")  # the work's facts go on


def test_integration_events_carry_ids_codes_and_times_never_personal_data(app, casework):
    case_id = case_in_casework(app, casework)
    matter_id = UUID(a_matter(app, case_id))
    app.update_matter(LAWYER, matter_id, caption="Kovalenko v. AgroFarm", stage="investigation")
    app.organise_representation(LAWYER, matter_id, attorney="mec. Jan Wiśniewski",
                                representation="paid")
    hearing = a_hearing(app, str(matter_id), T0 + timedelta(days=9), preparation_days=2)
    app.schedule_session(CASEWORKER, matter_id, "accompaniment", "cw-1",
                         hearing_id=UUID(hearing))
    letter = app.draft_letter(LAWYER, matter_id, "hearing_notice", "client", "client",
                              client_name="Olena Kovalenko", paragraphs=["bring your passport"],
                              hearing_id=UUID(hearing))["letter_id"]
    app.send_letter(LAWYER, UUID(letter))
    mapper = copy.copy(app.mapper)
    mapper.unseal_on_read = False  # as the outbox relay reads
    events = [e for e in (app.to_integration_event(mapper.to_domain_event(n))
                          for n in app.recorder.select_notifications(0, 1000)) if e]
    assert {e.type for e in events} >= {"MatterOpened", "MatterStageChanged", "DeadlineSet",
                                         "HearingScheduled", "SessionScheduled", "LetterSent"}
    assert all(e.data["case_id"] == case_id for e in events)
    on_the_wire = json.dumps([e.data for e in events], ensure_ascii=False)
    for secret in ("Kovalenko", "Wiśniewski", "passport", SEAL_PREFIX, "Sąd Okręgowy", "A. Nowak"):
        assert secret not in on_the_wire
