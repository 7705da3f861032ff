"""intake over nameko: the helpline desk's and the dashboards' RPCs, and the consumer of
casework's facts. Each line exposes one application method (application.py) with the
schemas of its input and answer (schemas.py); who may call it is in policy.py.
"""

from __future__ import annotations

from services.casework.contracts import (
    ASSIGNMENT_CONFIRMED,
    CASE_OPENED,
    CASEWORKER_ASSIGNED,
    EMERGENCY_ACCESS_GRANTED,
    SUBJECT_ERASED,
)
from services.intake import outreach_schemas as o
from services.intake import schemas as s
from services.intake.application import Intake
from services.intake.policy import POLICY
from shared.service import HavenService, consume, expose


class IntakeService(HavenService):
    name = "intake"
    policy = POLICY

    # -- facts from casework ----------------------------------------------------------------
    on_case_opened = consume(CASE_OPENED, Intake.learn_opened_case)
    on_caseworker_assigned = consume(CASEWORKER_ASSIGNED, Intake.learn_assignment)
    on_assignment_confirmed = consume(ASSIGNMENT_CONFIRMED, Intake.learn_confirmation)
    on_emergency_access = consume(EMERGENCY_ACCESS_GRANTED, Intake.learn_emergency_access)
    on_subject_erased = consume(SUBJECT_ERASED, Intake.erase_contacts_of_erased_subject)

    # -- contacts -------------------------------------------------------------------------------
    log_contact = expose(Intake.log_contact, s.LogContactSchema, s.ContactRefSchema)
    get_contact = expose(Intake.get_contact, s.GetContactSchema, s.ContactDetailSchema)
    list_contacts = expose(Intake.contact_log, s.ListContactsSchema, s.ContactPageSchema)
    screen_contact = expose(Intake.screen_contact, s.ScreenContactSchema, s.ContactRefSchema)
    close_contact = expose(Intake.close_contact, s.CloseContactSchema, s.ContactRefSchema)
    refer_to_casework = expose(Intake.refer_to_casework, s.ReferToCaseworkSchema, s.ReferralResultSchema)
    link_to_case = expose(Intake.link_to_case, s.LinkToCaseSchema, s.CaseLinkSchema)
    correct_case_link = expose(Intake.correct_case_link, s.LinkToCaseSchema, s.CaseLinkSchema)

    # -- missed calls -----------------------------------------------------------------------
    record_missed_call = expose(Intake.record_missed_call, s.RecordMissedCallSchema, s.MissedCallRefSchema)
    complete_callback = expose(Intake.complete_callback, s.CompleteCallbackSchema, s.MissedCallRefSchema)
    pending_callbacks = expose(Intake.pending_callbacks, s.PendingCallbacksSchema, s.PendingCallbacksResultSchema)

    # -- shifts and figures --------------------------------------------------------------------
    start_shift = expose(Intake.start_shift, s.StartShiftSchema, s.ShiftRefSchema)
    end_shift = expose(Intake.end_shift, s.EndShiftSchema, s.ShiftRefSchema)
    on_duty = expose(Intake.on_duty, s.OnDutySchema, s.OnDutyResultSchema)
    coverage = expose(Intake.coverage, s.CoverageSchema, s.CoverageResultSchema)
    helpline_stats = expose(Intake.helpline_stats, s.HelplineStatsSchema, s.HelplineStatsResultSchema)

    # -- outreach: consultations with public bodies, prevention work ------------------------
    record_consultation = expose(Intake.record_consultation, o.RecordConsultationSchema, o.ConsultationRefSchema)
    complete_consultation_follow_up = expose(Intake.complete_consultation_follow_up, o.CompleteFollowUpSchema, o.ConsultationRefSchema)
    list_consultations = expose(Intake.consultation_list, o.ConsultationListSchema, o.ConsultationPageSchema)
    record_prevention_activity = expose(Intake.record_prevention_activity, o.RecordPreventionActivitySchema, o.ActivityRefSchema)
    list_prevention_activities = expose(Intake.prevention_activity_list, o.ActivityListSchema, o.ActivityPageSchema)
    withdraw_outreach_record = expose(Intake.withdraw_outreach_record, o.WithdrawSchema, o.WithdrawnSchema)
    outreach_stats = expose(Intake.outreach_stats, o.OutreachStatsSchema, o.OutreachStatsResultSchema)
