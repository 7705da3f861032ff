"""`haven audit history KC-...` shows a case's legal work beside its casework: matters,
hearings, sessions, letters and disclosures carry `case_id`, so the auditors' timeline finds
them (shared/audit_trail/links.py) -- and nothing of another case, nothing in clear."""

from __future__ import annotations

import json
from datetime import timedelta
from uuid import UUID

import pytest

from services.casework.application import Casework
from services.legal.application import Legal
from services.legal.tests.conftest import (
    CASEWORKER,
    LAWYER,
    SUPERVISOR,
    T0,
    a_hearing,
    a_matter,
    case_in_casework,
)
from shared.config import Settings
from tests.audit.tampering import cli


@pytest.fixture
def stores():
    """casework and legal on the run's own stores, as the audit tools find them."""
    cfg = Settings.from_env()
    casework, legal = Casework(cfg), Legal(cfg)
    legal.ask_casework = lambda ctx, case_id, purpose, recipient: casework.may_share(
        ctx, UUID(case_id), purpose, recipient)
    yield casework, legal
    legal.close()
    casework.close()


def test_the_case_history_includes_its_matters_hearings_and_disclosures(stores):
    casework, legal = stores
    case_id = case_in_casework(legal, casework)
    other_case = case_in_casework(legal, casework)
    matter = a_matter(legal, case_id)
    a_matter(legal, other_case)  # another case's matter stays out
    hearing = a_hearing(legal, matter, T0 + timedelta(days=30))
    legal.schedule_session(CASEWORKER, UUID(matter), "witness_preparation", "cw-1",
                           starts_at=T0 + timedelta(days=29),
                           ends_at=T0 + timedelta(days=29, hours=2))
    casework.record_consent(SUPERVISOR, UUID(case_id), "share_with_prosecutor", "any",
                            "granted")
    legal.share_with_authority(LAWYER, UUID(matter), recipient_type="prosecutor",
                               recipient="prosecutor-lodz", document="medical opinion")
    legal.draft_letter(LAWYER, UUID(matter), "protective_measures_request", "court", "court-1",
                       hearing_id=UUID(hearing), client_name="Olena Kovalenko")
    reference = legal.case_record(case_id).reference

    result = cli("history", reference, "--format", "json")
    assert result.exit_code == 0, result.output
    history = json.loads(result.output)
    legal_lines = [(e["event"], e["link"]) for e in history["events"]
                   if e["service"] == "legal"]
    events = {event for event, _ in legal_lines}
    assert {"MatterOpened", "HearingScheduled", "SessionScheduled", "DisclosurePrepared",
            "DisclosureMade", "LetterDrafted", "SlotBooked"} <= events
    assert {e["service"] for e in history["events"]} >= {"casework", "legal"}
    assert other_case not in result.output
    assert "Kovalenko" not in result.output and "medical opinion" not in result.output
