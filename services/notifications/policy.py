"""Who may do what in notifications: its access policy, one row per group of callers.

Everyone who works with cases has an inbox. Whether a caller may acknowledge a given alert
is decided per alert in the domain (domain/alerts.py): a supervisor; for an alert about a
case, the caseworker a supervisor confirmed on it; for any other, someone it was sent to.
Nothing here returns personal data: there is none.
"""

from __future__ import annotations

from shared.policy import Allow, Policy

STAFF = ("helpline_operator", "caseworker", "shelter_staff", "lawyer", "supervisor", "ops",
         "admin")
ON_CALL_READERS = ("helpline_operator", "caseworker", "supervisor", "ops")
WATCH = ("supervisor", "ops")  # what is still unacknowledged, what failed to go out

POLICY = Policy(
    Allow(STAFF, "inbox acknowledge"),
    Allow(("supervisor",), "put_on_call end_on_call"),
    Allow(ON_CALL_READERS, "on_call"),
    Allow(WATCH, "open_alerts deliveries enable_webhook_target"),
)
