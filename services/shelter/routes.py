"""The shelters' HTTP endpoints, each one RPC of the shelter service.

Reads of personal data (an address, the name a resident goes by) name their `purpose` in
the query string; the service decides who may see it and logs every such read.
"""

from __future__ import annotations

from shared.routes import Route, changes

HOUSES, STAYS, SAFETY, FIGURES = "shelters", "stays", "safety", "figures"
SHELTER, STAY = "/shelters/<shelter_id>", "/stays/<stay_id>"

# A change to a stay: POST /stays/<stay_id><path> -> the RPC.
STAY_CHANGES = (
    ("/hold", "hold_bed", "Hold a bed (4 hours unless told otherwise)"),
    ("/hold/cancellation", "cancel_hold", "Cancel a hold"),
    ("/admission", "admit_resident", "Admit to the held bed or a free one"),
    ("/move", "move_resident", "Move a resident to another bed or shelter"),
    ("/discharge", "discharge_resident", "Discharge with a reason"),
    ("/decline", "decline_placement", "Decline a placement request"),
    ("/case-link", "link_to_case", "Link a night intake to its case"),
    ("/priority", "prioritise_placement", "Change a waiting placement's priority"),
    ("/provisions", "hand_out_provision",
     "Record food, clothing, hygiene, medicine or a phone card handed out"),
    ("/isolation-review", "review_isolation", "Continue or end a resident's isolation"),
)
# A change to a shelter's house: POST /shelters/<shelter_id><path> -> the RPC.
HOUSE_CHANGES = (
    ("/rooms/<room_id>/tags", "retag_room", "Change a room's tags"),
    ("/rooms/<room_id>/out-of-service", "take_room_out_of_service",
     "Take a room out of service, with a reason and an end"),
    ("/rooms/<room_id>/in-service", "return_room_to_service", "Return a room to service"),
    ("/staff", "assign_staff", "Put someone on the shelter's roster"),
    ("/staff/withdrawal", "withdraw_staff", "Take someone off the shelter's roster"),
    ("/address", "correct_address", "Correct the shelter's address"),
    ("/clearance", "clear_shelter", "Open a shelter closed after an incident"),
)

ROUTES = [
    Route("POST", "/shelters", "register_shelter",
          "Register a shelter with its rooms (the address is sealed)", HOUSES,
          created="shelter_id"),
    Route("GET", SHELTER, "get_shelter",
          "One shelter; its address only to its own staff and a placed person's caseworker",
          HOUSES),
    Route("POST", SHELTER + "/rooms", "add_room", "Add a room with its beds and tags", HOUSES,
          created="room_id"),
    *changes(SHELTER, HOUSES, *HOUSE_CHANGES),
    Route("GET", SHELTER + "/residents", "list_residents",
          "Who holds or has a bed, where; names to its staff and supervisors", HOUSES),
    Route("POST", SHELTER + "/incidents", "report_incident",
          "Report a security incident; 'location_compromised' relocates everyone", SAFETY,
          created="incident_id"),
    Route("POST", "/night-intakes", "night_intake",
          "A person brought at night with no case yet (police referral)", STAYS,
          created="stay_id"),
    Route("GET", STAY, "get_stay", "One stay; the person's details to those who may see them",
          STAYS),
    *changes(STAY, STAYS, *STAY_CHANGES),
    *changes("/cases/<case_id>", SAFETY,
             ("/keep-apart", "keep_apart",
              "Never place two cases' people in one room (or one shelter)"),
             ("/case-group", "set_case_group",
              "Put a case in a case group (never one room with the same group)")),
    Route("GET", "/waiting-list", "waiting_list",
          "Placements waiting or held: emergencies first, then the longest wait", STAYS),
    Route("GET", "/occupancy", "occupancy",
          "Beds and isolation rooms free, held, occupied, out of service", FIGURES),
    Route("GET", "/occupancy/reconciliation", "reconcile_occupancy",
          "The occupancy read model checked against the shelters' events", FIGURES),
    Route("GET", "/census", "census", "Residents at each midnight: bed nights", FIGURES),
    Route("GET", "/length-of-stay", "length_of_stay",
          "Length of stay of the month's discharges and of current residents", FIGURES),
]
