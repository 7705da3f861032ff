"""What legal publishes on `legal.events`: each integration event's payload, versioned.

Consumers (the notifications service first) import these contracts; they never re-declare
them. Legal checks every event against its contract before storing it (shared.contracts).
Payloads are allowlists of ids, codes and times: no caption, no attorney, no court or
judge, no letter content, no name ever reaches the broker.

For reminders, `HearingReminderDue` and `DeadlineReminderDue` are the facts to act on: each
is published once per reminder (hearing in 48 h and in 24 h, deadline in 3 days), when it
is due -- also after legal was down at that moment (reminders.py). A consumer sends it on;
it needs no timer of its own.

A breaking change is a new contract (version 2) published beside the old one until every
consumer reads it.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

from services.legal import vocabulary as v
from shared import fields as f
from shared.contracts import Contracts

published = Contracts("legal")


def _of_matter(**payload: Any) -> dict[str, Any]:
    """Every payload names its matter and its case: `case_id` joins it to the case."""
    return {"matter_id": fields.UUID(), "case_id": fields.UUID(), **payload}


MATTER_OPENED = published(
    "MatterOpened", 1, "matter_id", **_of_matter(
        kind=f.code(v.MatterKind), standing=f.code(v.Standing, allow_none=True),
        source=f.code(v.MatterSource), request_id=fields.UUID(allow_none=True),
        lawyer_id=f.staff(allow_none=True), opened_at=f.when()))
LAWYER_ASSIGNED = published("LawyerAssigned", 1, "matter_id", **_of_matter(
    lawyer_id=f.staff(), previous_lawyer_id=f.staff(allow_none=True), assigned_at=f.when()))
MATTER_STAGE_CHANGED = published("MatterStageChanged", 1, "matter_id", **_of_matter(
    stage=f.code(v.Stage), previous_stage=f.code(v.Stage), changed_at=f.when()))
MATTER_CLOSED = published("MatterClosed", 1, "matter_id", **_of_matter(
    outcome=f.code(v.MatterOutcome), closed_at=f.when()))

HEARING_SCHEDULED = published(
    "HearingScheduled", 1, "hearing_id", **_of_matter(
        hearing_id=fields.UUID(), starts_at=f.when(), ends_at=f.when(),
        time_zone=f.text(64), hearing_type=f.code(v.HearingType),
        interpreter_needed=fields.Boolean(), interpreter_language=f.language(allow_none=True),
        accompaniment_needed=fields.Boolean(), lawyer_id=f.staff(allow_none=True)))
HEARING_MOVED = published("HearingMoved", 1, "hearing_id", **_of_matter(
    hearing_id=fields.UUID(), starts_at=f.when(), ends_at=f.when(),
    previous_starts_at=f.when()))
HEARING_CANCELLED = published("HearingCancelled", 1, "hearing_id", **_of_matter(
    hearing_id=fields.UUID(), reason=f.code(v.CancelReason), cancelled_at=f.when()))
HEARING_REMINDER_DUE = published(  # to the lawyer, the companions, the caseworker
    "HearingReminderDue", 1, "hearing_id", **_of_matter(
        hearing_id=fields.UUID(), reminder=f.code(v.Reminder), starts_at=f.when(),
        time_zone=f.text(64), hearing_type=f.code(v.HearingType),
        lawyer_id=f.staff(allow_none=True),
        accompanied_by=fields.List(f.staff(), validate=validate.Length(max=20)),
        interpreter_needed=fields.Boolean(), interpreter_language=f.language(allow_none=True),
        accompaniment_needed=fields.Boolean(), reminded_at=f.when()))

DEADLINE_SET = published("DeadlineSet", 1, "matter_id", **_of_matter(
    deadline_id=fields.UUID(), kind=f.code(v.DeadlineKind), due_on=fields.Date(),
    hearing_id=fields.UUID(allow_none=True)))
DEADLINE_MOVED = published("DeadlineMoved", 1, "matter_id", **_of_matter(
    deadline_id=fields.UUID(), due_on=fields.Date(), previous_due_on=fields.Date()))
DEADLINE_CLOSED = published("DeadlineClosed", 1, "matter_id", **_of_matter(  # met or missed
    deadline_id=fields.UUID(), kind=f.code(v.DeadlineKind), outcome=f.code(v.DeadlineOutcome),
    due_on=fields.Date(), on=fields.Date()))
DEADLINE_REMINDER_DUE = published("DeadlineReminderDue", 1, "matter_id", **_of_matter(
    deadline_id=fields.UUID(), reminder=f.code(v.Reminder), kind=f.code(v.DeadlineKind),
    due_on=fields.Date(), lawyer_id=f.staff(allow_none=True), reminded_at=f.when()))

SESSION_SCHEDULED = published("SessionScheduled", 1, "session_id", **_of_matter(
    session_id=fields.UUID(), kind=f.code(v.SessionKind), staff_id=f.staff(),
    starts_at=f.when(), ends_at=f.when(), hearing_id=fields.UUID(allow_none=True)))
SESSION_DONE = published("SessionDone", 1, "session_id", **_of_matter(
    session_id=fields.UUID(), kind=f.code(v.SessionKind), staff_id=f.staff(),
    done_at=f.when()))

DISCLOSURE_MADE = published("DisclosureMade", 1, "disclosure_id", **_of_matter(
    disclosure_id=fields.UUID(), recipient_type=f.code(v.Recipient), recipient=f.recipient(),
    purpose=f.code(v.SharePurpose), letter_id=fields.UUID(allow_none=True),
    made_at=f.when()))
DISCLOSURE_CANCELLED = published("DisclosureCancelled", 1, "disclosure_id", **_of_matter(
    disclosure_id=fields.UUID(), purpose=f.code(v.SharePurpose), recipient=f.recipient(),
    reason=f.code(v.DisclosureCancel), cancelled_at=f.when()))
LETTER_SENT = published("LetterSent", 1, "letter_id", **_of_matter(
    letter_id=fields.UUID(), recipient_type=f.code(v.Recipient), recipient=f.recipient(),
    sent_on=fields.Date(), channel=f.code(v.DeliveryChannel),
    disclosure_id=fields.UUID(allow_none=True)))
