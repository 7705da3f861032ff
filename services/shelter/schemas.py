"""What the shelter service accepts and answers over RPC.

Inputs reject unknown fields (marshmallow's default RAISE). Fields come from shared.fields
and the vocabularies, the same definitions the published contracts use. Answers are
allowlists too: an address leaves only in the two fields named for it, and only when the
application put it there for a caller allowed to see it.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.shelter import vocabulary as v
from shared import fields as f
from shared.schemas import MonthQuery, counts

MAX_CENSUS_DAYS = 93  # a quarter: bounds the work one census may ask for


def _uuid(**kwargs: Any) -> fields.UUID:
    return fields.UUID(**({"load_default": None} | kwargs))


def _group(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(v.GROUP_CODE), **kwargs)


# -- RPC inputs ----------------------------------------------------------------------------
class ShelterIdSchema(Schema):
    shelter_id = fields.UUID(required=True)


class RoomIdSchema(ShelterIdSchema):
    room_id = fields.UUID(required=True)


class StayIdSchema(Schema):
    stay_id = fields.UUID(required=True)


class PurposeSchema(Schema):
    purpose = f.code(v.AccessPurpose, load_default=None)  # personal data only with a purpose


def _each_once(labels: list[str]) -> None:
    if len(set(labels)) != len(labels):
        raise ValidationError("Label each bed once: two beds of a room have the same label.")


class RoomSchema(Schema):
    name = f.text(100, required=True)
    tags = f.codes(v.RoomTag, load_default=list)
    # Each label once, as the document says (uniqueItems: marshmallow cannot say it by
    # itself); the room's own rule (domain/shelters.py) still checks it, after trimming.
    beds = fields.List(f.text(100), required=True,
                       validate=[validate.Length(min=1, max=20), _each_once],
                       metadata={"uniqueItems": True})


class RegisterShelterSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(v.SHELTER_CODE))
    name = f.text(100, required=True)
    address = f.text(1000, required=True)
    rooms = fields.List(fields.Nested(RoomSchema), load_default=list,
                        validate=validate.Length(max=50))


class AddRoomSchema(ShelterIdSchema, RoomSchema):
    pass


class RetagRoomSchema(RoomIdSchema):
    tags = f.codes(v.RoomTag, required=True)


class StaffSchema(ShelterIdSchema):
    staff_id = f.staff(required=True)


class CorrectAddressSchema(ShelterIdSchema):
    address = f.text(1000, required=True)


class OutOfServiceSchema(RoomIdSchema):
    out_of_service_reason = f.code(v.OutOfServiceReason, required=True)
    until = f.when(load_default=None)  # None: until returned to service by hand


class ProvisionSchema(StayIdSchema):
    kind = f.code(v.Provision, required=True)
    quantity = fields.Integer(validate=validate.Range(min=1, max=100), load_default=1)


class NightIntakeSchema(Schema):
    gender = f.code(v.Gender, load_default=v.Gender.UNKNOWN.value)
    referred_by = f.code(v.Referrer, required=True)
    urgency = f.code(v.Urgency, load_default=v.Urgency.EMERGENCY.value)
    known_as = f.text(200, load_default=None)  # the name they give: sealed
    police_reference = f.text(100, load_default=None)  # sealed
    isolation_reason = f.code(v.IsolationReason, load_default=None)
    isolation_max_days = fields.Integer(validate=validate.Range(min=1, max=365),
                                        load_default=None)
    isolation_review_on = fields.Date(load_default=None)
    accompanying_children = fields.Integer(validate=validate.Range(min=0, max=20),
                                           load_default=0)
    languages = f.languages(load_default=list)
    group = _group(load_default=None)


class LinkToCaseSchema(StayIdSchema):
    case_id = fields.UUID(required=True)


class PrioritiseSchema(StayIdSchema):
    priority = f.code(v.Urgency, required=True)


class HoldBedSchema(StayIdSchema):
    shelter_id, bed_id = _uuid(), _uuid()  # None: the best suitable bed
    hours = fields.Integer(validate=validate.Range(min=1, max=24), load_default=None)


class CancelHoldSchema(StayIdSchema):
    cancel_reason = f.code(v.HoldCancelReason, required=True)


class AdmitSchema(StayIdSchema):
    shelter_id, bed_id = _uuid(), _uuid()
    known_as = f.text(200, load_default=None)


class MoveSchema(StayIdSchema):
    move_reason = f.code(v.MoveReason, required=True)
    shelter_id, bed_id = _uuid(), _uuid()


class DischargeSchema(StayIdSchema):
    discharge_reason = f.code(v.DischargeReason, required=True)


class DeclineSchema(StayIdSchema):
    decline_reason = f.code(v.DeclineReason, required=True)


class KeepApartSchema(Schema):
    case_id = fields.UUID(required=True)
    other_case_id = fields.UUID(required=True)
    scope = f.code(v.Scope, load_default=v.Scope.ROOM.value)
    keep_apart_reason = f.code(v.KeepApartReason, required=True)


class CaseGroupSchema(Schema):
    case_id = fields.UUID(required=True)
    group = _group(required=True, allow_none=True)  # null: no group


class ReviewIsolationSchema(StayIdSchema):
    decision = f.code(v.IsolationDecision, required=True)
    next_review_on = fields.Date(load_default=None)


class ReportIncidentSchema(ShelterIdSchema):
    kind = f.code(v.IncidentKind, required=True)
    severity = f.code(v.Severity, required=True)
    occurred_at = f.when(load_default=None)
    stay_ids = fields.List(fields.UUID(), load_default=list, validate=validate.Length(max=50))
    note = f.text(5000, load_default=None)  # sealed; erased with the people it names


class GetShelterSchema(ShelterIdSchema, PurposeSchema):
    pass


class GetStaySchema(StayIdSchema, PurposeSchema):
    pass


class OccupancySchema(Schema):
    shelter_id = _uuid()


class WaitingListSchema(Schema):
    limit = fields.Integer(validate=validate.Range(min=1, max=f.MAX_PAGE_SIZE), load_default=200)


class CensusSchema(Schema):
    date_from = fields.Date(data_key="from", required=True)
    date_to = fields.Date(data_key="to", required=True)
    shelter_id = _uuid()

    @validates_schema
    def _bounded(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and not 0 <= (end - start).days <= MAX_CENSUS_DAYS:
            raise ValidationError(f"must be 0 to {MAX_CENSUS_DAYS} days after 'from'", "to")


class LengthOfStaySchema(MonthQuery):
    """Length-of-stay figures for the month."""


# -- RPC outputs -----------------------------------------------------------------------------
# Plain dicts built by the application and the read models; these schemas are the contract
# the gateway's OpenAPI document is generated from.
def _text() -> fields.String:
    return fields.String(allow_none=True)


def _time() -> fields.AwareDateTime:
    return f.when(allow_none=True)


class StayRefSchema(Schema):
    stay_id, status = _text(), _text()


class PlacedSchema(StayRefSchema):
    shelter_id, shelter_code, room_id, bed_id = _text(), _text(), _text(), _text()
    expires_at = _time()


class ShelterRefSchema(Schema):
    shelter_id, room_id = _text(), _text()
    rooms = fields.List(fields.String())


class IncidentResultSchema(Schema):
    incident_id, closed = fields.String(), fields.Boolean()
    to_relocate, relocated = fields.Integer(), fields.Integer()


class BreachSchema(Schema):
    shelter_id, scope = _text(), fields.String()
    stay_ids = fields.List(fields.String())


class KeepApartResultSchema(Schema):
    case_ids = fields.List(fields.String())
    breaches = fields.List(fields.Nested(BreachSchema))


class IsolationResultSchema(StayRefSchema):
    isolation = fields.Dict(allow_none=True)


class AvailabilitySchema(Schema):
    beds_in_service, beds_free = fields.Integer(), fields.Integer()
    isolation_rooms_free, open = fields.Integer(), fields.Boolean()
    relocating = fields.Boolean()


class ShelterDetailSchema(AvailabilitySchema):
    shelter_id, code, name, personal_data = _text(), _text(), _text(), _text()
    to_relocate, staff = fields.Integer(), fields.List(fields.String())
    address = _text()  # only to the shelter's staff and the caseworker of someone placed there


class StayFactsSchema(StayRefSchema):
    case_id, case_reference, source, priority, gender = (_text() for _ in range(5))
    shelter_id, shelter_code, bed_id, referred_by = (_text() for _ in range(4))
    requested_at, hold_expires_at, admitted_at, ended_at = (_time() for _ in range(4))
    needs_isolation, accompanying_children = fields.Boolean(), fields.Integer()
    isolation, isolation_ends_on = fields.Dict(allow_none=True), _text()


class StayDetailSchema(StayFactsSchema):
    personal_data, known_as, police_reference = _text(), _text(), _text()
    shelter_address = _text()  # only to the shelter's staff and the person's caseworker


class ResidentSchema(StayFactsSchema):
    room, bed, bed_id, known_as = _text(), _text(), _text(), _text()
    since, held_until = _time(), _time()


class ResidentsSchema(Schema):
    shelter_id, personal_data = _text(), _text()
    items = fields.List(fields.Nested(ResidentSchema))
    breaches = fields.List(fields.Nested(BreachSchema))


class RoomOccupancySchema(Schema):
    room_id, name, tags = _text(), _text(), fields.List(fields.String())
    beds, occupied, held, free = (fields.Integer() for _ in range(4))
    out_of_service = fields.Dict(allow_none=True)


class ShelterOccupancySchema(AvailabilitySchema):
    shelter_id, code, name = _text(), _text(), _text()
    beds, occupied, held = fields.Integer(), fields.Integer(), fields.Integer()
    isolation_rooms, rooms_out_of_service = fields.Integer(), fields.Integer()
    rooms = fields.List(fields.Nested(RoomOccupancySchema))


class OccupancyResultSchema(Schema):
    shelters = fields.List(fields.Nested(ShelterOccupancySchema))


class WaitingSchema(StayRefSchema):
    case_id, case_reference, source, urgency, gender = (_text() for _ in range(5))
    needed_from, shelter_id, isolation_reason = _text(), _text(), _text()
    requested_at, hold_expires_at = _time(), _time()
    accompanying_children, waiting_minutes = fields.Integer(), fields.Integer()
    needs_isolation, waiting_long = fields.Boolean(), fields.Boolean()


class WaitingListResultSchema(Schema):
    at = f.when()
    items = fields.List(fields.Nested(WaitingSchema))


class CensusDaySchema(Schema):
    date, bed_nights = fields.Date(), fields.Integer()
    by_shelter = counts()


class CensusResultSchema(Schema):
    date_from = fields.Date(data_key="from")
    date_to = fields.Date(data_key="to")
    bed_nights = fields.Integer()
    days = fields.List(fields.Nested(CensusDaySchema))


class LengthOfStayResultSchema(Schema):
    month, discharged, residents = fields.String(), fields.Integer(), fields.Integer()
    mean_days, median_days, max_days = (fields.Float(allow_none=True) for _ in range(3))
    mean_days_so_far, median_days_so_far, max_days_so_far = (fields.Float(allow_none=True)
                                                             for _ in range(3))
    by_reason = counts()


class DifferenceSchema(Schema):
    shelter_id, bed_id, events, read_model = _text(), _text(), _text(), _text()


class ReconcileResultSchema(Schema):
    beds_checked = fields.Integer()
    differences = fields.List(fields.Nested(DifferenceSchema))
