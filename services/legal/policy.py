"""Who may do what in legal: its access policy, one row per group of callers.

The shell admits callers by this table, and the API documentation shows it. Which matter a
lawyer may change, whose time a caseworker may book and who reads a case's personal data
is decided per record in the domain (domain/access.py): the matter's lawyer, the case's
caseworker and supervisors. Only supervisors assign a matter's lawyer.
"""

from __future__ import annotations

from services.legal.domain.access import PERSONAL_DATA
from shared.policy import Allow, Policy

LEGAL = ("lawyer", "supervisor")  # the legal work on a matter
STAFF = (*LEGAL, "caseworker")  # preparing a client for a hearing, going with them
FIGURES = (*STAFF, "auditor", "ops")  # codes and times only

POLICY = Policy(
    # Who is a matter's lawyer decides who reads its personal data: a supervisor's call
    # (domain/access.py check_may_assign is the rule of record; this row says it too).
    Allow(("supervisor",), "assign_lawyer"),
    Allow(LEGAL, "open_matter update_matter organise_representation"
                 " record_mediation_contact set_deadline record_deadline_outcome close_matter"
                 " schedule_hearing move_hearing cancel_hearing record_protective_measures"
                 " record_hearing_outcome draft_letter send_letter share_with_authority"
                 " release_disclosure withdraw_disclosure"),
    Allow(STAFF, "schedule_session move_session cancel_session record_session_done"
                 " staff_calendar deadlines_due get_hearing letter_templates get_disclosure"
                 " list_disclosures"),
    Allow(STAFF, "get_matter get_letter", personal=PERSONAL_DATA.describe()),
    Allow(FIGURES, "list_matters matter_figures hearings_this_week list_sessions"),
)
