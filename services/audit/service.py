"""audit over nameko: auditors (and supervisors) read case histories, past states, access
to personal data and the stores' integrity. Nothing here writes, and personal data is
always masked: a reveal is a recorded, supervisor-only act of the `haven audit` CLI.

Each store is read directly and read-only (shared.audit_trail); the process needs SELECT
on every service's schema, and its own `audit` schema for the shell's refusal log.
"""

from __future__ import annotations

from services.audit import schemas as s
from services.audit.policy import POLICY
from services.audit.reader import AuditReader, AuditTrail
from shared.service import HavenService, expose


class AuditService(HavenService):
    name = "audit"
    policy = POLICY
    trail = AuditTrail()

    case_history = expose(AuditReader.case_history, s.CaseRefSchema, s.CaseHistorySchema, on="trail")
    replay_case = expose(AuditReader.replay_case, s.ReplayInputSchema, s.CaseReplaySchema, on="trail")
    case_access = expose(AuditReader.case_access, s.CaseRefSchema, s.CaseAccessSchema, on="trail")
    verify_stores = expose(AuditReader.verify_stores, s.VerifyInputSchema, s.VerifyResultSchema, on="trail")
