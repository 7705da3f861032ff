"""What intake publishes on `intake.events`: each integration event's payload, versioned.

Consumers import these contracts; they never re-declare them. Intake checks every event
against its contract before storing it (shared.contracts), so what it publishes is what
its consumers accept. Payloads are allowlists of ids, codes and times: a field not
declared here never reaches the broker, which is how the summary and the callback number
stay off it; the referred person travels sealed, readable only by the key holder.

A breaking change is a new contract (version 2) published beside the old one until every
consumer reads it.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.intake import vocabulary as v
from shared import fields as f
from shared.auth import ROLES
from shared.contracts import Contracts
from shared.crypto import seal_context
from shared.vocabulary import AccessPurpose

published = Contracts("intake")
# Where the referred person's sealed fields open (shared.crypto: a ciphertext names its
# place): the casework consumer unseals them there. Checked against intake's own
# declaration in services/intake/tests.
REFERRED_PERSON_SEALED_IN = seal_context("intake", "Contact", "person")
REFERRED_BLIND_INDEX_SEALED_IN = seal_context("intake", "Contact", "blind_index")


class _BornBeforeReferred(Schema):
    @validates_schema
    def _born_before_referred(self, data: dict[str, Any], **kwargs: Any) -> None:
        year, referred = data.get("birth_year"), data.get("referred_at")
        if year is not None and referred is not None and year > referred.year:
            raise ValidationError("must not be after the year of the referral", "birth_year")


CONTACT_LOGGED = published(
    "ContactLogged", 1, "contact_id", contact_id=fields.UUID(),
    channel=f.code(v.Channel), direction=f.code(v.Direction), started_at=f.when(),
    ended_at=f.when(allow_none=True), language=f.language(), interpreter_used=fields.Boolean(),
    caller_type=f.code(v.CallerType), topic=f.code(v.Topic), urgency=f.code(v.Urgency),
    operator_id=f.staff())
CONTACT_SCREENED = published(
    "ContactScreened", 1, "contact_id", contact_id=fields.UUID(),
    indicators=f.codes(v.Indicator), assessment=f.code(v.Assessment), screened_at=f.when())
CONTACT_CLOSED = published("ContactClosed", 1, "contact_id", contact_id=fields.UUID(),
                           outcome=f.code(v.Outcome), ended_at=f.when())
CALL_MISSED = published(  # whether a number was left for the callback, never the number
    "CallMissed", 1, "missed_call_id", missed_call_id=fields.UUID(),
    channel=f.code(v.Channel), missed_at=f.when(), has_callback_contact=fields.Boolean())
CALLBACK_DONE = published("CallbackDone", 1, "missed_call_id", missed_call_id=fields.UUID(),
                          contact_id=fields.UUID(), done_at=f.when())
# v2: the blind index travels sealed too (v1 had it in clear, outliving an erasure).
REFERRED_TO_CASEWORK = published(
    "ReferredToCasework", 2, "contact_id", _BornBeforeReferred,
    contact_id=fields.UUID(), person_subject_id=fields.UUID(),
    person=f.Sealed(), blind_index=f.Sealed(),  # both under person_subject_id
    birth_year=f.birth_year(allow_none=True),
    gender=f.code(v.Gender), citizenship=f.country(allow_none=True), languages=f.languages(),
    exploitation_types=f.codes(v.Exploitation), urgency=f.code(v.Urgency),
    assessment=f.code(v.Assessment), indicators=f.codes(v.Indicator), referred_at=f.when())
CONTACT_LINKED_TO_CASE = published(  # also when a link is corrected: previous_case_id
    "ContactLinkedToCase", 1, "contact_id", contact_id=fields.UUID(), case_id=fields.UUID(),
    case_reference=fields.String(allow_none=True, validate=validate.Length(max=50)),
    previous_case_id=fields.UUID(allow_none=True))
PERSONAL_DATA_READ = published(  # who read (or was refused) a record's personal data
    "PersonalDataRead", 1, None, record_id=fields.UUID(),
    record=fields.String(validate=validate.OneOf(("contact", "missed_call"))),
    case_id=fields.UUID(allow_none=True), actor_id=f.staff(),
    role=fields.String(validate=validate.OneOf(ROLES)), purpose=f.code(AccessPurpose),
    fields=fields.List(fields.String(validate=validate.Length(max=50)),
                       validate=validate.Length(max=20)),
    read_at=f.when(), outcome=fields.String(validate=validate.OneOf(("read", "withheld"))),
    emergency=fields.Boolean())
SHIFT_STARTED = published("ShiftStarted", 1, "shift_id", shift_id=fields.UUID(),
                          operator_id=f.staff(), started_at=f.when())
SHIFT_ENDED = published("ShiftEnded", 1, "shift_id", shift_id=fields.UUID(),
                        operator_id=f.staff(), ended_at=f.when())
