"""What legal accepts over RPC (its answers are in answers.py).

Inputs reject unknown fields (marshmallow's default RAISE), so a misspelt field is an error
the caller sees, not a value silently dropped. No input has a field called `reason`: the
shell takes that one for the audit trail. Fields come from shared.fields, the definitions
the published contracts use.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.legal import vocabulary as v
from shared import fields as f
from shared.schemas import PageQuery

MAX_RANGE_DAYS = 93  # a quarter: bounds what one listing may ask for


def _after(data: dict[str, Any], first: str, then: str, key: str) -> None:
    if data.get(first) and data.get(then) and data[then] <= data[first]:
        raise ValidationError(f"must be after {first}", key)


class _Span(Schema):
    """A booking: `ends_at` after `starts_at`."""

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        _after(data, "starts_at", "ends_at", "ends_at")


class _Range(Schema):
    """A listing over [from, to), at most a quarter long."""

    date_from = f.when(data_key="from", required=True)
    date_to = f.when(data_key="to", required=True)

    @validates_schema
    def _bounded(self, data: dict[str, Any], **kwargs: Any) -> None:
        _after(data, "date_from", "date_to", "to")
        if data.get("date_from") and data.get("date_to") and \
                (data["date_to"] - data["date_from"]).days > MAX_RANGE_DAYS:
            raise ValidationError(f"at most {MAX_RANGE_DAYS} days after 'from'", "to")


# -- matters -------------------------------------------------------------------------------
class OpenMatterSchema(Schema):
    case_id = fields.UUID(required=True)
    kind = f.code(v.MatterKind, required=True)
    standing = f.code(v.Standing, load_default=None)
    lawyer_id = f.staff(load_default=None)  # None: the lawyer opening it
    opened_at = f.when(load_default=None)


class MatterIdSchema(Schema):
    matter_id = fields.UUID(required=True)


class GetMatterSchema(MatterIdSchema):
    purpose = f.code(v.ReadPurpose, load_default=None)  # required to see personal data


class MatterChangeSchema(MatterIdSchema):
    """Every change may name the version it was decided on: a stale one is a conflict."""

    expected_version = f.version(load_default=None)


class UpdateMatterSchema(MatterChangeSchema):
    docket_number = f.text(100)
    court = f.text(200)  # or the authority deciding a residence procedure
    caption = f.text(500)  # personal data: sealed
    standing = f.code(v.Standing)
    stage = f.code(v.Stage, load_default=None)

    @validates_schema
    def _changes_something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not set(data) - {"matter_id", "expected_version", "stage"} and not data.get("stage"):
            raise ValidationError("give at least one detail or the stage", "_schema")


class AssignLawyerSchema(MatterChangeSchema):
    lawyer_id = f.staff(required=True)


class OrganiseRepresentationSchema(MatterChangeSchema):
    attorney = f.text(200, required=True)  # personal data: sealed
    representation = f.code(v.Representation, required=True)
    power_of_attorney_on = fields.Date(load_default=None)
    organised_on = fields.Date(load_default=None)  # None: today


class RecordMediationContactSchema(MatterChangeSchema):
    authority = f.code(v.Authority, required=True)
    channel = f.code(v.ContactChannel, required=True)
    contacted_at = f.when(load_default=None)
    summary = f.text(5000, load_default=None)  # personal data: sealed


class SetDeadlineSchema(MatterChangeSchema):
    kind = f.code(v.DeadlineKind, required=True)
    due_on = fields.Date(load_default=None)  # or derived from a hearing:
    hearing_id = fields.UUID(load_default=None)
    days_before = fields.Integer(validate=validate.Range(min=0, max=365), load_default=None)


class RecordDeadlineOutcomeSchema(MatterChangeSchema):
    deadline_id = fields.UUID(required=True)
    outcome = f.code(v.DeadlineOutcome, required=True)
    on = fields.Date(load_default=None)


class CloseMatterSchema(MatterChangeSchema):
    outcome = f.code(v.MatterOutcome, required=True)
    closed_at = f.when(load_default=None)


class ListMattersSchema(PageQuery):
    kind, stage = f.code(v.MatterKind, load_default=None), f.code(v.Stage, load_default=None)
    status = fields.String(validate=validate.OneOf(("open", "closed")), load_default=None)
    lawyer_id = f.staff(load_default=None)
    case_id = fields.UUID(load_default=None)


class DeadlinesDueSchema(Schema):
    until = fields.Date(load_default=None)  # None: two weeks from today
    mine = fields.Boolean(load_default=False)
    lawyer_id, caseworker_id = f.staff(load_default=None), f.staff(load_default=None)
    case_id = fields.UUID(load_default=None)


# -- hearings ------------------------------------------------------------------------------
class ScheduleHearingSchema(MatterIdSchema, _Span):
    starts_at, ends_at = f.when(required=True), f.when(required=True)
    time_zone = f.text(64, load_default=v.CENTRE_TIME_ZONE)  # the court's, for local times
    hearing_type = f.code(v.HearingType, required=True)
    court = f.text(200, required=True)
    room, judge = f.text(50, load_default=None), f.text(200, load_default=None)
    interpreter_needed = fields.Boolean(load_default=False)
    interpreter_language = f.language(load_default=None)
    accompaniment_needed = fields.Boolean(load_default=False)
    measures_requested = f.codes(v.ProtectiveMeasure, load_default=list)
    preparation_days = fields.Integer(validate=validate.Range(min=0, max=90), load_default=None)


class HearingIdSchema(Schema):
    hearing_id = fields.UUID(required=True)


class MoveHearingSchema(HearingIdSchema, _Span):
    starts_at, ends_at = f.when(required=True), f.when(required=True)
    court, room = f.text(200, load_default=None), f.text(50, load_default=None)


class CancelHearingSchema(HearingIdSchema):
    cancel_reason = f.code(v.CancelReason, required=True)


class ProtectiveMeasuresSchema(HearingIdSchema):
    requested = f.codes(v.ProtectiveMeasure, load_default=list)
    granted = f.codes(v.ProtectiveMeasure, load_default=list)
    decided_on = fields.Date(load_default=None)


class HearingOutcomeSchema(HearingIdSchema):
    outcome = f.code(v.HearingOutcome, required=True)
    recorded_at = f.when(load_default=None)


class HearingsThisWeekSchema(Schema):
    week_of_day = fields.Date(data_key="week_of", load_default=None)  # None: this week
    mine = fields.Boolean(load_default=False)  # a lawyer's matters, a caseworker's cases
    lawyer_id, caseworker_id = f.staff(load_default=None), f.staff(load_default=None)
    case_id = fields.UUID(load_default=None)
    include_cancelled = fields.Boolean(load_default=False)


# -- sessions ------------------------------------------------------------------------------
class ScheduleSessionSchema(MatterIdSchema, _Span):
    kind = f.code(v.SessionKind, required=True)
    staff_id = f.staff(required=True)
    starts_at, ends_at = f.when(load_default=None), f.when(load_default=None)
    hearing_id = fields.UUID(load_default=None)  # an accompaniment to this hearing


class SessionIdSchema(Schema):
    session_id = fields.UUID(required=True)


class MoveSessionSchema(SessionIdSchema, _Span):
    starts_at, ends_at = f.when(required=True), f.when(required=True)


class SessionDoneSchema(SessionIdSchema):
    done_at = f.when(load_default=None)
    notes = f.text(10_000, load_default=None)  # personal data: sealed


class ListSessionsSchema(_Range):
    staff_id = f.staff(load_default=None)
    kind = f.code(v.SessionKind, load_default=None)
    status = fields.String(validate=validate.OneOf(("scheduled", "done", "cancelled")),
                           load_default=None)


class StaffCalendarSchema(_Range):
    staff_id = f.staff(required=True)


# -- letters and disclosures -----------------------------------------------------------------
class DraftLetterSchema(MatterIdSchema):
    template = fields.String(required=True, validate=validate.Regexp(r"\A[a-z_]{1,64}\Z"))
    recipient_type = f.code(v.Recipient, required=True)
    recipient = f.recipient(required=True)  # the organisation's code
    languages = f.languages(load_default=list)  # the client's, in order of preference
    hearing_id = fields.UUID(load_default=None)
    paragraphs = fields.List(f.text(5000), validate=validate.Length(max=20), load_default=list)
    recipient_name = f.text(200, load_default=None)
    recipient_address = f.text(500, load_default=None)  # the authority's
    client_name = f.text(200, load_default=None)  # personal data: sealed with the letter
    signed_by = f.text(200, load_default=None)


class LetterIdSchema(Schema):
    letter_id = fields.UUID(required=True)


class GetLetterSchema(LetterIdSchema):
    purpose = f.code(v.ReadPurpose, load_default=None)  # required to see the body


class SendLetterSchema(LetterIdSchema):
    channel = f.code(v.DeliveryChannel, load_default=v.DeliveryChannel.POST.value)
    sent_on = fields.Date(load_default=None)  # to the client or employer; None: today
    purpose = f.code(v.SharePurpose, load_default=None)  # for a recipient of type other


class ShareSchema(MatterIdSchema):
    recipient_type = f.code(v.Recipient, required=True)
    recipient = f.recipient(required=True)
    document = f.text(1000, load_default=None)  # what is shared (personal data: sealed)
    letter_id = fields.UUID(load_default=None)  # or a letter of the matter
    purpose = f.code(v.SharePurpose, load_default=None)  # None: the recipient's own
    pending = fields.Boolean(load_default=False)  # prepare now, release later
    channel = f.code(v.DeliveryChannel, load_default=v.DeliveryChannel.POST.value)

    @validates_schema
    def _one_thing(self, data: dict[str, Any], **kwargs: Any) -> None:
        if (data.get("document") is None) == (data.get("letter_id") is None):
            raise ValidationError("share either a document or a letter", "document")


class DisclosureIdSchema(Schema):
    disclosure_id = fields.UUID(required=True)


class ReleaseDisclosureSchema(DisclosureIdSchema):
    channel = f.code(v.DeliveryChannel, load_default=v.DeliveryChannel.POST.value)


class ListDisclosuresSchema(Schema):
    case_id, matter_id = fields.UUID(load_default=None), fields.UUID(load_default=None)
    status = f.code(v.DisclosureStatus, load_default=None)
