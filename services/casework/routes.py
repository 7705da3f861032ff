"""Casework's HTTP endpoints: cases and clients, each one RPC of the casework service.

Reads of personal data name their `purpose` in the query string; the service decides who
may see it and records every such read in the client's access log.
"""

from __future__ import annotations

from shared.routes import Route, changes

CASES, CLIENTS, FIGURES = "cases", "clients", "figures"

CASE, CLIENT = "/cases/<case_id>", "/clients/<client_id>"

# A change to a case: POST /cases/<case_id><path> -> the RPC, answered with the case's version.
CASE_CHANGES = (
    ("/facts", "update_case_facts", "Correct the case's facts"),
    ("/assignment", "assign_caseworker", "Assign or transfer the case"),
    ("/status", "change_phase", "Move the case to Active or FollowUp"),
    ("/identification", "change_identification",
     "Record the trafficking status and who decided it"),
    ("/reflection-period", "start_reflection_period", "Start the reflection and recovery period"),
    ("/consents", "record_consent",
     "Record consent (granted or refused) for a purpose and recipient"),
    ("/consents/revocation", "revoke_consent", "Revoke a consent"),
    ("/services", "record_service", "Record a service delivered"),
    ("/plan/objectives", "add_plan_objective", "Add a case-plan objective"),
    ("/plan/actions", "add_plan_action", "Add an action to an objective"),
    ("/plan/actions/completion", "complete_plan_action", "Mark a plan action done"),
    ("/plan/objectives/completion", "complete_plan_objective", "Mark a plan objective reached"),
    ("/follow-ups", "schedule_follow_up", "Schedule a follow-up"),
    ("/follow-ups/completion", "complete_follow_up", "Record a follow-up as done"),
    ("/notes", "add_note", "Add a note (personal data)"),
    ("/shelter-requests", "request_shelter_placement", "Ask the shelter service for a placement"),
    ("/legal-requests", "request_legal_assistance", "Ask the legal service for assistance"),
    ("/close", "close_case", "Close the case with a reason"),
    ("/reopen", "reopen_case", "Reopen a closed case"),
    ("/duplicate-review", "review_duplicate", "Settle a possible-duplicate flag (supervisors)"),
    ("/assignment/confirmation", "confirm_assignment",
     "Confirm the assigned caseworker: from now on they see the person's data"),
    ("/emergency-access", "break_the_glass",
     "Emergency access to the person's data: with a reason, for a limited time, announced"
     " to supervisors"),
    ("/emergency-access/review", "review_emergency_access",
     "Confirm or flag an emergency access after the fact (supervisors)"),
)

# A change to a client: POST /clients/<client_id><path> -> the RPC.
CLIENT_CHANGES = (
    ("/corrections", "correct_client_details", "Correct a client's details"),
    ("/erasure-request", "request_erasure",
     "Ask for the client's personal data to be erased (a second person approves)"),
    ("/erasure-approval", "approve_erasure",
     "Approve an erasure (a supervisor who did not request it): the key is shredded"),
    ("/erasure-rejection", "reject_erasure", "Reject an erasure request"),
)

ROUTES = [
    Route("POST", "/cases", "open_case",
          "Open a case for a known client or a newly described person", CASES,
          created="case_id"),
    Route("GET", "/cases", "list_cases",
          "Case list (status, caseworker, country, exploitation type, urgency)", CASES),
    Route("GET", CASE, "get_case",
          "One case; personal data only to its caseworker and supervisors, with a purpose",
          CASES),
    *changes(CASE, CASES, *CASE_CHANGES),
    Route("GET", CASE + "/may-share", "may_share",
          "May we share with this recipient on this date?", CASES),
    Route("GET", CASE + "/access-log", "access_log",
          "Who read this case's personal data, when and why", CASES),
    Route("GET", CASE + "/placements", "case_placements",
          "Where the case's person is lodged: the shelters' answers (never an address)", CASES),
    Route("GET", "/follow-ups", "list_follow_ups", "Follow-ups due or overdue", CASES),
    Route("GET", "/clients", "list_clients", "Clients (no personal data)", CLIENTS),
    Route("GET", CLIENT, "get_client",
          "One client; personal data only to their caseworker and supervisors, with a purpose",
          CLIENTS),
    Route("GET", CLIENT + "/access-log", "access_log",
          "Who read this client's personal data, when and why", CLIENTS),
    *changes(CLIENT, CLIENTS, *CLIENT_CHANGES),
    Route("GET", "/casework/reviews", "review_queue",
          "What waits for a supervisor: assignments to confirm, possible duplicates,"
          " emergency accesses", FIGURES),
    Route("GET", "/casework/workload", "caseworker_workload",
          "Open cases and due follow-ups per caseworker", FIGURES),
    Route("GET", "/casework/stats", "casework_stats", "The centre's monthly casework figures",
          FIGURES),
]
