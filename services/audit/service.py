"""audit over nameko RPC: auditors (and supervisors) read case histories, past states,
access to personal data and the stores' integrity. Nothing here writes, and personal data
is always masked: a reveal is a recorded, supervisor-only act of the `haven audit` CLI.

Each store is read directly and read-only (shared.audit_trail); the process needs SELECT
on every service's schema, and its own `audit` schema for the shell's refusal log.
"""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from services.audit import schemas as s
from services.audit.reader import AuditReader, AuditTrail
from shared.audit import CommandContext
from shared.audit_trail.reveals import RevealLog
from shared.shell import ApplicationProvider, Metrics, entrypoint

Data = dict[str, Any]
AUDIT = ("auditor", "supervisor")


class AuditService:
    name = "audit"
    app: RevealLog = ApplicationProvider(RevealLog)  # type: ignore[assignment]
    trail: AuditReader = AuditTrail()  # type: ignore[assignment]
    metrics = Metrics()

    @rpc
    @entrypoint(roles=AUDIT, schema=s.CaseRefSchema)
    def case_history(self, ctx: CommandContext, data: Data) -> Data:
        return s.CaseHistorySchema().dump(self.trail.history(data["reference"]))

    @rpc
    @entrypoint(roles=AUDIT, schema=s.ReplayInputSchema)
    def replay_case(self, ctx: CommandContext, data: Data) -> Data:
        return s.CaseReplaySchema().dump(self.trail.replay(data["reference"], data["as_of"]))

    @rpc
    @entrypoint(roles=AUDIT, schema=s.CaseRefSchema)
    def case_access(self, ctx: CommandContext, data: Data) -> Data:
        return s.CaseAccessSchema().dump(self.trail.access(data["reference"]))

    @rpc
    @entrypoint(roles=AUDIT, schema=s.VerifyInputSchema)
    def verify_stores(self, ctx: CommandContext, data: Data) -> Data:
        return s.VerifyResultSchema().dump(self.trail.verify(data["service"]))


SERVICE = AuditService
