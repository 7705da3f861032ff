"""The auditors' HTTP endpoints: read-only, each one RPC of the audit service."""

from __future__ import annotations

from shared.routes import Route

AUDIT = "audit"
CASE = "/audit/cases/<reference>"  # a case's id or its reference (KC-2026-0042)

ROUTES = [
    Route("GET", CASE + "/history", "case_history",
          "Everything stored about a case, in every service, oldest first (personal data"
          " masked)", AUDIT),
    Route("GET", CASE + "/replay", "replay_case",
          "The case as it stood at `as_of`, rebuilt from its stored events only", AUDIT),
    Route("GET", CASE + "/access", "case_access",
          "Who read the case's personal data, when, and for what purpose", AUDIT),
    Route("GET", "/audit/verify", "verify_stores",
          "Recompute every store's hash chains and check them against its checkpoints", AUDIT),
]
