"""What legal answers over RPC: the contract the gateway's OpenAPI document is generated
from. Answers are plain dicts built by the application and the read models."""

from __future__ import annotations

from marshmallow import Schema, fields

from shared import fields as f

_Str, _OptStr = fields.String, lambda: fields.String(allow_none=True)
_Counts = fields.Dict(keys=fields.String(), values=fields.Integer())


class RefSchema(Schema):
    """What a change answers: the record, its version, and the id of anything it added."""

    matter_id, hearing_id, session_id = _Str(), _Str(), _Str()
    letter_id, disclosure_id = _Str(), _Str()
    version = fields.Integer()
    contact_id, deadline_id = _Str(), _Str()
    status, language, template = _Str(), _Str(), _Str()


class ClashSchema(Schema):
    id, kind = _Str(), _Str()
    starts_at, ends_at = f.when(), f.when()


class ConsentSchema(Schema):
    """The consent a disclosure relied on, as casework named it."""

    purpose, recipient = _Str(), _Str()
    decided_on, expires_on = _Str(), _OptStr()


class HearingRefSchema(RefSchema):
    calendar_conflicts = fields.List(fields.Nested(ClashSchema))  # the court sets the date
    accompaniments_cancelled = fields.List(_Str())  # their companion is busy at the new time


class DisclosureRefSchema(RefSchema):
    consent = fields.Nested(ConsentSchema)


# -- matters ---------------------------------------------------------------------------------
class DeadlineSchema(Schema):
    deadline_id, kind = _Str(), _Str()
    due_on = fields.Date()
    hearing_id, outcome = _OptStr(), _OptStr()
    days_before = fields.Integer(allow_none=True)


class MatterRowSchema(Schema):
    matter_id, case_id, kind, stage, status, source = (_Str(), _Str(), _Str(), _Str(), _Str(),
                                                        _Str())
    case_reference, standing, outcome, lawyer_id = _OptStr(), _OptStr(), _OptStr(), _OptStr()
    court = _OptStr()
    opened_at, closed_at = f.when(), f.when(allow_none=True)
    erased = fields.Boolean()


class MatterPageSchema(Schema):
    items = fields.List(fields.Nested(MatterRowSchema))
    total, page, page_size = fields.Integer(), fields.Integer(), fields.Integer()


class RepresentationSchema(Schema):
    representation = _Str()
    power_of_attorney_on, organised_on = fields.Date(allow_none=True), fields.Date()
    attorney = fields.Raw()  # personal data: only when included


class MediationContactSchema(Schema):
    contact_id, authority, channel = _Str(), _Str(), _Str()
    contacted_at = f.when()
    summary = fields.Raw(allow_none=True)  # personal data: only when included


class MatterDetailSchema(MatterRowSchema):
    version = fields.Integer()
    request_id = _OptStr()
    representation = fields.Nested(RepresentationSchema, allow_none=True)
    mediation_contacts = fields.List(fields.Nested(MediationContactSchema))
    deadlines = fields.List(fields.Nested(DeadlineSchema))
    personal_data = _Str()  # included, withheld (role or relation), not_requested (no purpose)
    caption = fields.Raw(allow_none=True)  # personal data: only when included
    docket_number = fields.Raw(allow_none=True)  # personal data: only when included


class MatterFiguresSchema(Schema):
    open = fields.Dict(keys=fields.String(), values=_Counts)  # kind -> stage -> matters
    closed = fields.Dict(keys=fields.String(), values=_Counts)  # kind -> outcome -> matters


class DeadlineRowSchema(DeadlineSchema):
    matter_id, case_id, matter_kind = _Str(), _Str(), _Str()
    case_reference, lawyer_id = _OptStr(), _OptStr()
    overdue = fields.Boolean()


class DeadlineListSchema(Schema):
    items = fields.List(fields.Nested(DeadlineRowSchema))


# -- hearings and sessions -----------------------------------------------------------------------
class HearingSchema(Schema):
    hearing_id, matter_id, case_id = _Str(), _Str(), _Str()
    starts_at, ends_at = f.when(), f.when()
    time_zone, hearing_type, court, status = _Str(), _Str(), _Str(), _Str()
    room, judge, lawyer_id, outcome = _OptStr(), _OptStr(), _OptStr(), _OptStr()
    interpreter_needed, accompaniment_needed = fields.Boolean(), fields.Boolean()
    interpreter_language = _OptStr()
    measures_requested = fields.List(_Str())
    measures_granted = fields.List(_Str())


class HearingDetailSchema(HearingSchema):
    version = fields.Integer()
    accompanied_by = fields.List(_Str())


class HearingRowSchema(HearingSchema):
    matter_kind = _Str()
    case_reference, caseworker_id = _OptStr(), _OptStr()
    companions = fields.Integer()


class HearingWeekSchema(Schema):
    date_from = f.when(data_key="from")
    date_to = f.when(data_key="to")
    items = fields.List(fields.Nested(HearingRowSchema))


class SessionRowSchema(Schema):
    session_id, matter_id, case_id, kind, staff_id, status = (_Str(), _Str(), _Str(), _Str(),
                                                              _Str(), _Str())
    case_reference, hearing_id = _OptStr(), _OptStr()
    starts_at, ends_at, done_at = f.when(), f.when(), f.when(allow_none=True)


class SessionListSchema(Schema):
    date_from = f.when(data_key="from")
    date_to = f.when(data_key="to")
    items = fields.List(fields.Nested(SessionRowSchema))
    done = _Counts  # kind -> sessions done: accompaniments and witness preparations


class SlotSchema(ClashSchema):
    case_id, hearing_id = _Str(), _OptStr()


class CalendarSchema(Schema):
    staff_id = _Str()
    items = fields.List(fields.Nested(SlotSchema))


# -- letters and disclosures ---------------------------------------------------------------------
class TemplateSchema(Schema):
    template = _Str()
    languages = fields.List(_Str())


class TemplateListSchema(Schema):
    items = fields.List(fields.Nested(TemplateSchema))


class SentSchema(Schema):
    sent_on = fields.Date()
    channel, disclosure_id = _Str(), _OptStr()


class LetterDetailSchema(Schema):
    letter_id, case_id, matter_id, template, language = (_Str(), _Str(), _Str(), _Str(),
                                                          _Str())
    recipient_type, recipient, drafted_by = _Str(), _Str(), _Str()
    version = fields.Integer()
    drafted_at = f.when()
    sent = fields.Nested(SentSchema, allow_none=True)
    personal_data = _Str()
    body = fields.Raw()  # personal data: only when included


class CancelledSchema(Schema):
    reason = _Str()
    cancelled_at = f.when()


class DisclosureSchema(Schema):
    disclosure_id, case_id, matter_id, recipient_type, recipient, purpose, status = (
        _Str(), _Str(), _Str(), _Str(), _Str(), _Str(), _Str())
    letter_id = _OptStr()
    consent = fields.Nested(ConsentSchema)
    prepared_at, made_at = f.when(), f.when(allow_none=True)
    version = fields.Integer()
    cancelled = fields.Nested(CancelledSchema, allow_none=True)


class DisclosureRowSchema(Schema):
    disclosure_id, case_id, matter_id, recipient_type, recipient, purpose, status = (
        _Str(), _Str(), _Str(), _Str(), _Str(), _Str(), _Str())
    letter_id, cancelled_reason = _OptStr(), _OptStr()
    consent_recipient, consent_decided_on = _Str(), _Str()
    prepared_at, made_at = f.when(), f.when(allow_none=True)


class DisclosureListSchema(Schema):
    items = fields.List(fields.Nested(DisclosureRowSchema))
