"""Casework's endpoints: cases and clients, each one RPC on the casework service.

Reads of personal data name their `purpose` in the query string; the service
decides who may see it and records every such read in the client's access log.
"""

from __future__ import annotations

from services.casework import schemas as s
from services.gateway.routes import Route

CASES, CLIENTS, FIGURES = "cases", "clients", "figures"
CASE = {"id": "case_id"}
CLIENT = {"id": "client_id"}


def _less(schema: type, *path_fields: str) -> object:
    """The service's input schema less what the path carries (body or query)."""
    return schema(exclude=path_fields)


def _case_change(method: str, path: str, rpc: str, summary: str, schema: type) -> Route:
    return Route(method, f"/cases/<id>{path}", "casework", rpc, summary, CASES,
                 body=_less(schema, "case_id"), response=s.CaseRefSchema, path_fields=CASE)


ROUTES = [
    Route("POST", "/cases", "casework", "open_case",
          "Open a case for a known client or a newly described person", CASES,
          body=s.OpenCaseSchema, response=s.OpenedCaseSchema, status=201, created="case_id"),
    Route("GET", "/cases", "casework", "list_cases",
          "Case list (status, caseworker, country, exploitation type, urgency)", CASES,
          query=s.ListCasesSchema, response=s.CasePageSchema),
    Route("GET", "/cases/<id>", "casework", "get_case",
          "One case; personal data only to its caseworker and supervisors, with a purpose",
          CASES, query=_less(s.GetCaseSchema, "case_id"), response=s.CaseDetailSchema,
          path_fields=CASE),
    _case_change("POST", "/facts", "update_case_facts", "Correct the case's facts",
                 s.UpdateCaseFactsSchema),
    _case_change("POST", "/assignment", "assign_caseworker", "Assign or transfer the case",
                 s.AssignCaseworkerSchema),
    _case_change("POST", "/status", "change_phase", "Move the case to Active or FollowUp",
                 s.ChangePhaseSchema),
    _case_change("POST", "/identification", "change_identification",
                 "Record the trafficking status and who decided it",
                 s.ChangeIdentificationSchema),
    _case_change("POST", "/reflection-period", "start_reflection_period",
                 "Start the reflection and recovery period", s.StartReflectionPeriodSchema),
    _case_change("POST", "/consents", "record_consent",
                 "Record consent (granted or refused) for a purpose and recipient",
                 s.RecordConsentSchema),
    _case_change("POST", "/consents/revocation", "revoke_consent", "Revoke a consent",
                 s.RevokeConsentSchema),
    Route("GET", "/cases/<id>/may-share", "casework", "may_share",
          "May we share with this recipient on this date?", CASES,
          query=_less(s.MayShareSchema, "case_id"), response=s.MayShareResultSchema,
          path_fields=CASE),
    _case_change("POST", "/services", "record_service", "Record a service delivered",
                 s.RecordServiceSchema),
    _case_change("POST", "/plan/objectives", "add_plan_objective", "Add a case-plan objective",
                 s.AddPlanObjectiveSchema),
    _case_change("POST", "/plan/actions", "add_plan_action", "Add an action to an objective",
                 s.AddPlanActionSchema),
    _case_change("POST", "/plan/actions/completion", "complete_plan_action",
                 "Mark a plan action done", s.CompletePlanActionSchema),
    _case_change("POST", "/plan/objectives/completion", "complete_plan_objective",
                 "Mark a plan objective reached", s.CompletePlanObjectiveSchema),
    _case_change("POST", "/follow-ups", "schedule_follow_up", "Schedule a follow-up",
                 s.ScheduleFollowUpSchema),
    _case_change("POST", "/follow-ups/completion", "complete_follow_up",
                 "Record a follow-up as done", s.CompleteFollowUpSchema),
    _case_change("POST", "/notes", "add_note", "Add a note (personal data)", s.AddNoteSchema),
    _case_change("POST", "/shelter-requests", "request_shelter_placement",
                 "Ask the shelter service for a placement", s.RequestShelterPlacementSchema),
    _case_change("POST", "/legal-requests", "request_legal_assistance",
                 "Ask the legal service for assistance", s.RequestLegalAssistanceSchema),
    _case_change("POST", "/close", "close_case", "Close the case with a reason",
                 s.CloseCaseSchema),
    _case_change("POST", "/reopen", "reopen_case", "Reopen a closed case", s.ReopenCaseSchema),
    _case_change("POST", "/duplicate-review", "review_duplicate",
                 "Settle a possible-duplicate flag", s.ReviewDuplicateSchema),
    Route("GET", "/cases/<id>/access-log", "casework", "access_log",
          "Who read this case's personal data, when and why", CASES,
          response=s.AccessLogResultSchema, path_fields=CASE),
    Route("GET", "/follow-ups", "casework", "list_follow_ups",
          "Follow-ups due or overdue", CASES, query=s.ListFollowUpsSchema,
          response=s.FollowUpListSchema),
    Route("GET", "/clients", "casework", "list_clients", "Clients (no personal data)", CLIENTS,
          query=s.ListClientsSchema, response=s.ClientPageSchema),
    Route("GET", "/clients/<id>", "casework", "get_client",
          "One client; personal data only to their caseworker and supervisors, with a purpose",
          CLIENTS, query=_less(s.GetClientSchema, "client_id"), response=s.ClientDetailSchema,
          path_fields=CLIENT),
    Route("POST", "/clients/<id>/corrections", "casework", "correct_client_details",
          "Correct a client's details", CLIENTS,
          body=_less(s.CorrectClientDetailsSchema, "client_id"), response=s.ClientRefSchema,
          path_fields=CLIENT),
    Route("GET", "/clients/<id>/access-log", "casework", "access_log",
          "Who read this client's personal data, when and why", CLIENTS,
          response=s.AccessLogResultSchema, path_fields=CLIENT),
    Route("POST", "/clients/<id>/erasure-request", "casework", "request_erasure",
          "Ask for the client's personal data to be erased (a second person approves)",
          CLIENTS, body=_less(s.RequestErasureSchema, "client_id"),
          response=s.ErasureResultSchema, path_fields=CLIENT),
    Route("POST", "/clients/<id>/erasure-approval", "casework", "approve_erasure",
          "Approve an erasure (a supervisor who did not request it): the key is shredded",
          CLIENTS, response=s.ErasureResultSchema, path_fields=CLIENT),
    Route("POST", "/clients/<id>/erasure-rejection", "casework", "reject_erasure",
          "Reject an erasure request", CLIENTS, response=s.ErasureResultSchema,
          path_fields=CLIENT),
    Route("GET", "/casework/workload", "casework", "caseworker_workload",
          "Open cases and due follow-ups per caseworker", FIGURES, query=s.WorkloadSchema,
          response=s.WorkloadResultSchema),
    Route("GET", "/casework/stats", "casework", "casework_stats",
          "The centre's monthly casework figures", FIGURES, query=s.CaseworkStatsSchema,
          response=s.CaseworkStatsResultSchema),
]
