"""Personal data of victims never escapes in clear: not at rest outside its subject's key,
not on the broker, not in logs, bodies, metric labels or error messages.

Each test here names one confirmed leak and passes once it is mended.
"""

from __future__ import annotations

import uuid
from uuid import UUID

import pytest

from services.casework.application import Casework
from services.casework.contracts import SUBJECT_ERASED
from services.casework.tests.conftest import Clock
from services.legal.application import Legal
from services.legal.tests.conftest import (
    LAWYER,
    OTHER_LAWYER,
    T0,
    a_matter,
    case_in_casework,
    deliver,
)
from tests.dumps import needles

# Distinctive: found in a store, it can only have come from this test.
DOCKET = f"VII K {uuid.uuid4().int % 10_000}/26 Zx{uuid.uuid4().hex[:8]}"


@pytest.fixture
def casework(app_factory):
    application = app_factory(Casework)
    application.clock = Clock(T0)
    return application


@pytest.fixture
def legal(app_factory, casework):
    application = app_factory(Legal)
    application.clock = Clock(T0)
    application.ask_casework = lambda ctx, case_id, purpose, recipient: casework.may_share(
        ctx, UUID(case_id), purpose, recipient)
    return application


def _stored_states(app) -> list[bytes]:
    """Every stored record of the application's log, as its bytes are at rest."""
    return [bytes(n.state) for n in app.recorder.select_notifications(1, 100_000)]


def _holding(app, value: str) -> list[bytes]:
    forms = needles(value)
    return [state for state in _stored_states(app)
            if any(form in state.lower() for form in forms)]


def test_a_matters_docket_number_is_not_stored_in_clear_and_goes_with_the_erasure(
        legal, casework):
    """A docket number leads to court records naming the client (legal/views.py says so):
    it is personal data, so it must be sealed under the case's key like the caption, and
    an erasure must leave nothing of it in the event store (a backup included)."""
    case_id = case_in_casework(legal, casework)
    matter_id = UUID(a_matter(legal, case_id))
    legal.update_matter(LAWYER, matter_id, docket_number=DOCKET, court="Sad Okregowy")
    deliver(legal, SUBJECT_ERASED, Legal.erase_erased_cases, {
        "client_id": str(uuid.uuid4()), "subject_ids": [str(uuid.uuid4())],
        "case_ids": [case_id], "contact_ids": [], "erased_at": T0})
    assert legal.get_matter(LAWYER, matter_id)["erased"]
    leaked = _holding(legal, DOCKET)
    assert leaked == [], (f"{len(leaked)} stored record(s) of legal's event store still hold"
                          f" the erased client's docket number in clear")


def test_a_matters_docket_number_is_withheld_from_a_reader_without_access(legal, casework):
    """Another lawyer (not the matter's, no need to know) gets the matter without its
    personal data: without the caption -- and without the docket number either."""
    case_id = case_in_casework(legal, casework)
    matter_id = UUID(a_matter(legal, case_id))
    legal.update_matter(LAWYER, matter_id, docket_number=DOCKET, caption="Client v. Farm")
    detail = legal.get_matter(OTHER_LAWYER, matter_id, purpose="legal_proceedings")
    assert "caption" not in detail  # withheld: the reader has no access
    assert detail.get("docket_number") is None, \
        "the docket number is given to a reader the need-to-know table refuses"
