"""shelter over nameko: the shelters' staff's, caseworkers' and supervisors' RPCs, the
consumer of casework's facts, and the poll that does what falls due. Each line exposes one
application method (application.py) with the schemas of its input and answer (schemas.py);
who may call it is in policy.py.
"""

from __future__ import annotations

import logging

from nameko.timer import timer

from services.casework.contracts import (
    ASSIGNMENT_CONFIRMED,
    CASE_OPENED,
    CASEWORKER_ASSIGNED,
    SHELTER_PLACEMENT_REQUESTED,
    SUBJECT_ERASED,
)
from services.shelter import schemas as s
from services.shelter.application import Shelters
from services.shelter.policy import POLICY
from shared.service import HavenService, consume, expose

log = logging.getLogger(__name__)
POLL_SECONDS = 3  # how late a hold may expire, at most, while a process is up


class ShelterService(HavenService):
    name = "shelter"
    policy = POLICY

    # -- facts from casework ---------------------------------------------------------------
    on_placement_requested = consume(SHELTER_PLACEMENT_REQUESTED, Shelters.receive_request)
    on_case_opened = consume(CASE_OPENED, Shelters.note_opened_case)
    on_caseworker_assigned = consume(CASEWORKER_ASSIGNED, Shelters.note_caseworker)
    on_assignment_confirmed = consume(ASSIGNMENT_CONFIRMED, Shelters.note_confirmation)
    on_subject_erased = consume(SUBJECT_ERASED, Shelters.erase_subject)

    # -- what falls due: holds expiring, rooms back in service, long waits, relocations -------
    @timer(interval=POLL_SECONDS, eager=True)
    def run_due_work(self) -> None:
        try:
            self.app.run_due_work()
        except Exception as exc:  # noqa: BLE001 - the next poll tries again
            log.error("shelter poll failed: %s", type(exc).__name__)

    # -- the houses ------------------------------------------------------------------------------
    register_shelter = expose(Shelters.register_shelter, s.RegisterShelterSchema, s.ShelterRefSchema)
    add_room = expose(Shelters.add_room, s.AddRoomSchema, s.ShelterRefSchema)
    retag_room = expose(Shelters.retag_room, s.RetagRoomSchema, s.ShelterRefSchema)
    assign_staff = expose(Shelters.assign_staff, s.StaffSchema, s.ShelterRefSchema)
    withdraw_staff = expose(Shelters.withdraw_staff, s.StaffSchema, s.ShelterRefSchema)
    correct_address = expose(Shelters.correct_address, s.CorrectAddressSchema, s.ShelterRefSchema)
    take_room_out_of_service = expose(Shelters.take_room_out_of_service, s.OutOfServiceSchema, s.ShelterRefSchema)
    return_room_to_service = expose(Shelters.return_room_to_service, s.RoomIdSchema, s.ShelterRefSchema)
    get_shelter = expose(Shelters.shelter_detail, s.GetShelterSchema, s.ShelterDetailSchema)

    # -- requests and beds ----------------------------------------------------------------------
    night_intake = expose(Shelters.night_intake, s.NightIntakeSchema, s.StayRefSchema)
    link_to_case = expose(Shelters.link_to_case, s.LinkToCaseSchema, s.StayRefSchema)
    prioritise_placement = expose(Shelters.prioritise_placement, s.PrioritiseSchema, s.StayRefSchema)
    hold_bed = expose(Shelters.hold_bed, s.HoldBedSchema, s.PlacedSchema)
    cancel_hold = expose(Shelters.cancel_hold, s.CancelHoldSchema, s.StayRefSchema)
    admit_resident = expose(Shelters.admit_resident, s.AdmitSchema, s.PlacedSchema)
    move_resident = expose(Shelters.move_resident, s.MoveSchema, s.PlacedSchema)
    discharge_resident = expose(Shelters.discharge_resident, s.DischargeSchema, s.StayRefSchema)
    decline_placement = expose(Shelters.decline_placement, s.DeclineSchema, s.StayRefSchema)
    hand_out_provision = expose(Shelters.hand_out_provision, s.ProvisionSchema, s.StayRefSchema)
    get_stay = expose(Shelters.stay_detail, s.GetStaySchema, s.StayDetailSchema)
    list_residents = expose(Shelters.residents, s.GetShelterSchema, s.ResidentsSchema)

    # -- safety -----------------------------------------------------------------------------------
    keep_apart = expose(Shelters.keep_apart, s.KeepApartSchema, s.KeepApartResultSchema)
    set_case_group = expose(Shelters.set_case_group, s.CaseGroupSchema, s.KeepApartResultSchema)
    review_isolation = expose(Shelters.review_isolation, s.ReviewIsolationSchema, s.IsolationResultSchema)
    report_incident = expose(Shelters.report_incident, s.ReportIncidentSchema, s.IncidentResultSchema)
    clear_shelter = expose(Shelters.clear_shelter, s.ShelterIdSchema, s.ShelterRefSchema)

    # -- figures ---------------------------------------------------------------------------------
    occupancy = expose(Shelters.occupancy, s.OccupancySchema, s.OccupancyResultSchema)
    waiting_list = expose(Shelters.waiting_list, s.WaitingListSchema, s.WaitingListResultSchema)
    census = expose(Shelters.census, s.CensusSchema, s.CensusResultSchema)
    length_of_stay = expose(Shelters.length_of_stay, s.LengthOfStaySchema, s.LengthOfStayResultSchema)
    reconcile_occupancy = expose(Shelters.reconcile_occupancy, output=s.ReconcileResultSchema)
