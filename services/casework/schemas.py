"""What casework accepts and answers over RPC.

Inputs reject unknown fields (marshmallow's default RAISE), so a misspelt field is an
error the caller sees, not a value silently dropped. No input has a field called
`reason`: the shell takes that one for the audit trail (why a command was given).
Fields are built from shared.fields, the same definitions the published contracts
(contracts.py) use.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from services.casework import vocabulary as v
from shared import fields as f
from shared.person import TEXT_LIMITS
from shared.schemas import ChangesSomething, MonthQuery, PageAnswer, PageQuery, counts
from shared.vocabulary import EmergencyReason


def _one_of(data: dict[str, Any], names: tuple[str, str]) -> None:
    if sum(data.get(name) is not None for name in names) != 1:
        raise ValidationError(f"give exactly one of {names[0]} and {names[1]}", names[1])


# -- RPC inputs: clients -----------------------------------------------------------------
class ClientProfileSchema(Schema):
    """Not personal data on their own: kept in clear, they survive an erasure as statistics."""

    birth_year = f.birth_year()
    gender = f.code(v.Gender)
    citizenship = f.country(allow_none=True)
    languages = f.languages()


class NewClientSchema(f.PersonSchema, ClientProfileSchema):
    gender = f.code(v.Gender, load_default=v.Gender.UNKNOWN.value)
    citizenship = f.country(load_default=None)
    languages = f.languages(load_default=list)


class ClientIdSchema(Schema):
    client_id = fields.UUID(required=True)


class GetClientSchema(ClientIdSchema):
    purpose = f.code(v.AccessPurpose, load_default=None)  # required to see personal data


class CorrectClientDetailsSchema(ClientIdSchema, f.PersonDetailsSchema, ClientProfileSchema,
                                 ChangesSomething):
    """Only the fields given change; null clears an optional detail."""

    not_a_change = frozenset({"client_id", "expected_version"})
    nothing_to_change = "give at least one detail to correct"

    expected_version = f.version(load_default=None)
    other_names = f.text(TEXT_LIMITS["other_names"], allow_none=True)
    birth_date = f.day(f.BORN, allow_none=True)
    phone = f.text(TEXT_LIMITS["phone"], allow_none=True)
    email = fields.Email(validate=validate.Length(max=TEXT_LIMITS["email"]), allow_none=True)
    address = f.text(TEXT_LIMITS["address"], allow_none=True)
    birth_year = f.birth_year(allow_none=True)


class ListClientsSchema(PageQuery):
    citizenship = f.country(load_default=None)
    gender = f.code(v.Gender, load_default=None)
    erased = fields.Boolean(load_default=None)


class RequestErasureSchema(ClientIdSchema):
    erasure_reason = f.code(v.ErasureReason, required=True)


# -- RPC inputs: cases -------------------------------------------------------------------
class CaseFactsSchema(Schema):
    origin_country = f.country(allow_none=True)
    exploitation_country = f.country(allow_none=True)
    exploitation_types = f.codes(v.Exploitation)
    methods_of_control = f.codes(v.MethodOfControl)
    recruitment = f.code(v.Recruitment, allow_none=True)
    relationship_to_trafficker = f.code(v.Relationship, allow_none=True)
    urgency = f.code(v.Urgency)


class OpenCaseSchema(CaseFactsSchema):
    client_id = fields.UUID(load_default=None)  # a known client...
    client = fields.Nested(NewClientSchema, load_default=None)  # ...or a person described here
    caseworker_id = f.staff(load_default=None)  # None: the opening caseworker
    opened_at = f.when(f.HAPPENED, load_default=None)
    urgency = f.code(v.Urgency, load_default=v.Urgency.ROUTINE.value)

    @validates_schema
    def _one_client(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_of(data, ("client_id", "client"))


class CaseIdSchema(Schema):
    case_id = fields.UUID(required=True)


class CaseChangeSchema(CaseIdSchema):
    """Every change may name the version it was decided on: a stale one is a conflict."""

    expected_version = f.version(load_default=None)


class GetCaseSchema(CaseIdSchema):
    purpose = f.code(v.AccessPurpose, load_default=None)  # required to see personal data


def case_reference(**kwargs: Any) -> fields.String:
    """A case's reference as numbering issues it (KC-2026-0033)."""
    return fields.String(validate=validate.Regexp(
        v.CASE_REFERENCE, error="Give a case reference such as KC-2026-0033."), **kwargs)


class ListCasesSchema(PageQuery):
    reference = case_reference(load_default=None, metadata={
        "description": "The case with this reference (KC-2026-0033): a page of one, or none"})
    status = f.code(v.CaseStatus, load_default=None)
    caseworker_id = f.staff(load_default=None)
    country = f.country(load_default=None)  # country of origin
    exploitation_type = f.code(v.Exploitation, load_default=None)
    urgency = f.code(v.Urgency, load_default=None)
    possible_duplicate = fields.Boolean(load_default=None)
    date_from = f.when(f.PERIOD, data_key="from", load_default=None)
    date_to = f.when(f.PERIOD, data_key="to", load_default=None)


class UpdateCaseFactsSchema(CaseChangeSchema, CaseFactsSchema, ChangesSomething):
    not_a_change = frozenset({"case_id", "expected_version"})
    nothing_to_change = "give at least one fact to update"


class AssignCaseworkerSchema(CaseChangeSchema):
    caseworker_id = f.staff(required=True)


class ConfirmAssignmentSchema(CaseChangeSchema):
    # The caseworker the supervisor means: the case may have changed hands since the
    # review queue showed it, and the confirmation is for a person, not a slot.
    caseworker_id = f.staff(load_default=None)


class ChangePhaseSchema(CaseChangeSchema):
    phase = fields.String(required=True, validate=validate.OneOf([p.value for p in v.PHASES]))


class ChangeIdentificationSchema(CaseChangeSchema):
    status = f.code(v.TraffickingStatus, required=True)
    decided_by = f.code(v.Decider, required=True)
    decided_on = f.day(f.HAPPENED, load_default=None)  # None: today


class StartReflectionPeriodSchema(CaseChangeSchema):
    starts_on = f.day(required=True)
    ends_on = f.day(required=True)

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] <= data["starts_on"]:
            raise ValidationError("must be after starts_on", "ends_on")


class RecordConsentSchema(CaseChangeSchema):
    purpose = f.code(v.ConsentPurpose, required=True)
    recipient = f.recipient(load_default=v.ANY_RECIPIENT)
    decision = f.code(v.ConsentDecision, required=True)
    decided_on = f.day(f.HAPPENED, load_default=None)  # None: today
    expires_on = f.day(load_default=None)  # the last day it is valid
    evidence = f.text(2000, load_default=None)  # personal data: sealed


class RevokeConsentSchema(CaseChangeSchema):
    purpose = f.code(v.ConsentPurpose, required=True)
    recipient = f.recipient(load_default=v.ANY_RECIPIENT)
    revoked_on = f.day(f.HAPPENED, load_default=None)


class MayShareSchema(CaseIdSchema):
    purpose = f.code(v.ConsentPurpose, required=True)
    recipient = f.recipient(load_default=v.ANY_RECIPIENT)
    on = f.day(f.PERIOD, load_default=None)  # None: today


class RecordServiceSchema(CaseChangeSchema):
    service_type = f.code(v.ServiceType, required=True)
    provided_at = f.when(f.HAPPENED, load_default=None)
    duration_minutes = fields.Integer(validate=validate.Range(min=1, max=24 * 60),
                                      load_default=None)
    provided_by = f.staff(load_default=None)  # staff id or partner code; None: the caller
    language = f.language(load_default=None)


class AddPlanObjectiveSchema(CaseChangeSchema):
    objective_type = f.code(v.SupportPlan, required=True)
    description = f.text(2000, load_default=None)  # personal data: sealed
    due_on = f.day(load_default=None)


class AddPlanActionSchema(CaseChangeSchema):
    objective_id = fields.UUID(required=True)
    description = f.text(2000, required=True)  # personal data: sealed
    due_on = f.day(load_default=None)


class CompletePlanActionSchema(CaseChangeSchema):
    action_id = fields.UUID(required=True)
    done_on = f.day(f.HAPPENED, load_default=None)


class CompletePlanObjectiveSchema(CaseChangeSchema):
    objective_id = fields.UUID(required=True)
    completed_on = f.day(f.HAPPENED, load_default=None)


class ScheduleFollowUpSchema(CaseChangeSchema):
    due_at = f.when(required=True)


class CompleteFollowUpSchema(CaseChangeSchema):
    follow_up_id = fields.UUID(required=True)
    done_at = f.when(f.HAPPENED, load_default=None)


class AddNoteSchema(CaseChangeSchema):
    text = f.text(20_000, required=True)  # personal data: sealed


class RequestShelterPlacementSchema(CaseChangeSchema):
    needs_isolation = fields.Boolean(load_default=False)
    isolation_reason = f.code(v.IsolationReason, load_default=None)
    accompanying_children = fields.Integer(validate=validate.Range(min=0, max=20),
                                           load_default=0)
    needed_from = f.day(load_default=None)

    @validates_schema
    def _isolation_has_a_reason(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("needs_isolation") != (data.get("isolation_reason") is not None):
            raise ValidationError("required exactly when needs_isolation is true",
                                  "isolation_reason")


class RequestLegalAssistanceSchema(CaseChangeSchema):
    matter = f.code(v.LegalMatter, required=True)


class CloseCaseSchema(CaseChangeSchema):
    status = fields.String(validate=validate.OneOf([s.value for s in v.CLOSED_STATUSES]),
                           load_default=v.CaseStatus.CLOSED.value)
    closure_reason = f.code(v.ClosureReason, required=True)
    closed_at = f.when(f.HAPPENED, load_default=None)


class ReopenCaseSchema(CaseChangeSchema):
    reopened_at = f.when(f.HAPPENED, load_default=None)


class ReviewDuplicateSchema(CaseChangeSchema):
    outcome = f.code(v.DuplicateOutcome, required=True)


class BreakTheGlassSchema(CaseIdSchema):
    reason_code = f.code(EmergencyReason, required=True)
    reason_text = f.text(2000, required=True)  # sealed: it may name the person


class ReviewEmergencyAccessSchema(CaseIdSchema):
    grant_id = fields.UUID(required=True)
    outcome = f.code(v.EmergencyReview, required=True)


class EmergencyGrantSchema(Schema):
    case_id, grant_id, actor_id = fields.String(), fields.String(), fields.String()
    reason_code = fields.String()
    granted_at, expires_at = f.when(), f.when()
    review = fields.Dict(allow_none=True)


class AccessLogSchema(Schema):
    case_id = fields.UUID(load_default=None)
    client_id = fields.UUID(load_default=None)

    @validates_schema
    def _one_subject(self, data: dict[str, Any], **kwargs: Any) -> None:
        _one_of(data, ("case_id", "client_id"))


class CaseIdOfSchema(Schema):
    reference = case_reference(required=True)


class ListFollowUpsSchema(Schema):
    caseworker_id = f.staff(load_default=None)
    overdue_only = fields.Boolean(load_default=False)
    due_before = f.when(f.PERIOD, load_default=None)
    limit = fields.Integer(validate=validate.Range(min=1, max=f.MAX_PAGE_SIZE), load_default=100)


class WorkloadSchema(Schema):
    caseworker_id = f.staff(load_default=None)


class CaseworkStatsSchema(MonthQuery):
    """Casework's figures for the month."""


# -- RPC outputs -------------------------------------------------------------------------------
# Outputs are plain dicts built by the application and the read models; these schemas
# are the contract the gateway's OpenAPI document is generated from.
class CaseRefSchema(Schema):
    """What a change answers: the case, its new version, and the id of anything it added."""

    case_id = fields.String()
    version = fields.Integer()
    service_id, objective_id = fields.String(), fields.String()
    action_id, follow_up_id = fields.String(), fields.String()
    note_id, request_id = fields.String(), fields.String()
    assignment = fields.String()  # after an assignment: confirmed, or pending a supervisor


class CaseKeySchema(Schema):
    """Which case a reference names."""

    case_id, reference = fields.String(required=True), fields.String(required=True)


class OpenedCaseSchema(Schema):
    case_id, reference = fields.String(), fields.String()
    client_id = fields.String(allow_none=True, metadata={
        "description": "null after a possible duplicate match: a supervisor reviews it"})
    possible_duplicate = fields.Boolean()
    version = fields.Integer()
    assignment = fields.String(metadata={
        "description": "confirmed: the caseworker sees the person's data; pending: a"
                       " supervisor confirms the assignment first; unassigned"})


class _Facts(Schema):
    origin_country = fields.String(allow_none=True)
    exploitation_country = fields.String(allow_none=True)
    exploitation_types = fields.List(fields.String())
    methods_of_control = fields.List(fields.String())
    recruitment = fields.String(allow_none=True)
    relationship_to_trafficker = fields.String(allow_none=True)
    urgency = fields.String()


class EmergencyAccessRowSchema(Schema):
    grant_id, client_id, case_id, actor_id = (fields.String(), fields.String(),
                                              fields.String(), fields.String())
    reason_code = fields.String()
    granted_at, expires_at = f.when(), f.when()
    active = fields.Boolean()
    review, reviewed_by = fields.String(allow_none=True), fields.String(allow_none=True)


class CaseRowSchema(_Facts):
    """One line of the case list: codes and dates, never personal data."""

    case_id, reference = fields.String(), fields.String()
    client_id = fields.String(allow_none=True)  # only to those who may see the person
    assignment_pending = fields.Boolean()
    source, status = fields.String(), fields.String()
    caseworker_id = fields.String(allow_none=True)
    continent = fields.String()
    opened_at, closed_at = f.when(), f.when(allow_none=True)
    closure_reason = fields.String(allow_none=True)
    identification_status = fields.String(allow_none=True)
    possible_duplicate, erased = fields.Boolean(), fields.Boolean()


class ReviewQueueSchema(Schema):
    pending_assignments = fields.List(fields.Nested(CaseRowSchema))
    possible_duplicates = fields.List(fields.Nested(CaseRowSchema))
    emergency_accesses = fields.List(fields.Nested(EmergencyAccessRowSchema))


class CasePageSchema(PageAnswer):
    items = fields.List(fields.Nested(CaseRowSchema))


class PersonSchema(Schema):
    """Personal data as read back: each field, or "[erased]" once the subject is shredded."""

    given_name, family_name = fields.Raw(), fields.Raw()
    other_names, birth_date = fields.Raw(allow_none=True), fields.Raw(allow_none=True)
    phone, email, address = (fields.Raw(allow_none=True), fields.Raw(allow_none=True),
                             fields.Raw(allow_none=True))
    identity_documents = fields.Raw(allow_none=True)  # [{kind, number, issuing_country}]


class ErasureStateSchema(Schema):
    status = fields.String()  # requested, approved, erased
    erasure_reason = fields.String()
    requested_by, approved_by = fields.String(), fields.String(allow_none=True)
    requested_at, approved_at = f.when(), f.when(allow_none=True)
    erased_at = f.when()


class ClientDetailSchema(Schema):
    client_id = fields.String()
    version = fields.Integer()
    gender = fields.String()
    birth_year = fields.Integer(allow_none=True)
    citizenship = fields.String(allow_none=True)
    languages = fields.List(fields.String())
    case_ids = fields.List(fields.String())
    registered_at = f.when()
    erased = fields.Boolean()
    erasure = fields.Nested(ErasureStateSchema, allow_none=True)
    personal_data = fields.String()  # included, withheld (role), not_requested (no purpose)
    personal_data_note = fields.String(allow_none=True)  # why withheld: the relation missing
    person = fields.Nested(PersonSchema)  # only when included


class ClientRowSchema(Schema):
    client_id = fields.String()
    gender = fields.String()
    birth_year = fields.Integer(allow_none=True)
    citizenship = fields.String(allow_none=True)
    registered_at = f.when()
    case_count = fields.Integer()
    erased = fields.Boolean()


class ClientPageSchema(PageAnswer):
    items = fields.List(fields.Nested(ClientRowSchema))


class ClientRefSchema(Schema):
    client_id = fields.String()
    version = fields.Integer()


class ErasureResultSchema(Schema):
    client_id = fields.String()
    status = fields.String()  # requested, rejected, erased
    subject_ids = fields.List(fields.String())
    case_ids = fields.List(fields.String())


class IdentificationSchema(Schema):
    status, decided_by, decided_on = fields.String(), fields.String(), fields.Date()


class ReflectionPeriodSchema(Schema):
    starts_on, ends_on = fields.Date(), fields.Date()


class ConsentSchema(Schema):
    purpose, recipient, decision = fields.String(), fields.String(), fields.String()
    decided_on = fields.Date()
    expires_on, revoked_on = fields.Date(allow_none=True), fields.Date(allow_none=True)
    evidence = fields.Raw(allow_none=True)  # personal data: only when included


class ServiceSchema(Schema):
    service_id, service_type = fields.String(), fields.String()
    provided_at = f.when()
    duration_minutes = fields.Integer(allow_none=True)
    provided_by = fields.String()
    language = fields.String(allow_none=True)
    response_seconds = fields.Integer(allow_none=True)  # crisis intervention: since opening


class PlanActionSchema(Schema):
    action_id = fields.String()
    due_on, done_on = fields.Date(allow_none=True), fields.Date(allow_none=True)
    description = fields.Raw(allow_none=True)  # personal data: only when included


class PlanObjectiveSchema(Schema):
    objective_id, objective_type = fields.String(), fields.String()
    due_on, completed_on = fields.Date(allow_none=True), fields.Date(allow_none=True)
    description = fields.Raw(allow_none=True)  # personal data: only when included
    actions = fields.List(fields.Nested(PlanActionSchema))


class FollowUpSchema(Schema):
    follow_up_id = fields.String()
    due_at, done_at = f.when(), f.when(allow_none=True)
    overdue = fields.Boolean()


class NoteSchema(Schema):
    note_id, written_by = fields.String(), fields.String()
    written_at = f.when()
    text = fields.Raw()  # personal data: only when included


class RequestSchema(Schema):
    request_id, kind = fields.String(), fields.String()
    requested_at = f.when()
    needs_isolation = fields.Boolean()
    isolation_reason = fields.String(allow_none=True)
    accompanying_children = fields.Integer()
    needed_from = fields.Date(allow_none=True)
    matter = fields.String()


class ClosureSchema(Schema):
    status, closure_reason, closed_at = fields.String(), fields.String(), f.when()


class DuplicateReviewSchema(Schema):
    outcome, reviewed_by, reviewed_at = fields.String(), fields.String(), f.when()


class CaseDetailSchema(_Facts):
    case_id, reference, status, source = (fields.String(), fields.String(), fields.String(),
                                          fields.String())
    version = fields.Integer()
    client_id = fields.String()
    contact_id = fields.String(allow_none=True)
    opened_at = f.when()
    caseworker_id = fields.String(allow_none=True)
    assessment = fields.String(allow_none=True)
    indicators = fields.List(fields.String())
    possible_duplicate = fields.Boolean()
    duplicate_review = fields.Nested(DuplicateReviewSchema, allow_none=True)
    candidate_profile = fields.Dict(allow_none=True)  # gender, birth_year, citizenship, ...
    identification = fields.Nested(IdentificationSchema, allow_none=True)
    reflection_period = fields.Nested(ReflectionPeriodSchema, allow_none=True)
    consents = fields.List(fields.Nested(ConsentSchema))
    services = fields.List(fields.Nested(ServiceSchema))
    plan = fields.List(fields.Nested(PlanObjectiveSchema))
    follow_ups = fields.List(fields.Nested(FollowUpSchema))
    notes = fields.List(fields.Nested(NoteSchema))
    requests = fields.List(fields.Nested(RequestSchema))
    closure = fields.Nested(ClosureSchema, allow_none=True)
    erased = fields.Boolean()
    client = fields.Nested(ClientDetailSchema(exclude=("personal_data", "person",
                                                       "personal_data_note")))
    assignment_pending = fields.Boolean()  # a supervisor has not confirmed the caseworker
    personal_data = fields.String()  # included, withheld (role), not_requested (no purpose)
    personal_data_note = fields.String(allow_none=True)  # why withheld: the relation missing
    person = fields.Nested(PersonSchema)  # only when included
    candidate_person = fields.Raw()  # only when included and a possible duplicate


class MayShareConsentSchema(Schema):
    recipient, decision = fields.String(), fields.String()
    decided_on = fields.Date()
    expires_on, revoked_on = fields.Date(allow_none=True), fields.Date(allow_none=True)


class MayShareResultSchema(Schema):
    case_id, purpose, recipient = fields.String(), fields.String(), fields.String()
    on = fields.Date()
    allowed = fields.Boolean()
    reason = fields.String()  # granted, refused, revoked, expired, no_consent
    consent = fields.Nested(MayShareConsentSchema, allow_none=True)


class AccessEntrySchema(Schema):
    actor_id, role, purpose = fields.String(), fields.String(), fields.String()
    case_id = fields.String(allow_none=True)
    fields_read = fields.List(fields.String(), data_key="fields", attribute="fields")
    read_at = f.when()
    service = fields.String(dump_default="casework")  # where the read happened
    outcome = fields.String(dump_default="read")  # read, or withheld (an attempt refused)
    emergency = fields.Boolean(dump_default=False)  # under emergency access


class AccessLogResultSchema(Schema):
    items = fields.List(fields.Nested(AccessEntrySchema))


class FollowUpRowSchema(Schema):
    follow_up_id, case_id, reference = fields.String(), fields.String(), fields.String()
    caseworker_id = fields.String(allow_none=True)
    due_at, done_at = f.when(), f.when(allow_none=True)
    overdue = fields.Boolean()


class FollowUpListSchema(Schema):
    items = fields.List(fields.Nested(FollowUpRowSchema))


class WorkloadRowSchema(Schema):
    caseworker_id = fields.String()
    open_cases = fields.Integer()
    by_status = counts()
    by_urgency = counts()
    overdue_follow_ups = fields.Integer()


class WorkloadResultSchema(Schema):
    items = fields.List(fields.Nested(WorkloadRowSchema))
    unassigned_cases = fields.Integer()


class CrisisSchema(Schema):
    count = fields.Integer()
    median_response_minutes = fields.Float(allow_none=True)


class FollowUpFiguresSchema(Schema):
    scheduled, done, overdue = fields.Integer(), fields.Integer(), fields.Integer()


_CountByCountry = counts()


class CaseworkStatsResultSchema(Schema):
    month = fields.String()
    # pending_cases + new_cases + reopened_cases - closed_cases = open_at_month_end
    new_cases = fields.Integer(metadata={"description": "cases opened in the month"})
    pending_cases = fields.Integer(metadata={
        "description": "cases open when the month began (carried into it)"})
    reopened_cases = fields.Integer(metadata={
        "description": "reopenings in the month of cases closed earlier"})
    closed_cases = fields.Integer(metadata={
        "description": "closures in the month (a case closed, reopened and closed again"
                       " counts twice)"})
    open_at_month_end = fields.Integer(metadata={
        "description": "cases open when the month ended: pending_cases + new_cases"
                       " + reopened_cases - closed_cases"})
    follow_ups = fields.Nested(FollowUpFiguresSchema)
    services_by_type = counts()
    crisis_interventions = fields.Nested(CrisisSchema)
    # continent -> country -> cases: the centre's own report
    new_cases_by_origin = fields.Dict(keys=fields.String(), values=_CountByCountry)
    handled_cases_by_origin = fields.Dict(keys=fields.String(), values=_CountByCountry)
