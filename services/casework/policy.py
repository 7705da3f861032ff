"""Who may do what in casework: its access policy, one row per group of callers.

The shell admits callers by this table, and the API documentation shows it. Which case a
caseworker may change, and whose personal data they may read, is decided per record in
the domain (domain/access.py): the assigned caseworker and supervisors.
"""

from __future__ import annotations

from shared.policy import Allow, Policy

WRITE = ("caseworker", "supervisor")
READ = (*WRITE, "auditor", "ops")  # personal data only to the case's caseworker and supervisors

POLICY = Policy(
    Allow(WRITE, "open_case update_case_facts assign_caseworker change_phase"
                 " change_identification start_reflection_period record_consent revoke_consent"
                 " record_service add_plan_objective add_plan_action complete_plan_action"
                 " complete_plan_objective schedule_follow_up complete_follow_up list_follow_ups"
                 " add_note request_shelter_placement request_legal_assistance close_case"
                 " reopen_case review_duplicate correct_client_details request_erasure"),
    Allow(READ, "get_case get_client",
          personal="the case's assigned caseworker and supervisors, who name a purpose"),
    Allow(READ, "list_cases list_clients caseworker_workload casework_stats"),
    Allow((*WRITE, "lawyer"), "may_share"),
    Allow(("supervisor", "auditor"), "access_log"),
    Allow(("supervisor",), "approve_erasure reject_erasure"),
)
