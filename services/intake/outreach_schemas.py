"""What intake accepts and answers for outreach over RPC: built from shared.fields, unknown
fields refused (marshmallow's RAISE), as every other input of intake."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.intake import outreach_vocabulary as v
from services.intake.outreach_domain import MAX_COUNT, MAX_NAME
from shared import fields as f
from shared.schemas import MonthQuery, PageAnswer, PageQuery, counts

_COUNT = validate.Range(min=0, max=MAX_COUNT)


# -- inputs ------------------------------------------------------------------------------
class RecordConsultationSchema(Schema):
    institution = f.text(MAX_NAME, required=True)  # the body's name, never a person's
    institution_type = f.code(v.InstitutionType, required=True)
    topic = f.code(v.ConsultationTopic, required=True)
    outcome = f.code(v.ConsultationOutcome, required=True)
    channel = f.code(v.ConsultationChannel, load_default=v.ConsultationChannel.IN_PERSON.value)
    held_at = f.when(required=True)
    follow_up_action = f.code(v.FollowUpAction, load_default=None)
    follow_up_due = f.when(load_default=None)


class CompleteFollowUpSchema(Schema):
    consultation_id = fields.UUID(required=True)
    done_at = f.when(load_default=None)  # None: now


class RecordPreventionActivitySchema(Schema):
    kind = f.code(v.PreventionKind, required=True)
    title = f.text(MAX_NAME, required=True)
    audience = f.code(v.Audience, required=True)
    held_at = f.when(required=True)
    participants = fields.Integer(validate=_COUNT, load_default=0)
    materials_distributed = fields.Integer(validate=_COUNT, load_default=0)
    language = f.language(load_default="pl")


class WithdrawSchema(Schema):
    record_id = fields.UUID(required=True)
    withdrawal_reason = f.code(v.WithdrawalReason, required=True)


class ConsultationListSchema(PageQuery):
    month = f.month(load_default=None)
    institution_type = f.code(v.InstitutionType, load_default=None)
    follow_up_pending = fields.Boolean(load_default=None)


class ActivityListSchema(PageQuery):
    month = f.month(load_default=None)
    kind = f.code(v.PreventionKind, load_default=None)


class OutreachStatsSchema(MonthQuery):
    """Outreach figures for the month."""


# -- answers -----------------------------------------------------------------------------
class ConsultationRefSchema(Schema):
    consultation_id = fields.String()


class ActivityRefSchema(Schema):
    activity_id = fields.String()


class WithdrawnSchema(Schema):
    record_id = fields.String()
    withdrawn = fields.Boolean()


class ConsultationRowSchema(Schema):
    consultation_id, month = fields.String(), fields.String()
    held_at = f.when()
    institution, institution_type = fields.String(), fields.String()
    topic, outcome, channel = fields.String(), fields.String(), fields.String()
    follow_up_action = fields.String(allow_none=True)
    follow_up_due, follow_up_done_at = f.when(allow_none=True), f.when(allow_none=True)
    recorded_by = fields.String()
    withdrawn_reason = fields.String(allow_none=True)


class ActivityRowSchema(Schema):
    activity_id, month = fields.String(), fields.String()
    held_at = f.when()
    kind, title, audience = fields.String(), fields.String(), fields.String()
    participants, materials_distributed = fields.Integer(), fields.Integer()
    language, recorded_by = fields.String(), fields.String()
    withdrawn_reason = fields.String(allow_none=True)


class ConsultationPageSchema(PageAnswer):
    items = fields.List(fields.Nested(ConsultationRowSchema))


class ActivityPageSchema(PageAnswer):
    items = fields.List(fields.Nested(ActivityRowSchema))


class KindFiguresSchema(Schema):
    activities, participants = fields.Integer(), fields.Integer()
    materials_distributed = fields.Integer()


class OutreachStatsResultSchema(Schema):
    month = fields.String()
    consultations = fields.Integer()
    consultations_by_institution_type, consultations_by_topic = counts(), counts()
    prevention_activities = fields.Integer()
    prevention_by_kind = fields.Dict(keys=fields.String(),
                                     values=fields.Nested(KindFiguresSchema))
    participants_by_audience = counts()
    participants, materials_distributed = fields.Integer(), fields.Integer()
