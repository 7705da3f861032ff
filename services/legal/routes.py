"""Legal's HTTP endpoints, each one RPC of the legal service.

Reads of personal data (a matter's caption and attorney, a letter's body) name their
`purpose` in the query string; the service decides who may see it and logs every such read.
"""

from __future__ import annotations

from shared.routes import Route, changes

MATTERS, DIARY, LETTERS, FIGURES = "legal matters", "legal diary", "legal letters", "figures"
M = "/legal/matters/<matter_id>"
HEARING, SESSION = "/legal/hearings/<hearing_id>", "/legal/sessions/<session_id>"
LETTER, DISCLOSURE = "/legal/letters/<letter_id>", "/legal/disclosures/<disclosure_id>"

# A change to a matter: POST /legal/matters/<matter_id><path> -> the RPC.
MATTER_CHANGES = (
    ("/details", "update_matter", "Record the docket, court, caption, standing or stage"),
    ("/lawyer", "assign_lawyer", "Assign the matter's lawyer (supervisors only)"),
    ("/representation", "organise_representation",
     "Record who represents the client (attorney personal data: sealed)"),
    ("/mediation-contacts", "record_mediation_contact",
     "Record a contact with police, a prosecutor or a court"),
    ("/deadlines", "set_deadline", "Set a deadline, on a date or days before a hearing"),
    ("/deadlines/outcome", "record_deadline_outcome", "Record a deadline as met or missed"),
    ("/close", "close_matter", "Close the matter with its outcome"),
)
# Something new in a matter: POST -> 201 with its id.
MATTER_ADDITIONS = (
    ("/hearings", "schedule_hearing", "hearing_id",
     "Set a hearing (booked in the lawyer's calendar; reminders 48 h and 24 h before)"),
    ("/sessions", "schedule_session", "session_id",
     "Book an accompaniment or a witness preparation (refused if the person is busy)"),
    ("/letters", "draft_letter", "letter_id",
     "Draft a letter from a template, in the client's language where one exists"),
    ("/disclosures", "share_with_authority", "disclosure_id",
     "Share a document or letter now, or prepare it: only on casework's consent now"),
)

ROUTES = [
    Route("POST", "/legal/matters", "open_matter", "Open a matter for a case", MATTERS,
          created="matter_id"),
    Route("GET", "/legal/matters", "list_matters", "Matters by kind, stage, status, lawyer",
          MATTERS),
    Route("GET", M, "get_matter",
          "One matter; personal data only to its lawyer, the case's caseworker and"
          " supervisors, with a purpose", MATTERS),
    *changes(M, MATTERS, *MATTER_CHANGES),
    *[Route("POST", M + path, rpc, summary, MATTERS, created=created)
      for path, rpc, created, summary in MATTER_ADDITIONS],
    *changes(HEARING, DIARY,
             ("/move", "move_hearing", "Move a hearing (the court did)"),
             ("/cancel", "cancel_hearing", "Cancel a hearing"),
             ("/protective-measures", "record_protective_measures",
              "Record the protective measures requested and granted"),
             ("/outcome", "record_hearing_outcome", "Record how the hearing went")),
    *changes(SESSION, DIARY,
             ("/move", "move_session", "Move a session"),
             ("/cancel", "cancel_session", "Cancel a session"),
             ("/done", "record_session_done", "Record a session as done (notes: sealed)")),
    *changes(LETTER, LETTERS,
             ("/send", "send_letter",
              "Send a letter (to an authority: only on casework's consent now)")),
    *changes(DISCLOSURE, LETTERS,
             ("/release", "release_disclosure",
              "Share a pending disclosure now (casework is asked again)"),
             ("/withdraw", "withdraw_disclosure", "Withdraw a pending disclosure")),
    Route("GET", "/legal/hearings", "hearings_this_week",
          "Hearings in a week (this one by default), for a lawyer or a caseworker", DIARY),
    Route("GET", HEARING, "get_hearing", "One hearing", DIARY),
    Route("GET", "/legal/deadlines", "deadlines_due", "Open deadlines due, overdue first", DIARY),
    Route("GET", "/legal/sessions", "list_sessions",
          "Sessions in a period (status=done: accompaniments done)", DIARY),
    Route("GET", "/legal/calendar", "staff_calendar", "A member of staff's bookings", DIARY),
    Route("GET", "/legal/letter-templates", "letter_templates",
          "Letter templates and their languages", LETTERS),
    Route("GET", LETTER, "get_letter",
          "One letter; its body only to those the policy names, with a purpose", LETTERS),
    Route("GET", "/legal/disclosures", "list_disclosures",
          "Disclosures of a case or matter, with the consent each relied on", LETTERS),
    Route("GET", DISCLOSURE, "get_disclosure", "One disclosure", LETTERS),
    Route("GET", "/legal/figures", "matter_figures", "Matters by kind and stage, or outcome",
          FIGURES),
]
