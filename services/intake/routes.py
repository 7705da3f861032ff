"""The helpline's HTTP endpoints, each one RPC of the intake service."""

from __future__ import annotations

from shared.routes import Route

HELPLINE, ROSTER, FIGURES = "helpline", "roster", "figures"

ROUTES = [
    Route("POST", "/contacts", "log_contact", "Log a contact on any channel", HELPLINE,
          status=201, created="contact_id"),
    Route("GET", "/contacts", "list_contacts",
          "The contact log, newest first (codes and times only)", HELPLINE),
    Route("GET", "/contacts/<contact_id>", "get_contact", "One contact with its personal data",
          HELPLINE),
    Route("POST", "/contacts/<contact_id>/screening", "screen_contact",
          "Record trafficking indicators and the assessment", HELPLINE),
    Route("POST", "/contacts/<contact_id>/close", "close_contact",
          "Close a contact with its outcome", HELPLINE),
    Route("POST", "/contacts/<contact_id>/referral", "refer_to_casework",
          "Refer the person to casework (details sealed under a new subject key)", HELPLINE,
          status=201, created="person_subject_id"),
    Route("POST", "/contacts/<contact_id>/case-link", "link_to_case",
          "Link the contact to a case casework opened", HELPLINE),
    Route("POST", "/contacts/<contact_id>/case-link/correction", "correct_case_link",
          "Correct a wrong link (supervisors; say why in `reason`)", HELPLINE),
    Route("POST", "/missed-calls", "record_missed_call",
          "Record a missed call: it becomes a callback task", HELPLINE, status=201,
          created="missed_call_id"),
    Route("POST", "/missed-calls/<missed_call_id>/callback", "complete_callback",
          "Mark a callback done, with the contact it led to", HELPLINE),
    Route("GET", "/callbacks", "pending_callbacks", "Callbacks still to make", HELPLINE),
    Route("POST", "/shifts", "start_shift", "Start a helpline shift", ROSTER, status=201,
          created="shift_id"),
    Route("POST", "/shifts/<shift_id>/end", "end_shift", "End a helpline shift", ROSTER),
    Route("GET", "/helpline/on-duty", "on_duty", "Who is on duty (now or at `at`)", ROSTER),
    Route("GET", "/helpline/coverage", "coverage",
          "Gaps in 24/7 coverage between `from` and `to`", ROSTER),
    Route("GET", "/helpline/stats", "helpline_stats",
          "Monthly helpline figures (by channel, topic, language, outcome)", FIGURES),
]
