"""What casework publishes on `casework.events`: each integration event's payload, versioned.

Consumers import these contracts; they never re-declare them. Casework checks every event
against its contract before storing it (shared.contracts). Payloads are allowlists of ids,
codes and dates: notes, evidence, plan texts and the person never reach the broker.
"""

from __future__ import annotations

from marshmallow import fields, validate

from services.casework import vocabulary as v
from shared import fields as f
from shared.contracts import Contracts
from shared.vocabulary import EmergencyReason

# A person's cases and the contacts that referred them: far above any real person's, and
# bounded, so that no consumer meets a list longer than the contract promised.
MAX_CASES, MAX_CONTACTS = 200, 1000
CASES = validate.Length(max=MAX_CASES)

published = Contracts("casework")

CASE_OPENED = published(
    "CaseOpened", 1, "case_id", case_id=fields.UUID(),
    reference=fields.String(validate=validate.Regexp(v.CASE_REFERENCE)),
    client_id=fields.UUID(),
    contact_id=fields.UUID(allow_none=True),  # the helpline contact a referral came from
    source=f.code(v.Source), opened_at=f.when(), caseworker_id=f.staff(allow_none=True),
    possible_duplicate=fields.Boolean(), origin_country=f.country(allow_none=True),
    exploitation_country=f.country(allow_none=True),
    exploitation_types=f.codes(v.Exploitation), methods_of_control=f.codes(v.MethodOfControl),
    recruitment=f.code(v.Recruitment, allow_none=True),
    relationship_to_trafficker=f.code(v.Relationship, allow_none=True),
    urgency=f.code(v.Urgency), version=f.version())
CASEWORKER_ASSIGNED = published(  # the caseworker sees the person once confirmed (below)
    "CaseworkerAssigned", 1, "case_id", case_id=fields.UUID(), caseworker_id=f.staff(),
    previous_caseworker_id=f.staff(allow_none=True), status=f.code(v.CaseStatus),
    assigned_at=f.when(), version=f.version())
ASSIGNMENT_CONFIRMED = published(  # by a supervisor: now the caseworker sees the person
    "AssignmentConfirmed", 1, "case_id", case_id=fields.UUID(), caseworker_id=f.staff(),
    confirmed_by=f.staff(), confirmed_at=f.when(), version=f.version())
EMERGENCY_ACCESS_GRANTED = published(  # for supervisors, at once; never the free-text reason
    "EmergencyAccessGranted", 1, None, grant_id=fields.UUID(), client_id=fields.UUID(),
    case_id=fields.UUID(), case_ids=fields.List(fields.UUID(), validate=CASES), actor_id=f.staff(),
    reason_code=f.code(EmergencyReason), granted_at=f.when(), expires_at=f.when())
IDENTIFICATION_STATUS_CHANGED = published(
    "IdentificationStatusChanged", 1, "case_id", case_id=fields.UUID(),
    status=f.code(v.TraffickingStatus), decided_by=f.code(v.Decider), decided_on=fields.Date(),
    previous_status=f.code(v.TraffickingStatus, allow_none=True))
REFLECTION_PERIOD_STARTED = published("ReflectionPeriodStarted", 1, "case_id",
                                      case_id=fields.UUID(), starts_on=fields.Date(),
                                      ends_on=fields.Date())
CONSENT_RECORDED = published(
    "ConsentRecorded", 1, "case_id", case_id=fields.UUID(), purpose=f.code(v.ConsentPurpose),
    recipient=f.recipient(), decision=f.code(v.ConsentDecision), decided_on=fields.Date(),
    expires_on=fields.Date(allow_none=True))
CONSENT_REVOKED = published("ConsentRevoked", 1, "case_id", case_id=fields.UUID(),
                            purpose=f.code(v.ConsentPurpose), recipient=f.recipient(),
                            revoked_on=fields.Date())
SERVICE_PROVIDED = published(  # a crisis intervention carries its response time
    "ServiceProvided", 1, "case_id", case_id=fields.UUID(), service_id=fields.UUID(),
    service_type=f.code(v.ServiceType), provided_at=f.when(),
    duration_minutes=fields.Integer(allow_none=True, validate=validate.Range(min=1)),
    language=f.language(allow_none=True),
    crisis_response_seconds=fields.Integer(allow_none=True, validate=validate.Range(min=0)))
FOLLOW_UP_SCHEDULED = published("FollowUpScheduled", 1, "case_id", case_id=fields.UUID(),
                                follow_up_id=fields.UUID(), due_at=f.when())
FOLLOW_UP_DONE = published("FollowUpDone", 1, "case_id", case_id=fields.UUID(),
                           follow_up_id=fields.UUID(), due_at=f.when(), done_at=f.when())
CASE_CLOSED = published("CaseClosed", 1, "case_id", case_id=fields.UUID(),
                        status=f.code(v.CaseStatus), closure_reason=f.code(v.ClosureReason),
                        closed_at=f.when())
CASE_REOPENED = published("CaseReopened", 1, "case_id", case_id=fields.UUID(),
                          status=f.code(v.CaseStatus), reopened_at=f.when())
SHELTER_PLACEMENT_REQUESTED = published(
    "ShelterPlacementRequested", 1, "case_id", case_id=fields.UUID(), request_id=fields.UUID(),
    needs_isolation=fields.Boolean(), isolation_reason=f.code(v.IsolationReason, allow_none=True),
    accompanying_children=fields.Integer(validate=validate.Range(min=0, max=20)),
    needed_from=fields.Date(allow_none=True), gender=f.code(v.Gender), languages=f.languages(),
    requested_at=f.when())
LEGAL_ASSISTANCE_REQUESTED = published(
    "LegalAssistanceRequested", 1, "case_id", case_id=fields.UUID(), request_id=fields.UUID(),
    matter=f.code(v.LegalMatter), requested_at=f.when())
SUBJECT_ERASED = published(  # other services drop what they keep of these subjects and cases
    "SubjectErased", 1, "client_id", client_id=fields.UUID(),
    subject_ids=fields.List(fields.String(validate=validate.Length(min=1, max=100)),
                            validate=validate.Length(max=1 + MAX_CASES)),
    case_ids=fields.List(fields.UUID(), validate=CASES),
    # intake's contacts that referred the client
    contact_ids=fields.List(fields.UUID(), validate=validate.Length(max=MAX_CONTACTS)),
    erased_at=f.when())
