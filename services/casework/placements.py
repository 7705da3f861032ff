"""The shelters' answers to casework's requests, shown on the case: casework consumes the
shelter service's placement events (one policy for all of them) and answers where a case's
person is lodged. Shelter ids and codes only; the address is the shelter service's to give,
to the caseworker it trusts with it.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from marshmallow import Schema, fields

from services.casework.domain import Case
from services.casework.domain.placements import CasePlacements, placements_id
from services.casework.store import CaseworkStore
from shared import fields as f
from shared.audit import CommandContext
from shared.consumers import policy_context
from shared.errors import Forbidden
from shared.messaging import Envelope

log = logging.getLogger(__name__)
Fields = dict[str, Any]

# The shelter event -> (its time field, the placement's standing after it).
NEWS = {"PlacementHeld": ("held_at", "held"), "HoldExpired": ("expired_at", "waiting"),
        "HoldCancelled": ("cancelled_at", "waiting"),
        "ResidentAdmitted": ("admitted_at", "resident"),
        "ResidentMoved": ("moved_at", "resident"),
        "ResidentDischarged": ("discharged_at", "discharged"),
        "PlacementDeclined": ("declined_at", "declined"),
        "PlacementLinkedToCase": ("linked_at", None)}  # None: the status it carries


class Placements(CaseworkStore):
    def record_placement_news(self, data: Fields, envelope: Envelope,
                              tracking: Tracking) -> None:
        """Policy for the shelters' placement events about one of our cases."""
        if data["case_id"] is None:
            return  # a night intake not (yet) linked to a case
        case_id = str(data["case_id"])
        if self.find(Case, case_id, sealed=True) is None:
            log.warning("shelter news %s:%s names no case here", envelope.source,
                        envelope.notification_id)
            return
        time_field, status = NEWS[envelope.type]

        def attempt() -> None:
            found = self.find(CasePlacements, placements_id(case_id)) \
                or CasePlacements(case_id=case_id)
            found.record(stay_id=str(data["stay_id"]), news=envelope.type,
                         status=status or data["status"], version=data["version"],
                         at=data[time_field], shelter_id=_text(data.get("shelter_id")),
                         shelter_code=data.get("shelter_code"), reason=data.get("reason"))
            self.save(found, ctx=policy_context(envelope, self.name, "record_placement_news"),
                      tracking=tracking)

        self.retrying(attempt, tracking)

    def case_placements(self, ctx: CommandContext, case_id: UUID) -> Fields:
        """The case's placements, latest standing first-class, each with its history."""
        case = self.load(Case, case_id, sealed=True)
        # Where the person is lodged is what a trafficker looks for: a caseworker who took
        # the case, or was handed it, learns it once a supervisor has confirmed them.
        if ctx.actor_role == "caseworker" and (ctx.actor_id != case.caseworker_id
                                               or case.assignment_pending):
            raise Forbidden("only the case's caseworker (once a supervisor confirmed them),"
                            " supervisors and auditors may")
        found = self.find(CasePlacements, placements_id(case_id))
        items = [] if found is None else sorted(
            found.placements.values(), key=lambda p: p["history"][0]["at"], reverse=True)
        return {"case_id": str(case.id), "items": items}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


# -- RPC input and answer (the case's placements) ----------------------------------------
class CasePlacementsSchema(Schema):
    case_id = fields.UUID(required=True)


class PlacementNewsSchema(Schema):
    news, status, reason = fields.String(), fields.String(), fields.String(allow_none=True)
    shelter_id, shelter_code = fields.String(allow_none=True), fields.String(allow_none=True)
    at, version = f.when(), fields.Integer()


class PlacementSchema(Schema):
    stay_id, status = fields.String(), fields.String()
    shelter_id, shelter_code = fields.String(allow_none=True), fields.String(allow_none=True)
    since = f.when()
    history = fields.List(fields.Nested(PlacementNewsSchema))


class CasePlacementsResultSchema(Schema):
    case_id = fields.String()
    items = fields.List(fields.Nested(PlacementSchema))
