"""What the shelter service publishes on `shelter.events`: each integration event's payload,
versioned. Consumers import these contracts (casework: the outcome of its requests;
notifications: a shelter full or without an isolation room, a placement waiting too long,
a security incident); they never re-declare them.

Payloads are allowlists of ids, codes, counts and times. A shelter's address is never a
field here, nor the name a resident goes by, nor an incident's note: what is not declared
never reaches the broker. `stay_id` is, for a placement casework asked for, its
`request_id`; `case_id` is null for a night intake not yet linked to a case.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from services.shelter import vocabulary as v
from shared import fields as f
from shared.contracts import Contracts

published = Contracts("shelter")


def _stay(**payload: Any) -> dict[str, Any]:
    """A stay's event: `version` orders one stay's events for a consumer that receives them
    out of order (a queue per event type)."""
    return {"stay_id": fields.UUID(), "case_id": fields.UUID(allow_none=True), **payload,
            "version": f.version()}


def _count() -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=0, max=10_000))


def _code() -> fields.String:
    return fields.String(validate=validate.Regexp(v.SHELTER_CODE))


# -- a person's placement (casework follows these) ------------------------------------------
PLACEMENT_HELD = published("PlacementHeld", 1, "stay_id", **_stay(
    shelter_id=fields.UUID(), shelter_code=_code(), held_at=f.when(), expires_at=f.when()))
HOLD_EXPIRED = published("HoldExpired", 1, "stay_id", **_stay(
    shelter_id=fields.UUID(), shelter_code=_code(), expired_at=f.when()))
HOLD_CANCELLED = published("HoldCancelled", 1, "stay_id", **_stay(
    shelter_id=fields.UUID(), shelter_code=_code(), cancelled_at=f.when(),
    reason=f.code(v.HoldCancelReason)))
RESIDENT_ADMITTED = published("ResidentAdmitted", 1, "stay_id", **_stay(
    shelter_id=fields.UUID(), shelter_code=_code(), admitted_at=f.when(),
    isolated=fields.Boolean()))
RESIDENT_MOVED = published("ResidentMoved", 1, "stay_id", **_stay(
    from_shelter_id=fields.UUID(), shelter_id=fields.UUID(), shelter_code=_code(),
    moved_at=f.when(), reason=f.code(v.MoveReason)))
RESIDENT_DISCHARGED = published("ResidentDischarged", 1, "stay_id", **_stay(
    shelter_id=fields.UUID(), shelter_code=_code(), discharged_at=f.when(),
    reason=f.code(v.DischargeReason)))
PLACEMENT_DECLINED = published("PlacementDeclined", 1, "stay_id", **_stay(
    declined_at=f.when(), reason=f.code(v.DeclineReason)))
PLACEMENT_LINKED_TO_CASE = published("PlacementLinkedToCase", 1, "stay_id", **{
    **_stay(status=f.code(v.StayStatus), shelter_id=fields.UUID(allow_none=True),
            linked_at=f.when()), "case_id": fields.UUID()})
PLACEMENT_WAITING_LONG = published(  # on the waiting list for over two hours, once a spell
    "PlacementWaitingLong", 1, "stay_id", **_stay(waiting_since=f.when(), noticed_at=f.when()))

# -- a shelter (notifications and dashboards follow these) ----------------------------------
SHELTER_REGISTERED = published("ShelterRegistered", 1, "shelter_id", shelter_id=fields.UUID(),
                               code=_code(), registered_at=f.when(), version=f.version())
AVAILABILITY_CHANGED = published(  # "no bed free", "no isolation room free", closed
    "AvailabilityChanged", 1, "shelter_id", shelter_id=fields.UUID(),
    code=_code(), beds_in_service=_count(), beds_free=_count(),
    isolation_rooms_free=_count(), open=fields.Boolean(), changed_at=f.when(),
    version=f.version())
SECURITY_INCIDENT_REPORTED = published(
    "SecurityIncidentReported", 1, "shelter_id", shelter_id=fields.UUID(),
    incident_id=fields.UUID(), kind=f.code(v.IncidentKind), severity=f.code(v.Severity),
    occurred_at=f.when())
LOCATION_COMPROMISED = published(  # the shelter is closed; everyone in it is to be moved
    "LocationCompromised", 1, "shelter_id", shelter_id=fields.UUID(), incident_id=fields.UUID(),
    closed_at=f.when(), residents_to_move=_count())
RELOCATION_COMPLETED = published("RelocationCompleted", 1, "shelter_id",
                                 shelter_id=fields.UUID(), completed_at=f.when())
SHELTER_CLEARED = published("ShelterCleared", 1, "shelter_id", shelter_id=fields.UUID(),
                            cleared_at=f.when(), not_relocated=_count())
