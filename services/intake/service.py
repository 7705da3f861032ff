"""intake over nameko RPC: the helpline desk's and the dashboards' entry points.

Each method: the shell authenticates, authorises and validates (schemas.py),
then one call into the application or the read models, and the answer dumped
through its output schema (plain JSON: ISO times, string ids).
"""

from __future__ import annotations

from typing import Any

from nameko.rpc import rpc

from services.intake import schemas as s
from services.intake.application import Intake
from services.intake.projections import IntakeViews, projections
from shared.audit import CommandContext
from shared.consumers import IdempotentConsumer, event_handler
from shared.projections import ReadModels
from shared.shell import ApplicationProvider, Metrics, entrypoint

Data = dict[str, Any]

DESK = ("helpline_operator", "supervisor")  # write contacts; see callback numbers
READ_CONTACT = (*DESK, "caseworker")  # a contact's personal data, for a referral's follow-up
CONTACT_LOG = (*READ_CONTACT, "auditor")  # codes and times only
ROSTER = (*DESK, "ops")  # is the helpline answered
FIGURES = (*DESK, "ops", "auditor")


class IntakeService:
    name = "intake"
    app: Intake = ApplicationProvider(Intake)  # type: ignore[assignment]
    read_models: IntakeViews = ReadModels(projections, IntakeViews)  # type: ignore[assignment]
    metrics = Metrics()

    # -- facts from casework ----------------------------------------------------------
    @event_handler("casework", "CaseOpened")
    def on_case_opened(self, body: Data) -> None:
        IdempotentConsumer(self.app).handle(body, self.app.link_contact_to_opened_case)

    @event_handler("casework", "SubjectErased")
    def on_subject_erased(self, body: Data) -> None:
        IdempotentConsumer(self.app).handle(body, self.app.erase_contacts_of_erased_subject)

    # -- contacts ---------------------------------------------------------------------
    @rpc
    @entrypoint(roles=DESK, schema=s.LogContactSchema)
    def log_contact(self, ctx: CommandContext, data: Data) -> Data:
        return s.ContactRefSchema().dump({"contact_id": self.app.log_contact(ctx, **data)})

    @rpc
    @entrypoint(roles=READ_CONTACT, schema=s.ContactIdSchema)
    def get_contact(self, ctx: CommandContext, data: Data) -> Data:
        return s.ContactDetailSchema().dump(self.app.get_contact(data["contact_id"]))

    @rpc
    @entrypoint(roles=CONTACT_LOG, schema=s.ListContactsSchema)
    def list_contacts(self, ctx: CommandContext, data: Data) -> Data:
        return s.ContactPageSchema().dump(self.read_models.contact_log(**data))

    @rpc
    @entrypoint(roles=DESK, schema=s.ScreenContactSchema)
    def screen_contact(self, ctx: CommandContext, data: Data) -> Data:
        self.app.screen_contact(ctx, **data)
        return s.ContactRefSchema().dump(data)

    @rpc
    @entrypoint(roles=DESK, schema=s.CloseContactSchema)
    def close_contact(self, ctx: CommandContext, data: Data) -> Data:
        self.app.close_contact(ctx, **data)
        return s.ContactRefSchema().dump(data)

    @rpc
    @entrypoint(roles=DESK, schema=s.ReferToCaseworkSchema)
    def refer_to_casework(self, ctx: CommandContext, data: Data) -> Data:
        subject_id = self.app.refer_to_casework(ctx, **data)
        return s.ReferralResultSchema().dump({**data, "person_subject_id": subject_id})

    @rpc
    @entrypoint(roles=READ_CONTACT, schema=s.LinkToCaseSchema)
    def link_to_case(self, ctx: CommandContext, data: Data) -> Data:
        self.app.link_to_case(ctx, **data)
        return s.ContactRefSchema().dump(data)

    # -- missed calls -------------------------------------------------------------------
    @rpc
    @entrypoint(roles=DESK, schema=s.RecordMissedCallSchema)
    def record_missed_call(self, ctx: CommandContext, data: Data) -> Data:
        missed_call_id = self.app.record_missed_call(ctx, **data)
        return s.MissedCallRefSchema().dump({"missed_call_id": missed_call_id})

    @rpc
    @entrypoint(roles=DESK, schema=s.CompleteCallbackSchema)
    def complete_callback(self, ctx: CommandContext, data: Data) -> Data:
        self.app.complete_callback(ctx, **data)
        return s.MissedCallRefSchema().dump(data)

    @rpc
    @entrypoint(roles=DESK, schema=s.PendingCallbacksSchema)
    def pending_callbacks(self, ctx: CommandContext, data: Data) -> Data:
        items = self.read_models.pending_callbacks(**data)
        numbers = self.app.callback_contacts([i["missed_call_id"] for i in items
                                              if i["has_callback_contact"]])
        return s.PendingCallbacksResultSchema().dump({"items": [
            {**i, "callback_contact": numbers.get(i["missed_call_id"])} for i in items]})

    # -- shifts ----------------------------------------------------------------------------
    @rpc
    @entrypoint(roles=DESK, schema=s.StartShiftSchema)
    def start_shift(self, ctx: CommandContext, data: Data) -> Data:
        return s.ShiftRefSchema().dump({"shift_id": self.app.start_shift(ctx, **data)})

    @rpc
    @entrypoint(roles=DESK, schema=s.EndShiftSchema)
    def end_shift(self, ctx: CommandContext, data: Data) -> Data:
        self.app.end_shift(ctx, **data)
        return s.ShiftRefSchema().dump(data)

    @rpc
    @entrypoint(roles=ROSTER, schema=s.OnDutySchema)
    def on_duty(self, ctx: CommandContext, data: Data) -> Data:
        at = data["at"] or self.app.clock()
        return s.OnDutyResultSchema().dump(self.read_models.on_duty(at))

    @rpc
    @entrypoint(roles=ROSTER, schema=s.CoverageSchema)
    def coverage(self, ctx: CommandContext, data: Data) -> Data:
        return s.CoverageResultSchema().dump(self.read_models.coverage(**data))

    @rpc
    @entrypoint(roles=FIGURES, schema=s.HelplineStatsSchema)
    def helpline_stats(self, ctx: CommandContext, data: Data) -> Data:
        return s.HelplineStatsResultSchema().dump(self.read_models.helpline_stats(data["month"]))


SERVICE = IntakeService
