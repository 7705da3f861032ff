"""What the audit service accepts and answers over RPC (and the gateway documents)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.audit_trail.sources import AUDIT_STORE
from shared.manifest import manifest

# A case id (uuid) or reference (KC-2026-0042); bounded so a lookup stays a lookup.
_REFERENCE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,79}$",
                             error="a case id or reference such as KC-2026-0042")


class CaseRefSchema(Schema):
    reference = fields.String(required=True, validate=_REFERENCE)


class ReplayInputSchema(CaseRefSchema):
    as_of = fields.AwareDateTime(required=True, metadata={
        "description": "The instant, ISO 8601 with a zone offset"})


# The stores the platform keeps: the manifest's, and the audit store (its reveals).
STORES = (*manifest().stores, AUDIT_STORE)


class VerifyInputSchema(Schema):
    # Named, not an enumeration: the reader refuses a name outside the catalogue it was
    # given (400 naming `service`), and a test's catalogue names stores of its own.
    service = fields.String(load_default=None, validate=validate.Length(min=1, max=63),
                            metadata={"description": "Only this store (default: all): one of "
                                                     + ", ".join(STORES),
                                      "example": "casework"})


# -- answers ------------------------------------------------------------------------------
class _StoredEventSchema(Schema):
    """Any stored event as an auditor sees it: when, where, what, who (its audit stamp)."""

    at = fields.String(required=True)
    service = fields.String(required=True)
    event = fields.String(required=True)
    actor_id, actor_role = fields.String(allow_none=True), fields.String(allow_none=True)
    correlation_id = fields.String(allow_none=True)


class HistoryLineSchema(_StoredEventSchema):
    aggregate, stream = fields.String(), fields.String()
    version, notification_id = fields.Integer(), fields.Integer()
    command, reason = fields.String(allow_none=True), fields.String(allow_none=True)
    causation_id = fields.String(allow_none=True)
    link = fields.String(metadata={"description": "Why the event belongs to the case"})
    data = fields.Dict(metadata={"description": "The event's fields; personal data masked"})


class AccessEntrySchema(_StoredEventSchema):
    purpose = fields.String(allow_none=True)
    what = fields.Raw(allow_none=True)
    outcome = fields.String(metadata={"description": "read, or withheld (refused)"})
    emergency = fields.Boolean(metadata={"description": "under emergency access"})


class _CaseViewSchema(Schema):
    case_id = fields.String(required=True)
    reference = fields.String(allow_none=True)


class CaseHistorySchema(_CaseViewSchema):
    revealed = fields.Boolean()
    events = fields.List(fields.Nested(HistoryLineSchema))


class AggregateStateSchema(Schema):
    service, type, id = (fields.String(required=True), fields.String(required=True),
                         fields.String(required=True))
    version = fields.Integer(required=True)
    created_on, modified_on = fields.String(), fields.String()
    state = fields.Dict(metadata={"description": "Attributes; personal data masked"})


class CaseReplaySchema(_CaseViewSchema):
    as_of = fields.String(required=True)
    revealed = fields.Boolean()
    aggregates = fields.List(fields.Nested(AggregateStateSchema))


class CaseAccessSchema(_CaseViewSchema):
    entries = fields.List(fields.Nested(AccessEntrySchema))


class BreakSchema(Schema):
    kind = fields.String(required=True)
    stream = fields.String(allow_none=True)
    position = fields.Integer()
    notification_id = fields.Integer(allow_none=True)
    detail = fields.String()


class ServiceVerdictSchema(Schema):
    service = fields.String(required=True)
    ok = fields.Boolean(required=True)
    missing = fields.String(allow_none=True)
    events = fields.Integer()
    streams = fields.Integer()
    seconds = fields.Float()
    rate = fields.Float()
    break_count = fields.Integer()
    breaks = fields.List(fields.Nested(BreakSchema))
    head = fields.Dict(allow_none=True)
    checkpoints = fields.Integer()
    last_checkpoint = fields.Dict(allow_none=True)


class VerifyResultSchema(Schema):
    ok = fields.Boolean(required=True)
    events = fields.Integer()
    break_count = fields.Integer()
    services = fields.List(fields.Nested(ServiceVerdictSchema))
