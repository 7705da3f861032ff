"""Notifications' HTTP endpoints, each one RPC of the notifications service."""

from __future__ import annotations

from shared.routes import Route

INBOX, ROSTER, OPERATIONS = "inbox", "on-call", "notifications"

ROUTES = [
    Route("GET", "/inbox", "inbox", "My notifications, newest first; unread only by default",
          INBOX),
    Route("POST", "/inbox/<alert_id>/acknowledge", "acknowledge",
          "I have it: escalation stops, and all it went to see who and when", INBOX),
    Route("GET", "/alerts/open", "open_alerts", "Alerts nobody has acknowledged yet, oldest"
          " first", OPERATIONS),
    Route("GET", "/on-call", "on_call", "Who is on call (now, or at `at`)", ROSTER),
    Route("POST", "/on-call", "put_on_call", "Put a caseworker on call", ROSTER,
          created="shift_id"),
    Route("POST", "/on-call/<shift_id>/end", "end_on_call", "End an on-call shift early", ROSTER),
    Route("GET", "/notifications/deliveries", "deliveries", "E-mails and webhook calls, and"
          " how each went, newest first", OPERATIONS),
    Route("POST", "/notifications/webhook-targets/<target>/enable", "enable_webhook_target",
          "Call a webhook target again after it answered 410 Gone", OPERATIONS),
]
