"""What intake accepts and answers over RPC.

Inputs reject unknown fields (marshmallow's default RAISE), so a misspelt field is an
error the caller sees, not a value silently dropped. Fields are built from shared.fields,
the same definitions the published contracts (contracts.py) use, so what intake accepts
it can publish, and what it publishes its consumers accept.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.intake import vocabulary as v
from shared import fields as f
from shared.schemas import MonthQuery, PageAnswer, PageQuery, counts
from shared.vocabulary import AccessPurpose

STATUSES = ("open", "closed")
MAX_COVERAGE_DAYS = 93  # a quarter: bounds the work one coverage query may ask for


class _Ordered(Schema):
    """`to` after `from`, for the inputs that take a range."""

    @validates_schema
    def _range_is_ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end <= start:
            raise ValidationError("must be after 'from'", "to")


# -- RPC inputs ----------------------------------------------------------------
class LogContactSchema(Schema):
    channel = f.code(v.Channel, required=True)
    direction = f.code(v.Direction, load_default=v.Direction.INBOUND.value)
    started_at = f.when(f.HAPPENED, load_default=None)  # None: now
    ended_at = f.when(f.HAPPENED, load_default=None)
    language = f.language(required=True)
    interpreter_used = fields.Boolean(load_default=False)
    caller_type = f.code(v.CallerType, required=True)
    topic = f.code(v.Topic, required=True)
    urgency = f.code(v.Urgency, required=True)
    summary = f.text(20_000, load_default=None)
    callback_contact = f.text(500, load_default=None)


class ContactIdSchema(Schema):
    contact_id = fields.UUID(required=True)


class ListContactsSchema(_Ordered, PageQuery):
    date_from = f.when(f.PERIOD, data_key="from", load_default=None)
    date_to = f.when(f.PERIOD, data_key="to", load_default=None)
    channel = f.code(v.Channel, load_default=None)
    topic = f.code(v.Topic, load_default=None)
    language = f.language(load_default=None)
    urgency = f.code(v.Urgency, load_default=None)
    status = fields.String(validate=validate.OneOf(STATUSES), load_default=None)


class ScreenContactSchema(ContactIdSchema):
    indicators = f.codes(v.Indicator, load_default=list)
    assessment = f.code(v.Assessment, required=True)
    screened_at = f.when(f.HAPPENED, load_default=None)


class CloseContactSchema(ContactIdSchema):
    outcome = f.code(v.Outcome, required=True)
    ended_at = f.when(f.HAPPENED, load_default=None)  # None: as logged, else now


class ReferToCaseworkSchema(ContactIdSchema):
    person = fields.Nested(f.PersonSchema, required=True)
    birth_year = f.birth_year(load_default=None)
    gender = f.code(v.Gender, load_default=v.Gender.UNKNOWN.value)
    citizenship = f.country(load_default=None)
    languages = f.languages(load_default=list)
    exploitation_types = f.codes(v.Exploitation, load_default=list)
    urgency = f.code(v.Urgency, load_default=None)  # None: the contact's urgency
    referred_at = f.when(f.HAPPENED, load_default=None)


class GetContactSchema(ContactIdSchema):
    purpose = f.code(AccessPurpose, load_default="case_work")  # logged with the read


class LinkToCaseSchema(ContactIdSchema):
    case_id = fields.UUID(required=True)  # a case casework opened


class RecordMissedCallSchema(Schema):
    channel = f.code(v.Channel, load_default=v.Channel.PHONE.value)
    missed_at = f.when(f.HAPPENED, load_default=None)
    callback_contact = f.text(500, load_default=None)


class CompleteCallbackSchema(Schema):
    missed_call_id = fields.UUID(required=True)
    contact_id = fields.UUID(required=True)
    done_at = f.when(f.HAPPENED, load_default=None)


class PendingCallbacksSchema(Schema):
    limit = fields.Integer(validate=validate.Range(min=1, max=f.MAX_PAGE_SIZE), load_default=100)


class StartShiftSchema(Schema):
    operator_id = f.staff(load_default=None)  # None: the caller; others: supervisors only
    started_at = f.when(f.HAPPENED, load_default=None)


class EndShiftSchema(Schema):
    shift_id = fields.UUID(required=True)
    ended_at = f.when(f.HAPPENED, load_default=None)


class OnDutySchema(Schema):
    at = f.when(f.PERIOD, load_default=None)


class CoverageSchema(_Ordered):
    date_from = f.when(f.PERIOD, data_key="from", required=True)
    date_to = f.when(f.PERIOD, data_key="to", required=True)

    @validates_schema
    def _bounded(self, data: dict[str, Any], **kwargs: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and (end - start).days > MAX_COVERAGE_DAYS:
            raise ValidationError(f"at most {MAX_COVERAGE_DAYS} days after 'from'", "to")


class HelplineStatsSchema(MonthQuery):
    """The helpline's figures for the month."""


# -- RPC outputs ---------------------------------------------------------------
# Outputs are plain dicts built by the application and the read models; these
# schemas are the contract the gateway's OpenAPI document is generated from.
class ContactRefSchema(Schema):
    contact_id = fields.String()


class ContactRowSchema(Schema):
    """One line of the contact log: codes and times, never the conversation."""

    contact_id = fields.String()
    channel, direction = fields.String(), fields.String()
    started_at, ended_at = f.when(), f.when(allow_none=True)
    duration_seconds = fields.Integer(allow_none=True)
    language, interpreter_used = fields.String(), fields.Boolean()
    caller_type, topic, urgency = fields.String(), fields.String(), fields.String()
    operator_id, status = fields.String(), fields.String()
    outcome, assessment = fields.String(allow_none=True), fields.String(allow_none=True)
    referred = fields.Boolean()
    case_id, case_reference = fields.String(allow_none=True), fields.String(allow_none=True)


class ContactPageSchema(PageAnswer):
    items = fields.List(fields.Nested(ContactRowSchema))


class ScreeningSchema(Schema):
    indicators = fields.List(fields.String())
    assessment = fields.String()
    screened_at = f.when()


class ReferralSchema(Schema):
    person_subject_id = fields.String()
    person = fields.Raw()  # unsealed for the reader, or "[erased]"
    birth_year = fields.Integer(allow_none=True)
    gender, citizenship = fields.String(), fields.String(allow_none=True)
    languages = fields.List(fields.String())
    exploitation_types = fields.List(fields.String())
    urgency, referred_at = fields.String(), f.when()


class ContactDetailSchema(ContactRowSchema):
    summary = fields.String(allow_none=True)
    callback_contact = fields.String(allow_none=True)
    screening = fields.Nested(ScreeningSchema, allow_none=True)
    referral = fields.Nested(ReferralSchema, allow_none=True)
    personal_data = fields.String()  # included, or withheld (summary, number, person)
    personal_data_note = fields.String(allow_none=True)  # why withheld: the relation missing


class CaseLinkSchema(Schema):
    contact_id, case_id = fields.String(), fields.String()
    case_reference = fields.String(allow_none=True)


class ReferralResultSchema(Schema):
    contact_id = fields.String()
    person_subject_id = fields.String()


class MissedCallRefSchema(Schema):
    missed_call_id = fields.String()


class PendingCallbackSchema(Schema):
    missed_call_id, channel = fields.String(), fields.String()
    missed_at = f.when()
    callback_contact = fields.String(allow_none=True)


class PendingCallbacksResultSchema(Schema):
    items = fields.List(fields.Nested(PendingCallbackSchema))
    personal_data_note = fields.String()  # when the numbers are withheld: why


class ShiftRefSchema(Schema):
    shift_id = fields.String()


class OnDutyShiftSchema(Schema):
    shift_id, operator_id = fields.String(), fields.String()
    started_at, ended_at = f.when(), f.when(allow_none=True)


class OnDutyResultSchema(Schema):
    at = f.when()
    on_duty = fields.List(fields.Nested(OnDutyShiftSchema))
    covered = fields.Boolean()


class GapSchema(Schema):
    start, end = f.when(), f.when()
    seconds = fields.Integer()


class CoverageResultSchema(Schema):
    date_from = f.when(f.PERIOD, data_key="from")
    date_to = f.when(f.PERIOD, data_key="to")
    covered_seconds = fields.Integer()
    gaps = fields.List(fields.Nested(GapSchema))


class HelplineStatsResultSchema(Schema):
    month = fields.String()
    contacts = fields.Integer()
    by_channel = counts()
    by_topic = counts()
    by_language = counts()
    by_outcome = counts()
    missed_calls = fields.Integer()
    callbacks_done = fields.Integer()
