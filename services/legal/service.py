"""legal over nameko: the lawyers' and caseworkers' RPCs, the consumer of casework's facts,
and the reminder poll. Each line exposes one application method (application.py) with the
schemas of its input and answer (schemas.py, answers.py); who may call it is in policy.py.
"""

from __future__ import annotations

from nameko.timer import timer

from services.casework import contracts as casework
from services.legal import answers as a
from services.legal import schemas as s
from services.legal.application import Legal
from services.legal.casework_desk import CaseworkDesk
from services.legal.policy import POLICY
from services.legal.reminders import REMINDER_POLL_SECONDS
from shared.service import HavenService, consume, expose


class LegalService(HavenService):
    name = "legal"
    policy = POLICY
    casework_desk = CaseworkDesk()  # asked at the moment of sharing (casework_desk.py)

    # -- facts from casework ------------------------------------------------------------------
    on_legal_assistance_requested = consume(casework.LEGAL_ASSISTANCE_REQUESTED, Legal.open_matter_from_request)
    on_case_opened = consume(casework.CASE_OPENED, Legal.note_case_opened)
    on_caseworker_assigned = consume(casework.CASEWORKER_ASSIGNED, Legal.note_caseworker)
    on_assignment_confirmed = consume(casework.ASSIGNMENT_CONFIRMED, Legal.note_assignment_confirmed)
    on_consent_recorded = consume(casework.CONSENT_RECORDED, Legal.note_consent)
    on_consent_revoked = consume(casework.CONSENT_REVOKED, Legal.note_revocation)
    on_subject_erased = consume(casework.SUBJECT_ERASED, Legal.erase_erased_cases)

    @timer(interval=REMINDER_POLL_SECONDS)
    def send_due_reminders(self) -> None:
        """Record the reminders due now; every replica polls (reminders.py)."""
        self.app.send_due_reminders()

    # -- matters ------------------------------------------------------------------------------
    open_matter = expose(Legal.open_matter, s.OpenMatterSchema, a.RefSchema)
    get_matter = expose(Legal.get_matter, s.GetMatterSchema, a.MatterDetailSchema)
    list_matters = expose(Legal.matter_list, s.ListMattersSchema, a.MatterPageSchema)
    matter_figures = expose(Legal.matter_figures, output=a.MatterFiguresSchema)
    update_matter = expose(Legal.update_matter, s.UpdateMatterSchema, a.RefSchema)
    assign_lawyer = expose(Legal.assign_lawyer, s.AssignLawyerSchema, a.RefSchema)
    organise_representation = expose(Legal.organise_representation, s.OrganiseRepresentationSchema, a.RefSchema)
    record_mediation_contact = expose(Legal.record_mediation_contact, s.RecordMediationContactSchema, a.RefSchema)
    set_deadline = expose(Legal.set_deadline, s.SetDeadlineSchema, a.RefSchema)
    record_deadline_outcome = expose(Legal.record_deadline_outcome, s.RecordDeadlineOutcomeSchema, a.RefSchema)
    deadlines_due = expose(Legal.deadlines_due, s.DeadlinesDueSchema, a.DeadlineListSchema)
    close_matter = expose(Legal.close_matter, s.CloseMatterSchema, a.RefSchema)

    # -- hearings and sessions ----------------------------------------------------------------
    schedule_hearing = expose(Legal.schedule_hearing, s.ScheduleHearingSchema, a.HearingRefSchema)
    get_hearing = expose(Legal.get_hearing, s.HearingIdSchema, a.HearingDetailSchema)
    hearings_this_week = expose(Legal.hearings_this_week, s.HearingsThisWeekSchema, a.HearingWeekSchema)
    move_hearing = expose(Legal.move_hearing, s.MoveHearingSchema, a.HearingRefSchema)
    cancel_hearing = expose(Legal.cancel_hearing, s.CancelHearingSchema, a.HearingRefSchema)
    record_protective_measures = expose(Legal.record_protective_measures, s.ProtectiveMeasuresSchema, a.HearingRefSchema)
    record_hearing_outcome = expose(Legal.record_hearing_outcome, s.HearingOutcomeSchema, a.HearingRefSchema)
    schedule_session = expose(Legal.schedule_session, s.ScheduleSessionSchema, a.RefSchema)
    move_session = expose(Legal.move_session, s.MoveSessionSchema, a.RefSchema)
    cancel_session = expose(Legal.cancel_session, s.SessionIdSchema, a.RefSchema)
    record_session_done = expose(Legal.record_session_done, s.SessionDoneSchema, a.RefSchema)
    list_sessions = expose(Legal.session_list, s.ListSessionsSchema, a.SessionListSchema)
    staff_calendar = expose(Legal.staff_calendar, s.StaffCalendarSchema, a.CalendarSchema)

    # -- letters and disclosures ----------------------------------------------------------------
    letter_templates = expose(Legal.letter_templates, output=a.TemplateListSchema)
    draft_letter = expose(Legal.draft_letter, s.DraftLetterSchema, a.RefSchema)
    get_letter = expose(Legal.get_letter, s.GetLetterSchema, a.LetterDetailSchema)
    send_letter = expose(Legal.send_letter, s.SendLetterSchema, a.DisclosureRefSchema)
    share_with_authority = expose(Legal.share_with_authority, s.ShareSchema, a.DisclosureRefSchema)
    get_disclosure = expose(Legal.get_disclosure, s.DisclosureIdSchema, a.DisclosureSchema)
    list_disclosures = expose(Legal.disclosure_list, s.ListDisclosuresSchema, a.DisclosureListSchema)
    release_disclosure = expose(Legal.release_disclosure, s.ReleaseDisclosureSchema, a.DisclosureRefSchema)
    withdraw_disclosure = expose(Legal.withdraw_disclosure, s.DisclosureIdSchema, a.DisclosureRefSchema)
