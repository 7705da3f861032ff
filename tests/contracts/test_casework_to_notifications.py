"""casework -> notifications: cases opened (emergencies among them), assigned and their
assignments confirmed by a supervisor, follow-ups, reflection periods, requests for legal
help and for a shelter place, break-the-glass access, closure and erasure. Whatever
casework's contracts allow, notifications accepts."""

from __future__ import annotations

from itertools import count

from hypothesis import strategies as st

from services.casework.contracts import ASSIGNMENT_CONFIRMED, CASE_OPENED, CASEWORKER_ASSIGNED
from tests.contracts.payloads import first_refused
from tests.notifications.support import (
    accepts_everything_of,
    consumed_contracts,
    deliver,
    notifications_store,
)

CASES = st.sampled_from(["0b6d6f4e-5c55-4f6b-9b8e-6a1f3c2d1e01",
                         "1c7e7a5f-6d66-4a7c-8c9f-7b2a4d3e2f02"])  # facts about few cases

test_notifications_accepts_everything_casework_may_publish = accepts_everything_of("casework")


def test_notifications_notes_every_case_caseworker_and_confirmation_casework_may_publish(
        app_factory):
    """Who may acknowledge a case's alerts follows these three (the caseworker a
    supervisor confirmed): each is consumed, and each one casework may publish is noted."""
    consumed = consumed_contracts("casework")
    delivered = count(1)
    with notifications_store(app_factory) as app:
        for contract in (CASE_OPENED, CASEWORKER_ASSIGNED, ASSIGNMENT_CONFIRMED):
            assert contract in consumed, contract.type

            def noted(data: dict, contract=contract) -> None:
                deliver(app, contract, data, next(delivered), on_the_wire=True)
                assert app.case_file(data["case_id"]) is not None

            assert first_refused(contract, noted, case_id=CASES) is None, contract.type
