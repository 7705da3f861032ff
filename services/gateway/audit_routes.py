"""The auditors' endpoints: read-only, each one RPC on the audit service."""

from __future__ import annotations

from services.audit import schemas as s
from services.gateway.routes import Route

TAG = "audit"
CASE = {"ref": "reference"}

ROUTES = [
    Route("GET", "/audit/cases/<ref>/history", "audit", "case_history",
          "Everything stored about a case, in every service, oldest first (personal data"
          " masked)", TAG, response=s.CaseHistorySchema, path_fields=CASE),
    Route("GET", "/audit/cases/<ref>/replay", "audit", "replay_case",
          "The case as it stood at `as_of`, rebuilt from its stored events only", TAG,
          query=s.ReplayInputSchema(exclude=("reference",)), response=s.CaseReplaySchema,
          path_fields=CASE),
    Route("GET", "/audit/cases/<ref>/access", "audit", "case_access",
          "Who read the case's personal data, when, and for what purpose", TAG,
          response=s.CaseAccessSchema, path_fields=CASE),
    Route("GET", "/audit/verify", "audit", "verify_stores",
          "Recompute every store's hash chains and check them against its checkpoints", TAG,
          query=s.VerifyInputSchema, response=s.VerifyResultSchema),
]
