"""Who may audit: auditors and supervisors read every case's history, never personal data
(a reveal is a recorded, supervisor-only act of the `haven audit` command line)."""

from __future__ import annotations

from shared.policy import Allow, Policy

POLICY = Policy(
    Allow(("auditor", "supervisor"), "case_history replay_case case_access verify_stores"),
)
