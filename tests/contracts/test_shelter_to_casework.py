"""The shelters publish what became of a placement (held, expired, cancelled, admitted,
moved, discharged, declined, linked to a case); casework records it on the case.
Everything the shelters' contracts allow, casework accepts: a case never loses track of
where its person is lodged because the two disagree."""

from __future__ import annotations

from itertools import count

import pytest
from eventsourcing.persistence import Tracking
from hypothesis import strategies as st

from services.casework.application import Casework
from services.casework.domain.placements import CasePlacements, placements_id
from services.casework.service import CaseworkService
from services.shelter import contracts as shelter
from shared.audit import CommandContext
from tests.contracts.payloads import envelope_of, first_refused

SUPERVISOR = CommandContext(actor_id="sup-1", actor_role="supervisor", command="test")
CONSUMED = [shelter.PLACEMENT_HELD, shelter.HOLD_EXPIRED, shelter.HOLD_CANCELLED,
            shelter.RESIDENT_ADMITTED, shelter.RESIDENT_MOVED, shelter.RESIDENT_DISCHARGED,
            shelter.PLACEMENT_DECLINED, shelter.PLACEMENT_LINKED_TO_CASE]


def test_casework_consumes_every_placement_event_it_shows():
    consumed = {getattr(CaseworkService, name).__name__ for name in dir(CaseworkService)
                if name.startswith("on_")}
    assert "record_placement_news" in consumed
    handlers = [name for name in dir(CaseworkService) if name.startswith("on_")]
    assert len([n for n in handlers if getattr(CaseworkService, n).__name__
                == "record_placement_news"]) == len(CONSUMED)


@pytest.mark.parametrize("contract", CONSUMED, ids=lambda c: c.type)
def test_casework_records_every_placement_event_the_shelters_may_publish(app_factory,
                                                                         contract):
    casework = app_factory(Casework)
    case_id = str(casework.open_case(SUPERVISOR, client={
        "given_name": "Olena", "family_name": "Kovalenko", "birth_year": 1998},
        origin_country="UA", urgency="urgent").case_id)
    delivered = count(1)

    def recorded(data: dict) -> None:
        envelope = envelope_of(contract, data, next(delivered))
        before = casework.find(CasePlacements, placements_id(case_id))
        seen = 0 if before is None else sum(len(p["history"]) for p in before.placements.values())
        casework.record_placement_news(contract.read(envelope), envelope,
                                       Tracking("shelter", envelope.notification_id))
        if data["case_id"] is not None:
            after = casework.load(CasePlacements, placements_id(case_id))
            assert sum(len(p["history"]) for p in after.placements.values()) in (seen, seen + 1)

    ours = st.sampled_from([case_id]) if contract is shelter.PLACEMENT_LINKED_TO_CASE \
        else st.sampled_from([case_id, None])
    assert first_refused(contract, recorded, case_id=ours) is None
