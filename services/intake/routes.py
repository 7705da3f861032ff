"""The helpline's HTTP endpoints, each one RPC of the intake service."""

from __future__ import annotations

from services.intake.outreach_routes import OUTREACH_ROUTES
from shared.routes import Route, changes

HELPLINE, ROSTER, FIGURES = "helpline", "roster", "figures"
CONTACT = "/contacts/<contact_id>"

# A step in a contact's handling: POST /contacts/<contact_id><path> -> the RPC.
CONTACT_CHANGES = (
    ("/screening", "screen_contact", "Record trafficking indicators and the assessment"),
    ("/close", "close_contact", "Close a contact with its outcome"),
    ("/case-link", "link_to_case", "Link the contact to a case casework opened"),
    ("/case-link/correction", "correct_case_link",
     "Correct a wrong link (supervisors; say why in `reason`)"),
)

ROUTES = [
    Route("POST", "/contacts", "log_contact", "Log a contact on any channel", HELPLINE,
          created="contact_id"),
    Route("GET", "/contacts", "list_contacts",
          "The contact log, newest first (codes and times only)", HELPLINE),
    Route("GET", CONTACT, "get_contact", "One contact with its personal data", HELPLINE),
    *changes(CONTACT, HELPLINE, *CONTACT_CHANGES),
    Route("POST", CONTACT + "/referral", "refer_to_casework",
          "Refer the person to casework (details sealed under a new subject key)", HELPLINE,
          created="person_subject_id"),
    Route("POST", "/missed-calls", "record_missed_call",
          "Record a missed call: it becomes a callback task", HELPLINE,
          created="missed_call_id"),
    Route("POST", "/missed-calls/<missed_call_id>/callback", "complete_callback",
          "Mark a callback done, with the contact it led to", HELPLINE),
    Route("GET", "/callbacks", "pending_callbacks", "Callbacks still to make", HELPLINE),
    Route("POST", "/shifts", "start_shift", "Start a helpline shift", ROSTER,
          created="shift_id"),
    Route("POST", "/shifts/<shift_id>/end", "end_shift", "End a helpline shift", ROSTER),
    Route("GET", "/helpline/on-duty", "on_duty", "Who is on duty (now or at `at`)", ROSTER),
    Route("GET", "/helpline/coverage", "coverage",
          "Gaps in 24/7 coverage between `from` and `to`", ROSTER),
    Route("GET", "/helpline/stats", "helpline_stats",
          "Monthly helpline figures (by channel, topic, language, outcome)", FIGURES),
    *OUTREACH_ROUTES,
]
