"""casework over nameko: the caseworkers' and supervisors' RPCs, the dashboards' figures,
and the consumer of the helpline's referrals. Each line exposes one application method
(application.py) with the schemas of its input and answer (schemas.py); who may call it
is in policy.py.
"""

from __future__ import annotations

from services.casework import schemas as s
from services.casework.application import Casework
from services.casework.placements import CasePlacementsResultSchema, CasePlacementsSchema
from services.casework.policy import POLICY
from services.intake.contracts import PERSONAL_DATA_READ, REFERRED_TO_CASEWORK
from services.shelter import contracts as shelter
from shared.audit import CommandContext
from shared.errors import NotFound
from shared.service import HavenService, consume, expose


def case_id_of(app: Casework, ctx: CommandContext, reference: str) -> dict[str, str]:
    """Which case a reference names: the gateway asks, so that every path taking a case
    takes its reference too."""
    case_id = app.views.case_id_of(reference)
    if case_id is None:
        raise NotFound(f"no case {reference}")
    return {"case_id": case_id, "reference": reference}


class CaseworkService(HavenService):
    name = "casework"
    policy = POLICY

    # -- the helpline's referrals -----------------------------------------------------------
    on_referred_to_casework = consume(REFERRED_TO_CASEWORK, Casework.open_case_from_referral)
    on_personal_data_read = consume(PERSONAL_DATA_READ, Casework.record_read_elsewhere)

    # -- the shelters' answers to placement requests -------------------------------------------
    on_placement_held = consume(shelter.PLACEMENT_HELD, Casework.record_placement_news)
    on_hold_expired = consume(shelter.HOLD_EXPIRED, Casework.record_placement_news)
    on_hold_cancelled = consume(shelter.HOLD_CANCELLED, Casework.record_placement_news)
    on_resident_admitted = consume(shelter.RESIDENT_ADMITTED, Casework.record_placement_news)
    on_resident_moved = consume(shelter.RESIDENT_MOVED, Casework.record_placement_news)
    on_resident_discharged = consume(shelter.RESIDENT_DISCHARGED, Casework.record_placement_news)
    on_placement_declined = consume(shelter.PLACEMENT_DECLINED, Casework.record_placement_news)
    on_placement_linked = consume(shelter.PLACEMENT_LINKED_TO_CASE, Casework.record_placement_news)
    case_placements = expose(Casework.case_placements, CasePlacementsSchema, CasePlacementsResultSchema)

    # -- cases --------------------------------------------------------------------------------
    open_case = expose(Casework.open_case, s.OpenCaseSchema, s.OpenedCaseSchema)
    get_case = expose(Casework.case_detail, s.GetCaseSchema, s.CaseDetailSchema)
    list_cases = expose(Casework.case_list, s.ListCasesSchema, s.CasePageSchema)
    update_case_facts = expose(Casework.update_case_facts, s.UpdateCaseFactsSchema, s.CaseRefSchema)
    assign_caseworker = expose(Casework.assign_caseworker, s.AssignCaseworkerSchema, s.CaseRefSchema)
    confirm_assignment = expose(Casework.confirm_assignment, s.ConfirmAssignmentSchema, s.CaseRefSchema)
    change_phase = expose(Casework.change_phase, s.ChangePhaseSchema, s.CaseRefSchema)
    change_identification = expose(Casework.change_identification, s.ChangeIdentificationSchema, s.CaseRefSchema)
    start_reflection_period = expose(Casework.start_reflection_period, s.StartReflectionPeriodSchema, s.CaseRefSchema)
    record_consent = expose(Casework.record_consent, s.RecordConsentSchema, s.CaseRefSchema)
    revoke_consent = expose(Casework.revoke_consent, s.RevokeConsentSchema, s.CaseRefSchema)
    may_share = expose(Casework.may_share, s.MayShareSchema, s.MayShareResultSchema)
    record_service = expose(Casework.record_service, s.RecordServiceSchema, s.CaseRefSchema)
    add_plan_objective = expose(Casework.add_plan_objective, s.AddPlanObjectiveSchema, s.CaseRefSchema)
    add_plan_action = expose(Casework.add_plan_action, s.AddPlanActionSchema, s.CaseRefSchema)
    complete_plan_action = expose(Casework.complete_plan_action, s.CompletePlanActionSchema, s.CaseRefSchema)
    complete_plan_objective = expose(Casework.complete_plan_objective, s.CompletePlanObjectiveSchema, s.CaseRefSchema)
    schedule_follow_up = expose(Casework.schedule_follow_up, s.ScheduleFollowUpSchema, s.CaseRefSchema)
    complete_follow_up = expose(Casework.complete_follow_up, s.CompleteFollowUpSchema, s.CaseRefSchema)
    list_follow_ups = expose(Casework.follow_ups, s.ListFollowUpsSchema, s.FollowUpListSchema)
    add_note = expose(Casework.add_note, s.AddNoteSchema, s.CaseRefSchema)
    request_shelter_placement = expose(Casework.request_shelter_placement, s.RequestShelterPlacementSchema, s.CaseRefSchema)
    request_legal_assistance = expose(Casework.request_legal_assistance, s.RequestLegalAssistanceSchema, s.CaseRefSchema)
    close_case = expose(Casework.close_case, s.CloseCaseSchema, s.CaseRefSchema)
    reopen_case = expose(Casework.reopen_case, s.ReopenCaseSchema, s.CaseRefSchema)
    review_duplicate = expose(Casework.review_duplicate, s.ReviewDuplicateSchema, s.CaseRefSchema)
    access_log = expose(Casework.access_log, s.AccessLogSchema, s.AccessLogResultSchema)
    break_the_glass = expose(Casework.break_the_glass, s.BreakTheGlassSchema, s.EmergencyGrantSchema)
    review_emergency_access = expose(Casework.review_emergency_access, s.ReviewEmergencyAccessSchema, s.EmergencyGrantSchema)
    review_queue = expose(Casework.review_queue, output=s.ReviewQueueSchema)

    case_id_of = expose(case_id_of, s.CaseIdOfSchema, s.CaseKeySchema)

    # -- clients and erasure --------------------------------------------------------------------
    get_client = expose(Casework.client_detail, s.GetClientSchema, s.ClientDetailSchema)
    list_clients = expose(Casework.client_list, s.ListClientsSchema, s.ClientPageSchema)
    correct_client_details = expose(Casework.correct_client_details, s.CorrectClientDetailsSchema, s.ClientRefSchema)
    request_erasure = expose(Casework.request_erasure, s.RequestErasureSchema, s.ErasureResultSchema)
    approve_erasure = expose(Casework.approve_erasure, s.ClientIdSchema, s.ErasureResultSchema)
    reject_erasure = expose(Casework.reject_erasure, s.ClientIdSchema, s.ErasureResultSchema)

    # -- figures ----------------------------------------------------------------------------------
    caseworker_workload = expose(Casework.workload, s.WorkloadSchema, s.WorkloadResultSchema)
    casework_stats = expose(Casework.monthly_figures, s.CaseworkStatsSchema, s.CaseworkStatsResultSchema)
