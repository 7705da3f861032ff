"""casework over nameko: the caseworkers' and supervisors' RPCs, the dashboards'
figures, and the consumer of the helpline's referrals.

Each RPC: the shell authenticates, authorises and validates (schemas.py), then one
call into the application or the read models, and the answer dumped through its
output schema (plain JSON: ISO times, string ids).

Roles:
- caseworker, supervisor: open and change cases (a caseworker only their own cases,
  or an unassigned one they take); see personal data of their own cases (supervisors:
  of every case), each read recorded in the client's access log.
- auditor, ops: read cases, clients and figures without personal data.
- lawyer: asks whether a client consented to sharing (legal's documents to authorities).
- supervisor alone: approve or reject an erasure; with auditors, read the access log.
"""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from services.casework import schemas as s
from services.casework.application import Casework
from services.casework.projections import projections
from services.casework.queries import CaseworkViews
from shared.audit import CommandContext
from shared.consumers import IdempotentConsumer, event_handler
from shared.projections import ReadModels
from shared.shell import ApplicationProvider, Metrics, entrypoint

Data = dict[str, Any]

WRITE = ("caseworker", "supervisor")
READ = (*WRITE, "auditor", "ops")  # personal data only to the case's caseworker and supervisors
CONSENT = (*WRITE, "lawyer")
SUPERVISE = ("supervisor",)
AUDIT = ("supervisor", "auditor")


class CaseworkService:
    name = "casework"
    app: Casework = ApplicationProvider(Casework)  # type: ignore[assignment]
    read_models: CaseworkViews = ReadModels(projections, CaseworkViews)  # type: ignore[assignment]
    metrics = Metrics()

    # -- the helpline's referrals ------------------------------------------------------------
    @event_handler("intake", "ReferredToCasework")
    def on_referred_to_casework(self, body: Data) -> None:
        IdempotentConsumer(self.app).handle(body, self.app.open_case_from_referral)

    # -- cases -----------------------------------------------------------------------------------
    @rpc
    @entrypoint(roles=WRITE, schema=s.OpenCaseSchema)
    def open_case(self, ctx: CommandContext, data: Data) -> Data:
        return s.OpenedCaseSchema().dump(self.app.open_case(ctx, **data))

    @rpc
    @entrypoint(roles=READ, schema=s.GetCaseSchema)
    def get_case(self, ctx: CommandContext, data: Data) -> Data:
        return s.CaseDetailSchema().dump(self.app.case_detail(ctx, **data))

    @rpc
    @entrypoint(roles=READ, schema=s.ListCasesSchema)
    def list_cases(self, ctx: CommandContext, data: Data) -> Data:
        return s.CasePageSchema().dump(self.read_models.case_list(**data))

    def _change(self, command: str, ctx: CommandContext, data: Data) -> Data:
        return s.CaseRefSchema().dump(getattr(self.app, command)(ctx, **data))

    @rpc
    @entrypoint(roles=WRITE, schema=s.UpdateCaseFactsSchema)
    def update_case_facts(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("update_case_facts", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.AssignCaseworkerSchema)
    def assign_caseworker(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("assign_caseworker", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.ChangePhaseSchema)
    def change_phase(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("change_phase", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.ChangeIdentificationSchema)
    def change_identification(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("change_identification", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.StartReflectionPeriodSchema)
    def start_reflection_period(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("start_reflection_period", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.RecordConsentSchema)
    def record_consent(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("record_consent", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.RevokeConsentSchema)
    def revoke_consent(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("revoke_consent", ctx, data)

    @rpc
    @entrypoint(roles=CONSENT, schema=s.MayShareSchema)
    def may_share(self, ctx: CommandContext, data: Data) -> Data:
        return s.MayShareResultSchema().dump(self.app.may_share(**data))

    @rpc
    @entrypoint(roles=WRITE, schema=s.RecordServiceSchema)
    def record_service(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("record_service", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.AddPlanObjectiveSchema)
    def add_plan_objective(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("add_plan_objective", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.AddPlanActionSchema)
    def add_plan_action(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("add_plan_action", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.CompletePlanActionSchema)
    def complete_plan_action(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("complete_plan_action", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.CompletePlanObjectiveSchema)
    def complete_plan_objective(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("complete_plan_objective", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.ScheduleFollowUpSchema)
    def schedule_follow_up(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("schedule_follow_up", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.CompleteFollowUpSchema)
    def complete_follow_up(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("complete_follow_up", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.ListFollowUpsSchema)
    def list_follow_ups(self, ctx: CommandContext, data: Data) -> Data:
        return s.FollowUpListSchema().dump(self.read_models.follow_ups(self.app.clock(), **data))

    @rpc
    @entrypoint(roles=WRITE, schema=s.AddNoteSchema)
    def add_note(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("add_note", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.RequestShelterPlacementSchema)
    def request_shelter_placement(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("request_shelter_placement", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.RequestLegalAssistanceSchema)
    def request_legal_assistance(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("request_legal_assistance", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.CloseCaseSchema)
    def close_case(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("close_case", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.ReopenCaseSchema)
    def reopen_case(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("reopen_case", ctx, data)

    @rpc
    @entrypoint(roles=WRITE, schema=s.ReviewDuplicateSchema)
    def review_duplicate(self, ctx: CommandContext, data: Data) -> Data:
        return self._change("review_duplicate", ctx, data)

    @rpc
    @entrypoint(roles=AUDIT, schema=s.AccessLogSchema)
    def access_log(self, ctx: CommandContext, data: Data) -> Data:
        return s.AccessLogResultSchema().dump({"items": self.app.access_log(**data)})

    # -- clients and erasure -------------------------------------------------------------------
    @rpc
    @entrypoint(roles=READ, schema=s.GetClientSchema)
    def get_client(self, ctx: CommandContext, data: Data) -> Data:
        return s.ClientDetailSchema().dump(self.app.client_detail(ctx, **data))

    @rpc
    @entrypoint(roles=READ, schema=s.ListClientsSchema)
    def list_clients(self, ctx: CommandContext, data: Data) -> Data:
        return s.ClientPageSchema().dump(self.read_models.client_list(**data))

    @rpc
    @entrypoint(roles=WRITE, schema=s.CorrectClientDetailsSchema)
    def correct_client_details(self, ctx: CommandContext, data: Data) -> Data:
        return s.ClientRefSchema().dump(self.app.correct_client_details(ctx, **data))

    @rpc
    @entrypoint(roles=WRITE, schema=s.RequestErasureSchema)
    def request_erasure(self, ctx: CommandContext, data: Data) -> Data:
        return s.ErasureResultSchema().dump(self.app.request_erasure(ctx, **data))

    @rpc
    @entrypoint(roles=SUPERVISE, schema=s.ClientIdSchema)
    def approve_erasure(self, ctx: CommandContext, data: Data) -> Data:
        return s.ErasureResultSchema().dump(self.app.approve_erasure(ctx, **data))

    @rpc
    @entrypoint(roles=SUPERVISE, schema=s.ClientIdSchema)
    def reject_erasure(self, ctx: CommandContext, data: Data) -> Data:
        return s.ErasureResultSchema().dump(self.app.reject_erasure(ctx, **data))

    # -- figures ----------------------------------------------------------------------------------
    @rpc
    @entrypoint(roles=READ, schema=s.WorkloadSchema)
    def caseworker_workload(self, ctx: CommandContext, data: Data) -> Data:
        return s.WorkloadResultSchema().dump(self.read_models.workload(self.app.clock(), **data))

    @rpc
    @entrypoint(roles=READ, schema=s.CaseworkStatsSchema)
    def casework_stats(self, ctx: CommandContext, data: Data) -> Data:
        return s.CaseworkStatsResultSchema().dump(
            self.read_models.monthly_figures(data["month"], self.app.clock()))


SERVICE = CaseworkService
