"""Who may do what in the shelters: the service's access policy, one row per group of
callers. The shell admits callers by this table, and the API documentation shows it.

Which shelter a member of staff may run, and who may see an address or a resident's name,
is decided per record (domain/access.py): the shelter's own roster, and the caseworker of
someone placed or held there now (calling as a caseworker: the same user in another role is
that role's caller). A night intake waiting for a bed is the shelter's that received the
person. A supervisor runs any shelter but, like everyone not on its roster or placing
someone there, never sees its address.
"""

from __future__ import annotations

from shared.policy import Allow, Policy

HOUSE = ("shelter_staff", "supervisor")  # the shelter's own staff, checked per shelter
PLACING = (*HOUSE, "caseworker")  # caseworkers, for their own cases' people
WATCH = (*PLACING, "ops")
FIGURES = (*HOUSE, "ops", "auditor")

POLICY = Policy(
    Allow(("supervisor",), "register_shelter add_room assign_staff withdraw_staff clear_shelter"),
    Allow(HOUSE, "retag_room correct_address take_room_out_of_service return_room_to_service"
                 " hand_out_provision night_intake admit_resident move_resident"
                 " discharge_resident decline_placement review_isolation report_incident"
                 " link_to_case"),
    Allow(PLACING, "hold_bed cancel_hold prioritise_placement"),
    Allow(("caseworker", "supervisor"), "keep_apart set_case_group"),
    Allow(PLACING, "get_shelter", personal="the shelter's own staff and the caseworker of a"
                                           " person placed or held there (its address)"),
    Allow(PLACING, "get_stay", personal="the staff of the shelter the person is placed or"
                                        " held in now, their caseworker and supervisors (the"
                                        " name they go by; the address to staff and caseworker"
                                        " only, and to no one once the stay has ended)"),
    Allow(HOUSE, "list_residents", personal="the shelter's own staff and supervisors"),
    Allow(WATCH, "waiting_list"),
    Allow((*WATCH, "auditor"), "occupancy"),
    Allow(FIGURES, "census length_of_stay reconcile_occupancy"),
)
