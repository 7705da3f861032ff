"""The shelters' read models, fed from the shelter service's own notification log (the
queries are in views.py): beds and rooms (occupancy), stays (the waiting list, length of
stay), stay segments (the census: one row per stretch of a stay in one shelter), case
references, incidents and provisions.

Ids, codes, counts and times only. No address -- the tables have no column for one -- and
no name: they are readable by roles that may see neither. On an erasure the stays stay
(they are the census) and what ties them to the case is dropped.
"""

from __future__ import annotations

from typing import Any

from services.shelter.domain import CaseFile, Shelter, Stay
from services.shelter.views import ShelterViews
from shared.projections import Cursor, Projection, ReadModelSet, handles, month_of, stream_id
from shared.row_updates import RowUpdates, from_event

FREE = {"state": "free", "stay_id": None, "held_until": None, "isolated": False}


class Occupancy(Projection):
    name, version = "occupancy", 1
    tables = {
        "shelters": "shelter_id text PRIMARY KEY, code text NOT NULL, name text NOT NULL,"
                    " open boolean NOT NULL, relocating boolean NOT NULL,"
                    " registered_at {timestamp} NOT NULL",
        "rooms": "room_id text PRIMARY KEY, shelter_id text NOT NULL, name text NOT NULL,"
                 " tags text NOT NULL, out_of_service_reason text,"
                 " out_of_service_since {timestamp}, out_of_service_until {timestamp}",
        "beds": "bed_id text PRIMARY KEY, shelter_id text NOT NULL, room_id text NOT NULL,"
                " label text NOT NULL, state text NOT NULL, stay_id text,"
                " held_until {timestamp}, since {timestamp}, isolated boolean NOT NULL",
        "incidents": "incident_id text PRIMARY KEY, shelter_id text NOT NULL,"
                     " kind text NOT NULL, severity text NOT NULL,"
                     " occurred_at {timestamp} NOT NULL",
    }
    indexes = ("CREATE INDEX IF NOT EXISTS beds_shelter ON {beds} (shelter_id, room_id)",
               "CREATE INDEX IF NOT EXISTS rooms_due ON {rooms} (out_of_service_until)")

    @handles(Shelter, "ShelterRegistered")
    def registered(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {shelters} (shelter_id, code, name, open, relocating,"
                    " registered_at) VALUES (%s, %s, %s, true, false, %s)",
                    (stream_id(e), e.code, e.name, e.registered_at))

    @handles(Shelter, "RoomAdded")
    def room_added(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {rooms} (room_id, shelter_id, name, tags) VALUES"
                    " (%s, %s, %s, %s)", (e.room_id, stream_id(e), e.name, " ".join(e.tags)))
        for bed in e.beds:
            cur.execute("INSERT INTO {beds} (bed_id, shelter_id, room_id, label, state,"
                        " isolated) VALUES (%s, %s, %s, %s, 'free', false)",
                        (bed["bed_id"], stream_id(e), e.room_id, bed["label"]))

    @handles(Shelter, "RoomRetagged")
    def retagged(self, e: Any, cur: Cursor) -> None:
        cur.update("rooms", ("room_id", e.room_id), tags=" ".join(e.tags))

    @handles(Shelter, "RoomTakenOutOfService")
    def out_of_service(self, e: Any, cur: Cursor) -> None:
        cur.update("rooms", ("room_id", e.room_id), out_of_service_reason=e.reason,
                   out_of_service_since=e.since, out_of_service_until=e.until)

    @handles(Shelter, "RoomReturnedToService")
    def back_in_service(self, e: Any, cur: Cursor) -> None:
        cur.update("rooms", ("room_id", e.room_id), out_of_service_reason=None,
                   out_of_service_since=None, out_of_service_until=None)

    @handles(Shelter, "BedHeld")
    def held(self, e: Any, cur: Cursor) -> None:
        cur.update("beds", ("bed_id", e.bed_id), state="held", stay_id=e.placed["stay_id"],
                   held_until=e.expires_at, since=e.held_at, isolated=e.placed["isolation"])

    @handles(Shelter, "BedHoldReleased")
    def released(self, e: Any, cur: Cursor) -> None:
        cur.update("beds", ("bed_id", e.bed_id), **FREE, since=e.released_at)

    @handles(Shelter, "BedOccupied")
    def occupied(self, e: Any, cur: Cursor) -> None:
        cur.update("beds", ("bed_id", e.bed_id), state="occupied", stay_id=e.placed["stay_id"],
                   held_until=None, since=e.occupied_at, isolated=e.placed["isolation"])

    @handles(Shelter, "BedVacated")
    def vacated(self, e: Any, cur: Cursor) -> None:
        cur.update("beds", ("bed_id", e.bed_id), **FREE, since=e.vacated_at)

    @handles(Shelter, "OccupantFactsUpdated")
    def facts(self, e: Any, cur: Cursor) -> None:
        cur.update("beds", ("bed_id", e.bed_id), isolated=e.placed["isolation"])

    @handles(Shelter, "SecurityIncidentReported")
    def incident(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {incidents} (incident_id, shelter_id, kind, severity,"
                    " occurred_at) VALUES (%s, %s, %s, %s, %s)",
                    (e.incident_id, stream_id(e), e.kind, e.severity, e.occurred_at))

    @handles(Shelter, "LocationCompromised")
    def compromised(self, e: Any, cur: Cursor) -> None:
        cur.update("shelters", ("shelter_id", stream_id(e)), open=False,
                   relocating=bool(e.to_relocate))

    shelter_updates = RowUpdates("shelters", "shelter_id", Shelter, {
        "RelocationCompleted": {"relocating": False},
        "ShelterCleared": {"open": True, "relocating": False},
    })


class Stays(Projection):
    name, version = "stays", 1
    tables = {
        "stays": "stay_id text PRIMARY KEY, case_id text, source text NOT NULL,"
                 " status text NOT NULL, priority text, needs_isolation boolean NOT NULL,"
                 " isolation_reason text, accompanying_children integer NOT NULL,"
                 " gender text NOT NULL, needed_from text, auto_hold boolean NOT NULL,"
                 " requested_at {timestamp} NOT NULL, waiting_since {timestamp} NOT NULL,"
                 " waiting_long boolean NOT NULL, shelter_id text, bed_id text,"
                 " hold_expires_at {timestamp}, admitted_at {timestamp}, ended_at {timestamp},"
                 " end_reason text",
        # One row per stretch of a stay in one bed: the census counts these at midnight.
        "stay_segments": "stay_id text NOT NULL, shelter_id text NOT NULL, bed_id text NOT NULL,"
                         " started_at {timestamp} NOT NULL, ended_at {timestamp},"
                         " PRIMARY KEY (stay_id, started_at)",
        "case_files": "case_id text PRIMARY KEY, reference text, urgency text",
        "provisions": "stay_id text NOT NULL, shelter_id text NOT NULL, kind text NOT NULL,"
                      " quantity integer NOT NULL, handed_out_at {timestamp} NOT NULL,"
                      " month text NOT NULL",
    }
    indexes = ("CREATE INDEX IF NOT EXISTS stays_status ON {stays} (status, requested_at)",
               "CREATE INDEX IF NOT EXISTS stay_segments_time ON {stay_segments}"
               " (started_at, ended_at)",
               "CREATE INDEX IF NOT EXISTS provisions_month ON {provisions} (month)")

    @handles(Stay, "PlacementRequested")
    def requested(self, e: Any, cur: Cursor) -> None:
        isolation = e.isolation or {}
        cur.execute(
            "INSERT INTO {stays} (stay_id, case_id, source, status, priority, needs_isolation,"
            " isolation_reason, accompanying_children, gender, needed_from, auto_hold,"
            " requested_at, waiting_since, waiting_long) VALUES (%s, %s, %s, 'waiting', %s,"
            " %s, %s, %s, %s, %s, %s, %s, %s, false)",
            (stream_id(e), e.case_id, e.source, e.priority, bool(isolation),
             isolation.get("reason"), e.accompanying_children, e.gender, e.needed_from,
             e.auto_hold, e.requested_at, e.requested_at))

    @handles(Stay, "PlacementHeld")
    def held(self, e: Any, cur: Cursor) -> None:
        cur.update("stays", ("stay_id", stream_id(e)), status="held", shelter_id=e.shelter_id,
                   bed_id=e.bed_id, hold_expires_at=e.expires_at)

    @handles(Stay, "HoldExpired", "HoldCancelled")
    def hold_ended(self, e: Any, cur: Cursor) -> None:
        at = getattr(e, "expired_at", None) or e.cancelled_at
        values = {"status": "waiting", "shelter_id": None, "bed_id": None,
                  "hold_expires_at": None, "waiting_since": at, "waiting_long": False}
        if getattr(e, "reason", None) != "location_compromised":
            values["auto_hold"] = False  # as the stay decides: see Stay._back_to_waiting
        cur.update("stays", ("stay_id", stream_id(e)), **values)

    @handles(Stay, "ResidentAdmitted")
    def admitted(self, e: Any, cur: Cursor) -> None:
        cur.update("stays", ("stay_id", stream_id(e)), status="resident",
                   shelter_id=e.shelter_id, bed_id=e.bed_id, hold_expires_at=None,
                   admitted_at=e.admitted_at)

    @handles(Stay, "ResidentDischarged", "PlacementDeclined")
    def ended(self, e: Any, cur: Cursor) -> None:
        discharged = hasattr(e, "discharged_at")
        cur.update("stays", ("stay_id", stream_id(e)),
                   status="discharged" if discharged else "declined",
                   ended_at=e.discharged_at if discharged else e.declined_at,
                   end_reason=e.reason, hold_expires_at=None,
                   **({} if discharged else {"shelter_id": None, "bed_id": None}))

    row_updates = RowUpdates("stays", "stay_id", Stay, {
        "ResidentMoved": {"shelter_id": from_event.shelter_id, "bed_id": from_event.bed_id},
        "PlacementLinkedToCase": {"case_id": from_event.case_id},
        "PlacementPrioritised": {"priority": from_event.priority},
        "PlacementWaitingLong": {"waiting_long": True},
        "StayErased": {"case_id": None},
    })

    @handles(Stay, "IsolationReviewed")
    def isolation(self, e: Any, cur: Cursor) -> None:
        if e.review_on is None:
            cur.update("stays", ("stay_id", stream_id(e)), needs_isolation=False)

    @handles(Stay, "ProvisionHandedOut")
    def provision(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {provisions} (stay_id, shelter_id, kind, quantity,"
                    " handed_out_at, month) VALUES (%s, %s, %s, %s, %s, %s)",
                    (stream_id(e), e.shelter_id, e.kind, e.quantity, e.handed_out_at,
                     month_of(e.handed_out_at)))

    @handles(Shelter, "BedOccupied")
    def segment_starts(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {stay_segments} (stay_id, shelter_id, bed_id, started_at)"
                    " VALUES (%s, %s, %s, %s)",
                    (e.placed["stay_id"], stream_id(e), e.bed_id, e.occupied_at))

    @handles(Shelter, "BedVacated")
    def segment_ends(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {stay_segments} SET ended_at = %s WHERE stay_id = %s"
                    " AND bed_id = %s AND ended_at IS NULL", (e.vacated_at, e.stay_id, e.bed_id))

    @handles(CaseFile, "CaseNoted")
    def case_noted(self, e: Any, cur: Cursor) -> None:
        cur.execute("DELETE FROM {case_files} WHERE case_id = %s", (e.case_id,))
        cur.execute("INSERT INTO {case_files} (case_id, reference, urgency) VALUES (%s, %s, %s)",
                    (e.case_id, e.case_reference, e.urgency))

    @handles(CaseFile, "CaseFileErased")
    def case_erased(self, e: Any, cur: Cursor) -> None:
        cur.execute("DELETE FROM {case_files} WHERE case_id = %s", (e.case_id,))


def projections() -> list[Projection]:
    return [Occupancy(), Stays()]


READ_MODELS = ReadModelSet(projections, ShelterViews)
