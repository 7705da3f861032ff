"""What notifications accepts and answers over RPC (marshmallow, built from shared.fields).

Inputs reject unknown fields; every answer is ids, codes, times and the texts the rules
render from them: no personal data (ruleset.py).
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.notifications.domain.deliveries import DELIVERED, FAILED, PENDING
from services.notifications.domain.rules import CRITICAL, NORMAL
from shared import fields as f
from shared.schemas import PageQuery

CATEGORY = validate.Regexp(r"\A[a-z][a-z_]{0,39}\Z", error="a category code")
TARGET = validate.Regexp(r"\A[a-z0-9][a-z0-9-]{0,62}\Z", error="a webhook target's name")


def _severity(**kwargs: object) -> fields.String:
    return fields.String(validate=validate.OneOf((CRITICAL, NORMAL)), **kwargs)  # type: ignore[arg-type]


# -- RPC inputs ----------------------------------------------------------------------------
class InboxSchema(PageQuery):
    unread_only = fields.Boolean(load_default=True)
    category = fields.String(validate=CATEGORY, load_default=None)


class AlertIdSchema(Schema):
    alert_id = fields.UUID(required=True)


class OpenAlertsSchema(PageQuery):
    severity = _severity(load_default=None)


class PutOnCallSchema(Schema):
    user_id = f.staff(required=True)
    starts_at = f.when(required=True)
    ends_at = f.when(required=True)


class EndOnCallSchema(Schema):
    shift_id = fields.UUID(required=True)
    at = f.when(load_default=None)  # None: now


class OnCallSchema(Schema):
    at = f.when(load_default=None)


class DeliveriesSchema(PageQuery):
    status = fields.String(validate=validate.OneOf((PENDING, DELIVERED, FAILED)),
                           load_default=None)
    channel = fields.String(validate=validate.Regexp(r"\A(email|webhook:[a-z0-9-]{1,63})\Z"),
                            load_default=None)


class WebhookTargetSchema(Schema):
    target = fields.String(validate=TARGET, required=True)


# -- RPC outputs -----------------------------------------------------------------------------
class InboxItemSchema(Schema):
    alert_id, category, severity = fields.String(), fields.String(), _severity()
    case_id = fields.String(allow_none=True)
    case_reference = fields.String(allow_none=True)
    text, link = fields.String(), fields.String()
    sent_at, notified_at = f.when(), f.when()
    status, step = fields.String(), fields.Integer()
    acknowledged_by = fields.String(allow_none=True)
    acknowledged_role = fields.String(allow_none=True)
    acknowledged_at = f.when(allow_none=True)
    resolved_at = f.when(allow_none=True)
    resolution = fields.String(allow_none=True)


def _page(item: type[Schema]) -> type[Schema]:
    """A page of `item`s as the read models answer it: items, total, page, page_size."""
    return Schema.from_dict({"items": fields.List(fields.Nested(item)),
                             "total": fields.Integer(), "page": fields.Integer(),
                             "page_size": fields.Integer()},
                            name=item.__name__.replace("Schema", "PageSchema"))


InboxPageSchema = _page(InboxItemSchema)


class AlertStateSchema(Schema):
    alert_id, status, category = fields.String(), fields.String(), fields.String()
    case_reference = fields.String(allow_none=True)
    step = fields.Integer()
    acknowledged_by = fields.String(allow_none=True)
    acknowledged_at = f.when(allow_none=True)


class OpenAlertSchema(Schema):
    alert_id, rule, category, severity = (fields.String(), fields.String(), fields.String(),
                                          _severity())
    case_id = fields.String(allow_none=True)
    due_at, sent_at = f.when(allow_none=True), f.when(allow_none=True)
    status, step = fields.String(), fields.Integer()


OpenAlertPageSchema = _page(OpenAlertSchema)


class ShiftRefSchema(Schema):
    shift_id = fields.String()


class OnCallShiftSchema(Schema):
    shift_id, user_id = fields.String(), fields.String()
    starts_at, ends_at = f.when(), f.when()


class OnCallResultSchema(Schema):
    at = f.when()
    on_call = fields.List(fields.Nested(OnCallShiftSchema))
    covered = fields.Boolean()


class DeliveryRowSchema(Schema):
    delivery_id, alert_id, channel, address, status = (
        fields.String(), fields.String(), fields.String(), fields.String(), fields.String())
    step, attempts = fields.Integer(), fields.Integer()
    last_code = fields.Integer(allow_none=True)
    last_reason = fields.String(allow_none=True)
    queued_at, updated_at = f.when(), f.when()


DeliveryPageSchema = _page(DeliveryRowSchema)


class WebhookTargetStateSchema(Schema):
    target = fields.String()
    enabled = fields.Boolean()
