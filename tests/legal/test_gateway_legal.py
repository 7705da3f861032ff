"""Legal's routes through the HTTP gateway, as a lawyer's and a caseworker's apps use them:
each way in to a must-show refused when it should be, with the error contract."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.legal.application import Legal
from services.legal.domain import CaseRecord
from services.legal.domain.ids import case_record_id
from shared.config import Settings
from shared.testing.plugin import eventually
from tests.gateway_fixtures import Api, free_port, start_platform
from tests.legal.conftest import relaying

HEARING_AT = (datetime.now(UTC) + timedelta(days=14)).replace(hour=8, minute=0, second=0,
                                                         microsecond=0)
LAWYER, CASEWORKER, SUPERVISOR = ("lawyer",), ("caseworker",), ("supervisor",)
STAFF = f"cw-{uuid.uuid4().hex[:8]}"  # a calendar no other test books


@pytest.fixture(scope="module")
def api():
    port = free_port()
    runner = start_platform(port)
    yield Api(f"http://127.0.0.1:{port}")
    runner.stop()


@pytest.fixture(scope="module")
def case(api):
    """A case opened in casework, and known to legal through casework's relay."""
    opened = api.call("POST", "/api/v1/cases", roles=SUPERVISOR, json={
        "client": {"given_name": "Mai", "family_name": "Tran", "birth_year": 1999,
                   "citizenship": "VN"}, "caseworker_id": "cw-1", "origin_country": "VN"})
    assert opened.status_code == 201, opened.text
    legal = Legal(Settings.from_env())
    with relaying("casework"):
        eventually(lambda: (r := legal.find(CaseRecord, case_record_id(opened.json()["id"])))
                   and r.reference)
    legal.close()
    return opened.json()


def test_legal_routes_are_in_the_openapi_document(api):
    paths = api.call("GET", "/api/v1/openapi.json", roles=()).json()["paths"]
    assert {"/api/v1/legal/matters/{matter_id}/disclosures", "/api/v1/legal/hearings",
            "/api/v1/legal/letters/{letter_id}"} <= set(paths)


def test_a_lawyers_day_through_the_gateway(api, case):
    def as_lawyer(method, path, **kwargs):
        return api.call(method, "/api/v1/legal" + path, token=api.token(*LAWYER, user="law-3"),
                        **kwargs)

    matter = as_lawyer("POST", "/matters", json={"case_id": case["id"],
                                                 "kind": "labour_claim"})
    assert matter.status_code == 201, matter.text
    m = matter.json()["id"]
    hearing = as_lawyer("POST", f"/matters/{m}/hearings", json={
        "starts_at": HEARING_AT.isoformat(),
        "ends_at": (HEARING_AT + timedelta(hours=2)).isoformat(),
        "hearing_type": "main_trial", "court": "Sąd Rejonowy w Lublinie",
        "interpreter_needed": True, "interpreter_language": "vi"})
    assert hearing.status_code == 201, hearing.text
    week = as_lawyer("GET", "/hearings", params={"mine": "true",
                                                 "week_of": HEARING_AT.date().isoformat()})
    assert [h["hearing_id"] for h in week.json()["items"]] == [hearing.json()["id"]]

    # Two sessions for one member of staff at overlapping times: the second is refused.
    first = as_lawyer("POST", f"/matters/{m}/sessions", json={
        "kind": "witness_preparation", "staff_id": STAFF,
        "starts_at": (HEARING_AT - timedelta(days=2)).isoformat(),
        "ends_at": (HEARING_AT - timedelta(days=2, hours=-2)).isoformat()})
    assert first.status_code == 201, first.text
    second = as_lawyer("POST", f"/matters/{m}/sessions", json={
        "kind": "witness_preparation", "staff_id": STAFF,
        "starts_at": (HEARING_AT - timedelta(days=2, hours=-1)).isoformat(),
        "ends_at": (HEARING_AT - timedelta(days=2, hours=-3)).isoformat()})
    assert second.status_code == 422 and first.json()["id"] in second.json()["message"]

    # A share with no consent, a share by the wrong role, a letter asking for an address.
    share = {"recipient_type": "labour_inspection", "recipient": "pip-lublin",
             "document": "payslips"}
    refused = as_lawyer("POST", f"/matters/{m}/disclosures", json=share)
    assert refused.status_code == 422 and refused.json()["code"] == "RULE_VIOLATED"
    assert api.call("POST", f"/api/v1/legal/matters/{m}/disclosures", roles=("auditor",),
                    json=share).status_code == 403
    letter = as_lawyer("POST", f"/matters/{m}/letters", json={
        "template": "wage_claim", "recipient_type": "employer", "recipient": "farm-1",
        "shelter_address": "ul. Cicha 5"})
    assert letter.status_code == 400 and "shelter_address" in letter.json()["errors"]

    consent = api.call("POST", f"/api/v1/cases/{case['id']}/consents",
                       token=api.token(*CASEWORKER, user="cw-1"),
                       json={"purpose": "share_with_labour_inspection", "decision": "granted"})
    assert consent.status_code == 200, consent.text
    shared = as_lawyer("POST", f"/matters/{m}/disclosures", json=share)
    assert shared.status_code == 201, shared.text
    assert shared.json()["consent"]["purpose"] == "share_with_labour_inspection"
