"""Who may do what at the helpline: intake's access policy, one row per group of callers.

The shell admits callers by this table, and the API documentation shows it.
"""

from __future__ import annotations

from services.intake.access import CALLBACK_NUMBERS, CONTACT_DATA
from shared.policy import Allow, Policy

DESK = ("helpline_operator", "supervisor")  # write contacts; see callback numbers
READ_CONTACT = (*DESK, "caseworker")  # a contact's personal data, for a referral's follow-up
CONTACT_LOG = (*READ_CONTACT, "auditor")  # codes and times only
ROSTER = (*DESK, "ops")  # is the helpline answered
FIGURES = (*DESK, "ops", "auditor")
OUTREACH = (*READ_CONTACT, "lawyer")  # who consults bodies and runs prevention work

POLICY = Policy(
    Allow(DESK, "log_contact screen_contact close_contact refer_to_casework"
                " record_missed_call complete_callback start_shift end_shift"),
    Allow(DESK, "pending_callbacks", personal=CALLBACK_NUMBERS.describe()),
    Allow(READ_CONTACT, "get_contact", personal=CONTACT_DATA.describe()),
    Allow(("supervisor",), "correct_case_link"),
    # Linked, a contact goes to the case's caseworker: who knows the call links it
    # (links.py: its operator while it is open), never the caseworker who would read it.
    Allow(DESK, "link_to_case"),
    Allow(CONTACT_LOG, "list_contacts"),
    Allow(ROSTER, "on_duty coverage"),
    Allow(FIGURES, "helpline_stats"),
    Allow(OUTREACH, "record_consultation complete_consultation_follow_up"
                    " record_prevention_activity"),  # no personal data: codes and counts
    Allow((*OUTREACH, "ops", "auditor"), "list_consultations list_prevention_activities"
                                         " outreach_stats"),
    Allow(("supervisor",), "withdraw_outreach_record"),
)
