"""What intake accepts and answers over RPC, and what it publishes (versioned).

Inputs reject unknown fields (marshmallow's default RAISE), so a misspelt field
is an error the caller sees, not a value silently dropped. Integration-event
payload schemas are allowlists: a field not declared here never reaches the
broker, which is how `summary` and `callback_contact` stay off it.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.intake.vocabulary import (
    COUNTRY_CODE,
    LANGUAGE_CODE,
    Assessment,
    CallerType,
    Channel,
    Direction,
    Exploitation,
    Gender,
    Indicator,
    Outcome,
    Topic,
    Urgency,
    values,
)

STATUSES = ("open", "closed")
MAX_PAGE_SIZE = 200
MAX_COVERAGE_DAYS = 93  # a quarter: bounds the work one coverage query may ask for


def _code(vocabulary: Any, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(values(vocabulary)), **kwargs)


def _language(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(LANGUAGE_CODE, error="not an ISO 639-1 code"),
                         **kwargs)


def _when(**kwargs: Any) -> fields.AwareDateTime:
    return fields.AwareDateTime(**kwargs)


def _text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


class _Ordered(Schema):
    """`to` after `from`, for the inputs that take a range."""

    @validates_schema
    def _range_is_ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end <= start:
            raise ValidationError("must be after 'from'", "to")


# -- RPC inputs ----------------------------------------------------------------
class LogContactSchema(Schema):
    channel = _code(Channel, required=True)
    direction = _code(Direction, load_default=Direction.INBOUND.value)
    started_at = _when(load_default=None)  # None: now
    ended_at = _when(load_default=None)
    language = _language(required=True)
    interpreter_used = fields.Boolean(load_default=False)
    caller_type = _code(CallerType, required=True)
    topic = _code(Topic, required=True)
    urgency = _code(Urgency, required=True)
    summary = _text(20_000, load_default=None)
    callback_contact = _text(500, load_default=None)


class ContactIdSchema(Schema):
    contact_id = fields.UUID(required=True)


class ListContactsSchema(_Ordered):
    date_from = _when(data_key="from", load_default=None)
    date_to = _when(data_key="to", load_default=None)
    channel = _code(Channel, load_default=None)
    topic = _code(Topic, load_default=None)
    language = _language(load_default=None)
    urgency = _code(Urgency, load_default=None)
    status = fields.String(validate=validate.OneOf(STATUSES), load_default=None)
    page = fields.Integer(validate=validate.Range(min=1, max=100_000), load_default=1)
    page_size = fields.Integer(validate=validate.Range(min=1, max=MAX_PAGE_SIZE),
                               load_default=50)


class ScreenContactSchema(ContactIdSchema):
    indicators = fields.List(_code(Indicator), load_default=list)
    assessment = _code(Assessment, required=True)
    screened_at = _when(load_default=None)


class CloseContactSchema(ContactIdSchema):
    outcome = _code(Outcome, required=True)
    ended_at = _when(load_default=None)  # None: as logged, else now


class PersonSchema(Schema):
    """The referred person (all personal data: sealed under a new subject id)."""

    given_name = _text(200, required=True)
    family_name = _text(200, required=True)
    other_names = _text(500, load_default=None)
    birth_date = fields.Date(load_default=None)
    phone = _text(100, load_default=None)
    email = fields.Email(load_default=None)
    address = _text(1000, load_default=None)


class ReferToCaseworkSchema(ContactIdSchema):
    person = fields.Nested(PersonSchema, required=True)
    birth_year = fields.Integer(validate=validate.Range(min=1900, max=2100), load_default=None)
    gender = _code(Gender, load_default=Gender.UNKNOWN.value)
    citizenship = fields.String(validate=validate.Regexp(COUNTRY_CODE,
                                error="not an ISO 3166-1 alpha-2 code"), load_default=None)
    languages = fields.List(_language(), load_default=list)
    exploitation_types = fields.List(_code(Exploitation), load_default=list)
    urgency = _code(Urgency, load_default=None)  # None: the contact's urgency
    referred_at = _when(load_default=None)


class LinkToCaseSchema(ContactIdSchema):
    case_id = _text(100, required=True)
    case_reference = _text(50, load_default=None)


class RecordMissedCallSchema(Schema):
    channel = _code(Channel, load_default=Channel.PHONE.value)
    missed_at = _when(load_default=None)
    callback_contact = _text(500, load_default=None)


class CompleteCallbackSchema(Schema):
    missed_call_id = fields.UUID(required=True)
    contact_id = fields.UUID(required=True)
    done_at = _when(load_default=None)


class PendingCallbacksSchema(Schema):
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_PAGE_SIZE), load_default=100)


class StartShiftSchema(Schema):
    operator_id = _text(100, load_default=None)  # None: the caller; others: supervisors only
    started_at = _when(load_default=None)


class EndShiftSchema(Schema):
    shift_id = fields.UUID(required=True)
    ended_at = _when(load_default=None)


class OnDutySchema(Schema):
    at = _when(load_default=None)


class CoverageSchema(_Ordered):
    date_from = _when(data_key="from", required=True)
    date_to = _when(data_key="to", required=True)

    @validates_schema
    def _bounded(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and (end - start).days > MAX_COVERAGE_DAYS:
            raise ValidationError(f"at most {MAX_COVERAGE_DAYS} days after 'from'", "to")


class HelplineStatsSchema(Schema):
    month = fields.String(required=True, validate=validate.Regexp(
        r"^(19|20)\d{2}-(0[1-9]|1[0-2])$", error="must be YYYY-MM"))


# -- RPC outputs ---------------------------------------------------------------
# Outputs are plain dicts built by the application and the read models; these
# schemas are the contract the gateway's OpenAPI document is generated from.
class ContactRefSchema(Schema):
    contact_id = fields.String()


class ContactRowSchema(Schema):
    """One line of the contact log: codes and times, never the conversation."""

    contact_id = fields.String()
    channel, direction = fields.String(), fields.String()
    started_at, ended_at = _when(), _when(allow_none=True)
    duration_seconds = fields.Integer(allow_none=True)
    language, interpreter_used = fields.String(), fields.Boolean()
    caller_type, topic, urgency = fields.String(), fields.String(), fields.String()
    operator_id, status = fields.String(), fields.String()
    outcome, assessment = fields.String(allow_none=True), fields.String(allow_none=True)
    referred = fields.Boolean()
    case_id, case_reference = fields.String(allow_none=True), fields.String(allow_none=True)


class ContactPageSchema(Schema):
    items = fields.List(fields.Nested(ContactRowSchema))
    total, page, page_size = fields.Integer(), fields.Integer(), fields.Integer()


class ScreeningSchema(Schema):
    indicators = fields.List(fields.String())
    assessment = fields.String()
    screened_at = _when()


class ReferralSchema(Schema):
    person_subject_id = fields.String()
    person = fields.Raw()  # unsealed for the reader, or "[erased]"
    birth_year = fields.Integer(allow_none=True)
    gender, citizenship = fields.String(), fields.String(allow_none=True)
    languages = fields.List(fields.String())
    exploitation_types = fields.List(fields.String())
    urgency, referred_at = fields.String(), _when()


class ContactDetailSchema(ContactRowSchema):
    summary = fields.String(allow_none=True)
    callback_contact = fields.String(allow_none=True)
    screening = fields.Nested(ScreeningSchema, allow_none=True)
    referral = fields.Nested(ReferralSchema, allow_none=True)


class ReferralResultSchema(Schema):
    contact_id = fields.String()
    person_subject_id = fields.String()


class MissedCallRefSchema(Schema):
    missed_call_id = fields.String()


class PendingCallbackSchema(Schema):
    missed_call_id, channel = fields.String(), fields.String()
    missed_at = _when()
    callback_contact = fields.String(allow_none=True)


class PendingCallbacksResultSchema(Schema):
    items = fields.List(fields.Nested(PendingCallbackSchema))


class ShiftRefSchema(Schema):
    shift_id = fields.String()


class OnDutyShiftSchema(Schema):
    shift_id, operator_id = fields.String(), fields.String()
    started_at, ended_at = _when(), _when(allow_none=True)


class OnDutyResultSchema(Schema):
    at = _when()
    on_duty = fields.List(fields.Nested(OnDutyShiftSchema))
    covered = fields.Boolean()


class GapSchema(Schema):
    start, end = _when(), _when()
    seconds = fields.Integer()


class CoverageResultSchema(Schema):
    date_from = _when(data_key="from")
    date_to = _when(data_key="to")
    covered_seconds = fields.Integer()
    gaps = fields.List(fields.Nested(GapSchema))


class HelplineStatsResultSchema(Schema):
    month = fields.String()
    contacts = fields.Integer()
    by_channel = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_topic = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_language = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_outcome = fields.Dict(keys=fields.String(), values=fields.Integer())
    missed_calls = fields.Integer()
    callbacks_done = fields.Integer()


# -- integration events (published on intake.events) -----------------------------
# Version 1 of every payload. A breaking change adds a V2 schema and publishes
# it under a new version number; consumers read `version` from the envelope.
class ContactLoggedV1(Schema):
    contact_id, channel, direction = fields.String(), fields.String(), fields.String()
    started_at, ended_at = _when(), _when(allow_none=True)
    language, interpreter_used = fields.String(), fields.Boolean()
    caller_type, topic, urgency = fields.String(), fields.String(), fields.String()
    operator_id = fields.String()


class ContactScreenedV1(Schema):
    contact_id = fields.String()
    indicators = fields.List(fields.String())
    assessment, screened_at = fields.String(), _when()


class ContactClosedV1(Schema):
    contact_id, outcome, ended_at = fields.String(), fields.String(), _when()


class CallMissedV1(Schema):
    missed_call_id, channel, missed_at = fields.String(), fields.String(), _when()
    has_callback_contact = fields.Boolean()  # whether a callback is possible, not the number


class CallbackDoneV1(Schema):
    missed_call_id, contact_id, done_at = fields.String(), fields.String(), _when()


class ReferredToCaseworkV1(Schema):
    contact_id, person_subject_id = fields.String(), fields.String()
    person = fields.String()  # sealed ("pd1:<subject>:..."): only the key holder can read it
    blind_index = fields.String()
    birth_year = fields.Integer(allow_none=True)
    gender, citizenship = fields.String(), fields.String(allow_none=True)
    languages = fields.List(fields.String())
    exploitation_types = fields.List(fields.String())
    urgency, assessment = fields.String(), fields.String()
    indicators = fields.List(fields.String())
    referred_at = _when()


class ContactLinkedToCaseV1(Schema):
    contact_id, case_id = fields.String(), fields.String()
    case_reference = fields.String(allow_none=True)


class ShiftStartedV1(Schema):
    shift_id, operator_id, started_at = fields.String(), fields.String(), _when()


class ShiftEndedV1(Schema):
    shift_id, operator_id, ended_at = fields.String(), fields.String(), _when()


# event type -> (payload version, schema, name of the id field the originator fills)
PAYLOADS: dict[str, tuple[int, type[Schema], str]] = {
    "ContactLogged": (1, ContactLoggedV1, "contact_id"),
    "ContactScreened": (1, ContactScreenedV1, "contact_id"),
    "ContactClosed": (1, ContactClosedV1, "contact_id"),
    "CallMissed": (1, CallMissedV1, "missed_call_id"),
    "CallbackDone": (1, CallbackDoneV1, "missed_call_id"),
    "ReferredToCasework": (1, ReferredToCaseworkV1, "contact_id"),
    "ContactLinkedToCase": (1, ContactLinkedToCaseV1, "contact_id"),
    "ShiftStarted": (1, ShiftStartedV1, "shift_id"),
    "ShiftEnded": (1, ShiftEndedV1, "shift_id"),
}
