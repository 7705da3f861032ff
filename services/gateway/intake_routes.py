"""The helpline's endpoints, each one RPC on the intake service."""

from __future__ import annotations

from services.gateway.routes import Route
from services.intake import schemas as s

TAG = "helpline"
CONTACT = {"id": "contact_id"}


def _body(schema: type, *path_fields: str) -> object:
    """The body a route takes: the service's input schema less what the path carries."""
    return schema(exclude=path_fields) if path_fields else schema


ROUTES = [
    Route("POST", "/contacts", "intake", "log_contact", "Log a contact on any channel", TAG,
          body=s.LogContactSchema, response=s.ContactRefSchema, status=201,
          created="contact_id"),
    Route("GET", "/contacts", "intake", "list_contacts",
          "The contact log, newest first (codes and times only)", TAG,
          query=s.ListContactsSchema, response=s.ContactPageSchema),
    Route("GET", "/contacts/<id>", "intake", "get_contact",
          "One contact with its personal data (desk and caseworkers)", TAG,
          response=s.ContactDetailSchema, path_fields=CONTACT),
    Route("POST", "/contacts/<id>/screening", "intake", "screen_contact",
          "Record trafficking indicators and the assessment", TAG,
          body=_body(s.ScreenContactSchema, "contact_id"), response=s.ContactRefSchema,
          path_fields=CONTACT),
    Route("POST", "/contacts/<id>/close", "intake", "close_contact",
          "Close a contact with its outcome", TAG,
          body=_body(s.CloseContactSchema, "contact_id"), response=s.ContactRefSchema,
          path_fields=CONTACT),
    Route("POST", "/contacts/<id>/referral", "intake", "refer_to_casework",
          "Refer the person to casework (details sealed under a new subject key)", TAG,
          body=_body(s.ReferToCaseworkSchema, "contact_id"), response=s.ReferralResultSchema,
          status=201, path_fields=CONTACT, created="person_subject_id"),
    Route("POST", "/contacts/<id>/case-link", "intake", "link_to_case",
          "Link the contact to an existing case", TAG,
          body=_body(s.LinkToCaseSchema, "contact_id"), response=s.ContactRefSchema,
          path_fields=CONTACT),
    Route("POST", "/missed-calls", "intake", "record_missed_call",
          "Record a missed call: it becomes a callback task", TAG,
          body=s.RecordMissedCallSchema, response=s.MissedCallRefSchema, status=201,
          created="missed_call_id"),
    Route("POST", "/missed-calls/<id>/callback", "intake", "complete_callback",
          "Mark a callback done, with the contact it led to", TAG,
          body=_body(s.CompleteCallbackSchema, "missed_call_id"),
          response=s.MissedCallRefSchema, path_fields={"id": "missed_call_id"}),
    Route("GET", "/callbacks", "intake", "pending_callbacks", "Callbacks still to make", TAG,
          query=s.PendingCallbacksSchema, response=s.PendingCallbacksResultSchema),
    Route("POST", "/shifts", "intake", "start_shift", "Start a helpline shift", "roster",
          body=s.StartShiftSchema, response=s.ShiftRefSchema, status=201, created="shift_id"),
    Route("POST", "/shifts/<id>/end", "intake", "end_shift", "End a helpline shift", "roster",
          body=_body(s.EndShiftSchema, "shift_id"), response=s.ShiftRefSchema,
          path_fields={"id": "shift_id"}),
    Route("GET", "/helpline/on-duty", "intake", "on_duty", "Who is on duty (now or at `at`)",
          "roster", query=s.OnDutySchema, response=s.OnDutyResultSchema),
    Route("GET", "/helpline/coverage", "intake", "coverage",
          "Gaps in 24/7 coverage between `from` and `to`", "roster",
          query=s.CoverageSchema, response=s.CoverageResultSchema),
    Route("GET", "/helpline/stats", "intake", "helpline_stats",
          "Monthly helpline figures (by channel, topic, language, outcome)", "figures",
          query=s.HelplineStatsSchema, response=s.HelplineStatsResultSchema),
]
