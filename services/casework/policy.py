"""Who may do what in casework: its access policy, one row per group of callers.

The shell admits callers by this table, and the API documentation shows it. Which case a
caseworker may change, and whose personal data they may read, is decided per record in
the domain (domain/access.py): the assigned caseworker and supervisors.
"""

from __future__ import annotations

from services.casework.domain.access import PERSONAL_DATA
from shared.auth import ROLES
from shared.policy import Allow, Policy

WRITE = ("caseworker", "supervisor")
READ = (*WRITE, "auditor", "ops")  # personal data only to the case's caseworker and supervisors

POLICY = Policy(
    Allow(WRITE, "open_case update_case_facts assign_caseworker change_phase"
                 " change_identification start_reflection_period record_consent revoke_consent"
                 " record_service add_plan_objective add_plan_action complete_plan_action"
                 " complete_plan_objective schedule_follow_up complete_follow_up list_follow_ups"
                 " add_note request_shelter_placement request_legal_assistance close_case"
                 " reopen_case correct_client_details request_erasure"),
    Allow(READ, "get_case get_client", personal=PERSONAL_DATA.describe() + ", who name a purpose"),
    Allow(READ, "list_cases list_clients caseworker_workload casework_stats"),
    Allow((*WRITE, "lawyer"), "may_share"),
    Allow(("supervisor", "auditor"), "access_log"),
    # Every role: a reference and an id are both the case's number, not personal data; the
    # gateway asks only for a caller whose role may call the route naming the case.
    Allow(ROLES, "case_id_of"),
    Allow(("caseworker", "supervisor", "auditor"), "case_placements"),  # shelter codes only
    Allow(("supervisor",), "approve_erasure reject_erasure confirm_assignment review_duplicate"
                           " review_emergency_access review_queue"),
    # The grant answers with its terms, not with personal data: the data is then read through
    # get_case and get_client, whose rows name the emergency relation.
    Allow(("caseworker",), "break_the_glass"),
)
