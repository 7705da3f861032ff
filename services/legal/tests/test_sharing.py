"""Consent-gated sharing on a real PostgreSQL store, casework's own application answering:
fail-closed at the moment of sharing, and a revocation cancels what is still pending."""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from services.casework.contracts import CONSENT_RECORDED, CONSENT_REVOKED
from services.legal.application import Legal
from services.legal.domain import Disclosure
from services.legal.tests.conftest import (
    CASEWORKER,
    LAWYER,
    OTHER_LAWYER,
    T0,
    a_matter,
    case_in_casework,
    deliver,
)
from shared.crypto import is_sealed
from shared.errors import Forbidden, InvalidInput, RuleViolated, Unavailable

POLICE = "police-krakow"


@pytest.fixture
def matter(app, casework):
    case_id = case_in_casework(app, casework)
    return case_id, a_matter(app, case_id)


def consent(casework, case_id, recipient="any", decision="granted"):
    casework.record_consent(CASEWORKER, UUID(case_id), "share_with_police", recipient, decision)


def share(app, matter_id, pending=False, **overrides):
    values = {"recipient_type": "police", "recipient": POLICE,
              "document": "statement of 1 March", "pending": pending, **overrides}
    return app.share_with_authority(LAWYER, UUID(matter_id), **values)


def told_legal(app, contract, policy, **data):
    """casework's consent fact reaching legal (the relay and broker, in production)."""
    deliver(app, contract, policy, {"purpose": "share_with_police", "recipient": "any",
                                    **data})


def stored(app) -> int:
    return app.recorder.max_notification_id() or 0


def test_a_share_without_any_consent_is_refused_and_nothing_is_stored(app, matter):
    case_id, matter_id = matter
    before = stored(app)
    with pytest.raises(RuleViolated) as refused:
        share(app, matter_id)
    assert "no valid consent" in refused.value.message and "no_consent" in refused.value.message
    assert stored(app) == before


def test_a_share_names_the_consent_it_relied_on(app, casework, matter):
    case_id, matter_id = matter
    consent(casework, case_id)
    made = share(app, matter_id)
    assert made["status"] == "made"
    disclosure = app.load(Disclosure, made["disclosure_id"], sealed=True)
    assert disclosure.consent == {"purpose": "share_with_police", "recipient": "any",
                                  "decided_on": T0.date().isoformat(), "expires_on": None}
    assert is_sealed(disclosure.document)  # what was shared is personal data


def test_a_revoked_consent_refuses_the_very_next_share_before_legal_hears_of_it(
        app, casework, matter):
    case_id, matter_id = matter
    consent(casework, case_id)
    share(app, matter_id)
    casework.revoke_consent(CASEWORKER, UUID(case_id), "share_with_police", "any")
    # Legal has not been told (no ConsentRevoked delivered): casework is asked anyway.
    with pytest.raises(RuleViolated) as refused:
        share(app, matter_id)
    assert "revoked" in refused.value.message


def test_an_answer_older_than_a_revocation_legal_has_noted_is_not_trusted(
        app, casework, matter):
    case_id, matter_id = matter
    consent(casework, case_id)
    told_legal(app, CONSENT_RECORDED, Legal.note_consent, case_id=case_id, decision="granted",
               decided_on=T0.date(), expires_on=None)
    stale = casework.may_share(LAWYER, UUID(case_id), "share_with_police", POLICE)
    told_legal(app, CONSENT_REVOKED, Legal.note_revocation, case_id=case_id,
               revoked_on=T0.date())
    app.ask_casework = lambda *args: stale  # casework answered just before it revoked
    with pytest.raises(RuleViolated) as refused:
        share(app, matter_id, pending=True)
    assert "was revoked" in refused.value.message


def test_a_revocation_cancels_the_disclosures_still_pending_on_that_consent(
        app, casework, matter):
    case_id, matter_id = matter
    consent(casework, case_id)
    casework.record_consent(CASEWORKER, UUID(case_id), "share_with_court", "any", "granted")
    pending = share(app, matter_id, pending=True)["disclosure_id"]
    to_court = share(app, matter_id, pending=True, recipient_type="court",
                     recipient="court-1")["disclosure_id"]
    made = share(app, matter_id)["disclosure_id"]
    told_legal(app, CONSENT_REVOKED, Legal.note_revocation, case_id=str(uuid.uuid4()),
               revoked_on=T0.date())  # another client's revocation
    assert app.load(Disclosure, pending).status == "pending"
    told_legal(app, CONSENT_REVOKED, Legal.note_revocation, case_id=case_id,
               revoked_on=T0.date())
    assert app.load(Disclosure, pending).status == "cancelled"
    assert app.load(Disclosure, pending).cancelled["reason"] == "consent_revoked"
    assert app.load(Disclosure, to_court).status == "pending"  # another consent
    assert app.load(Disclosure, made).status == "made"  # already shared: history stays
    with pytest.raises(RuleViolated):
        app.release_disclosure(LAWYER, UUID(pending))


def test_releasing_a_pending_disclosure_asks_casework_again(app, casework, matter):
    case_id, matter_id = matter
    consent(casework, case_id)
    first = share(app, matter_id, pending=True)["disclosure_id"]
    second = share(app, matter_id, pending=True)["disclosure_id"]
    assert app.release_disclosure(LAWYER, UUID(first))["status"] == "made"
    casework.revoke_consent(CASEWORKER, UUID(case_id), "share_with_police", "any")
    with pytest.raises(RuleViolated):
        app.release_disclosure(LAWYER, UUID(second))  # before legal hears of the revocation
    assert app.load(Disclosure, second).cancelled["reason"] == "consent_not_held"


def test_when_casework_does_not_answer_nothing_is_shared(app, casework, matter):
    case_id, matter_id = matter
    consent(casework, case_id)

    def silent(*args):
        raise Unavailable("casework did not answer")

    app.ask_casework = silent
    before = stored(app)
    with pytest.raises(Unavailable):
        share(app, matter_id)
    assert stored(app) == before


def test_only_the_matters_lawyer_or_a_supervisor_shares(app, casework, matter):
    case_id, matter_id = matter
    consent(casework, case_id)
    with pytest.raises(Forbidden):
        app.share_with_authority(OTHER_LAWYER, UUID(matter_id), recipient_type="police",
                                 recipient=POLICE, document="statement")
    with pytest.raises(Forbidden):
        app.share_with_authority(CASEWORKER, UUID(matter_id), recipient_type="police",
                                 recipient=POLICE, document="statement")


def test_a_letter_to_an_authority_is_sent_only_as_a_disclosure(app, casework, matter):
    case_id, matter_id = matter
    letter = app.draft_letter(LAWYER, UUID(matter_id), "request_for_information", "police",
                              POLICE, client_name="Olena")["letter_id"]
    with pytest.raises(RuleViolated):
        app.send_letter(LAWYER, UUID(letter))
    consent(casework, case_id)
    sent = app.send_letter(LAWYER, UUID(letter), channel="email")
    disclosure = app.load(Disclosure, sent["disclosure_id"], sealed=True)
    assert (disclosure.status, disclosure.letter_id) == ("made", letter)
    to_client = app.draft_letter(LAWYER, UUID(matter_id), "hearing_notice", "client",
                                 "client")["letter_id"]
    assert app.send_letter(LAWYER, UUID(to_client))["status"] == "sent"  # no consent needed


def test_a_consent_for_one_recipient_cannot_be_borrowed_for_another(app, casework, matter):
    case_id, matter_id = matter
    casework.record_consent(CASEWORKER, UUID(case_id), "share_with_family", "any", "granted")
    consent(casework, case_id)  # to the police
    for recipient_type, purpose in (("prosecutor", "share_with_family"),
                                    ("other", "share_with_police")):
        with pytest.raises(InvalidInput) as refused:
            share(app, matter_id, recipient_type=recipient_type, recipient="tabloid-1",
                  purpose=purpose)
        assert set(refused.value.errors) == {"purpose"}
    assert share(app, matter_id, recipient_type="other", recipient="sister-1",
                 purpose="share_with_family")["status"] == "made"


@pytest.mark.no_servers
def test_casework_is_asked_afresh_never_under_the_callers_idempotency_key():
    """The question to casework goes with the caller's token and role, not with the key of
    the caller's command: casework would keep its answer under that key and replay it --
    a consent revoked since, legal not told yet, answered 'allowed' -- when the command,
    refused after the question (a 4xx lets its key go), is sent again with the same key."""
    from types import SimpleNamespace

    from services.legal.casework_desk import CaseworkDesk, ask_casework

    seen = []

    class Casework:
        def may_share(self, payload):
            seen.append(dict(worker.data))
            return {"allowed": True}

    worker = SimpleNamespace(data={"authorization": "token", "acting_role": "lawyer",
                                   "idempotency_key": "k-1", "correlation_id": "c-0"})
    desk = CaseworkDesk()
    desk.get_dependency = lambda worker_ctx: Casework()
    desk.worker_setup(worker)
    try:
        assert ask_casework(LAWYER, str(uuid.uuid4()), "share_with_police", POLICE) == {
            "allowed": True}
    finally:
        desk.worker_teardown(worker)
    (asked,) = seen
    assert "idempotency_key" not in asked
    assert asked["authorization"] == "token" and asked["acting_role"] == "lawyer"
    assert worker.data["idempotency_key"] == "k-1"  # the command's own, kept for legal
