"""Consent-gated sharing with casework and legal running as services on RabbitMQ: legal
asks casework over RPC at the moment of sharing, with the caller's own token, so a consent
revoked a moment ago is honoured before its event reaches legal; a share with no consent is
refused; when casework does not answer, nothing is shared; and once the revocation reaches
legal over the broker, the disclosures still pending on it are cancelled."""

from __future__ import annotations

import uuid

import pytest

from services.casework.service import CaseworkService
from services.legal.application import Legal
from services.legal.casework_desk import CaseworkDesk
from services.legal.domain import CaseRecord, Disclosure
from services.legal.domain.ids import case_record_id
from services.legal.service import LegalService
from shared.config import Settings
from shared.errors import Forbidden, RuleViolated, Unavailable
from shared.testing.plugin import eventually
from tests.legal.conftest import call, relaying

CASEWORKER = {"roles": ("caseworker",), "user": "cw-7"}
CLIENT = {"given_name": "Thi Lan", "family_name": "Nguyen", "birth_year": 1996,
          "gender": "Female", "citizenship": "VN", "languages": ["vi"]}


@pytest.fixture
def legal_store():
    app = Legal(Settings.from_env())
    yield app
    app.close()


def stored_under(legal: Legal, after: int, correlation_id: str) -> list[str]:
    """The events legal stored after notification `after` under a call's correlation id."""
    return [n.topic for n in legal.recorder.select_notifications(after, 10**6,
                                                                  inclusive_of_start=False)
            if legal.mapper.audit_of(n).get("correlation_id") == correlation_id]


def test_sharing_is_decided_by_casework_at_that_moment(containers, legal_store, monkeypatch):
    casework = containers(CaseworkService)
    containers(LegalService)
    case = call("casework", "open_case", {"client": CLIENT, "caseworker_id": "cw-7",
                                          "origin_country": "VN"},
                roles=("supervisor",), user="sup-1")
    with relaying("casework"):  # legal hears of the case, then casework's relay stops
        eventually(lambda: (r := legal_store.find(CaseRecord, case_record_id(case["case_id"])))
                   and r.reference == case["reference"])
    matter = call("legal", "open_matter", {"case_id": case["case_id"],
                                           "kind": "criminal_proceedings",
                                           "standing": "auxiliary_prosecutor"})["matter_id"]

    def share(recipient_type, recipient, correlation_id=None, **more):
        return call("legal", "share_with_authority", {
            "matter_id": matter, "recipient_type": recipient_type, "recipient": recipient,
            "document": "witness statement", **more}, correlation_id=correlation_id)

    for purpose in ("share_with_police", "share_with_court"):
        call("casework", "record_consent", {"case_id": case["case_id"], "purpose": purpose,
                                            "decision": "granted"}, **CASEWORKER)
    pending = share("court", "court-warszawa", pending=True)["disclosure_id"]
    before, sharing = legal_store.recorder.max_notification_id() or 0, str(uuid.uuid4())
    made = share("police", "police-warszawa", correlation_id=sharing)
    assert made["status"] == "made" and made["consent"]["recipient"] == "any"
    assert stored_under(legal_store, before, sharing)  # a share's records carry its id

    # Revoked in casework; its relay is stopped, so legal has not heard -- and still refuses.
    call("casework", "revoke_consent", {"case_id": case["case_id"],
                                        "purpose": "share_with_police"}, **CASEWORKER)
    with pytest.raises(RuleViolated) as refused:
        share("police", "police-warszawa")
    assert "revoked" in refused.value.message
    assert legal_store.load(CaseRecord, case_record_id(case["case_id"])).consents == []

    with pytest.raises(RuleViolated) as refused:  # no consent was ever recorded
        share("prosecutor", "prosecutor-warszawa")
    assert "no_consent" in refused.value.message
    with pytest.raises(Forbidden):  # not this lawyer's matter
        call("legal", "share_with_authority", {"matter_id": matter, "recipient_type": "court",
                                               "recipient": "court-warszawa",
                                               "document": "x"}, user="law-9")

    # The court consent revoked too: once casework's relay runs, legal cancels what waits.
    call("casework", "revoke_consent", {"case_id": case["case_id"],
                                        "purpose": "share_with_court"}, **CASEWORKER)
    with relaying("casework"):
        eventually(lambda: legal_store.load(Disclosure, pending).status == "cancelled")
    assert legal_store.load(Disclosure, pending).cancelled["reason"] == "consent_revoked"

    # Casework stopped: no answer, no sharing (a 503 the caller may retry).
    casework.kill()
    monkeypatch.setattr(CaseworkDesk, "timeout", 0.5)  # its queue waits; legal does not
    before, refused = legal_store.recorder.max_notification_id() or 0, str(uuid.uuid4())
    with pytest.raises(Unavailable):
        share("court", "court-warszawa", correlation_id=refused)
    # Nothing of the share's own. Not "nothing at all": legal may still be taking the
    # consents casework recorded while its relay was stopped, published in the block
    # above behind nothing the test waited for (their queue is not the revocations').
    assert stored_under(legal_store, before, refused) == []
