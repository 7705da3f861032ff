"""A shelter: its secret address, rooms and beds, who holds or occupies each bed, the staff
on its roster, rooms out of service, security incidents and, after "location compromised",
the relocation of everyone in it.

One aggregate per shelter: all its beds are one event stream, so two admissions racing for
its last bed cannot both be stored (the event store's (id, version) key refuses the second,
which starts again from fresh state). A bed is free, held for a stay until an expiry, or
occupied; the counts ops watch are derived from that alone, and announced when they change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.shelter.domain.house import House
from services.shelter.domain.ids import address_subject_id
from services.shelter.domain.placing import Placed, room_refusal
from services.shelter.domain.rules import (
    BedUnavailable,
    InvalidValue,
    RoomInUse,
    ShelterClosed,
    WrongState,
    code,
    codes,
    label,
    matching,
    moment,
)
from services.shelter.vocabulary import (
    SHELTER_CODE,
    IncidentKind,
    OutOfServiceReason,
    RoomTag,
    Severity,
)

MAX_BEDS_PER_ROOM = 20
COMPROMISED = IncidentKind.LOCATION_COMPROMISED.value


class Shelter(Aggregate):
    AUDIT_CASE_SCOPE = "events"  # it lodges many cases: only the events naming one are its
    PERSONAL_DATA = {"address": "address_subject_id", "note": "incident_id"}

    @classmethod
    def register(cls, *, shelter_id: UUID, code: str, name: str, address: str,
                 registered_at: datetime) -> Shelter:
        return cls(id=shelter_id, code=matching(SHELTER_CODE, code, "code"),
                   name=label(name, "name"), address=label(address, "address", 1000),
                   address_subject_id=address_subject_id(shelter_id),
                   registered_at=moment(registered_at, "registered_at"))

    @event("ShelterRegistered")
    def __init__(self, id: UUID, code: str, name: str, address: str,  # noqa: A002
                 address_subject_id: str, registered_at: datetime):
        self.code, self.name, self.registered_at = code, name, registered_at
        self.address, self.address_subject_id = address, address_subject_id
        self.house = House()  # rooms, beds and who is in them
        self.rooms, self.beds = self.house.rooms, self.house.beds
        self.staff: list[str] = []
        self.closed_by: str | None = None  # the incident that closed it, until cleared
        self.relocating = False  # after "location compromised", until everyone is moved
        self.to_relocate: list[str] = []
        self.announced: dict[str, Any] = {}

    # -- the house ------------------------------------------------------------------------
    def add_room(self, *, room_id: str, name: str, tags: list[str],
                 beds: list[tuple[str, str]], at: datetime) -> None:
        name = label(name, "name")
        if any(room.name == name for room in self.rooms.values()):
            raise InvalidValue("name", "another room of the shelter has this name")
        labels = [label(bed_label, "beds") for _, bed_label in beds]
        if not 1 <= len(beds) <= MAX_BEDS_PER_ROOM or len(set(labels)) != len(labels):
            raise InvalidValue("beds", f"1 to {MAX_BEDS_PER_ROOM} beds, each labelled once")
        self._add_room(room_id=room_id, name=name, tags=codes(RoomTag, tags, "tags"),
                       beds=[{"bed_id": b, "label": lb} for (b, _), lb in zip(beds, labels,
                                                                               strict=True)])
        self._announce(at)

    @event("RoomAdded")
    def _add_room(self, room_id: str, name: str, tags: list[str],
                  beds: list[dict[str, str]]) -> None:
        self.house.add_room(room_id, name, tags, beds)

    def retag_room(self, room_id: str, tags: list[str], at: datetime) -> None:
        room, tags = self.house.room(room_id), codes(RoomTag, tags, "tags")
        people = self.house.people_in(room_id)
        for person in people:
            why = room_refusal(tags, [p for p in people if p is not person], person)
            if why is not None:
                raise RoomInUse(f"a person in the room could not stay: {why}")
        if tags != room.tags:
            self._retag(room_id=room_id, tags=tags)
            self._announce(at)

    @event("RoomRetagged")
    def _retag(self, room_id: str, tags: list[str]) -> None:
        self.rooms[room_id].tags = tags

    def assign_staff(self, staff_id: str) -> None:
        if staff_id not in self.staff:
            self._assign(staff_id=staff_id)

    @event("StaffAssigned")
    def _assign(self, staff_id: str) -> None:
        self.staff.append(staff_id)

    def withdraw_staff(self, staff_id: str) -> None:
        if staff_id in self.staff:
            self._withdraw(staff_id=staff_id)

    @event("StaffWithdrawn")
    def _withdraw(self, staff_id: str) -> None:
        self.staff.remove(staff_id)

    def correct_address(self, address: str) -> None:
        self._correct_address(address=label(address, "address", 1000),
                              address_subject_id=self.address_subject_id)

    @event("AddressCorrected")
    def _correct_address(self, address: str, address_subject_id: str) -> None:
        self.address = address

    def take_out_of_service(self, room_id: str, reason: str, since: datetime,
                            until: datetime | None) -> None:
        room = self.house.room(room_id)
        if room.out_of_service is not None:
            raise WrongState("the room is already out of service")
        if self.house.people_in(room_id):
            raise RoomInUse("move the room's people (and holds) elsewhere first")
        if until is not None and moment(until, "until") <= since:
            raise InvalidValue("until", "must be after the start")
        self._out_of_service(
            room_id=room_id, reason=code(OutOfServiceReason, reason, "out_of_service_reason"),
            since=since, until=until)
        self._announce(since)

    @event("RoomTakenOutOfService")
    def _out_of_service(self, room_id: str, reason: str, since: datetime,
                        until: datetime | None) -> None:
        self.rooms[room_id].out_of_service = {"reason": reason, "since": since, "until": until}

    def return_to_service(self, room_id: str, at: datetime) -> bool:
        """False when it is already in service: returning twice is harmless (a poll)."""
        if self.house.room(room_id).out_of_service is None:
            return False
        self._back_in_service(room_id=room_id, returned_at=at)
        self._announce(at)
        return True

    @event("RoomReturnedToService")
    def _back_in_service(self, room_id: str, returned_at: datetime) -> None:
        self.rooms[room_id].out_of_service = None

    # -- who may take which bed -----------------------------------------------------------------
    @property
    def closed(self) -> bool:
        return self.closed_by is not None

    def _check_may_take(self, bed_id: str, person: Placed) -> None:
        if self.closed:
            raise ShelterClosed("the shelter is closed after a security incident")
        why = self.refusal(bed_id, person)
        if why is not None:
            raise BedUnavailable(why)

    # -- holds and residents ----------------------------------------------------------------
    def hold(self, bed_id: str, person: Placed, held_at: datetime, expires_at: datetime) -> None:
        if self.house.bed_of(person.stay_id) is not None:
            raise WrongState("the person already has a bed in this shelter")
        self._check_may_take(bed_id, person)
        self._hold(bed_id=bed_id, placed=person.to_event(), case_id=person.case_id,
                   held_at=self.house.after(bed_id, held_at),
                   expires_at=expires_at)
        self._announce(held_at)

    @event("BedHeld")
    def _hold(self, bed_id: str, placed: dict[str, Any], case_id: str | None,
              held_at: datetime, expires_at: datetime) -> None:
        self.beds[bed_id].now_with(Placed.from_event(placed), held_at, held_until=expires_at)

    def release_hold(self, stay_id: str, at: datetime, why: str) -> None:
        bed_id, occupant = self._bed_of(stay_id, held=True,
                                        refusal="no bed is held for the stay in this shelter")
        self._release(bed_id=bed_id, stay_id=stay_id, case_id=occupant.case_id,
                      released_at=self.house.after(bed_id, at), why=why)
        self._announce(at)

    @event("BedHoldReleased")
    def _release(self, bed_id: str, stay_id: str, case_id: str | None, released_at: datetime,
                 why: str) -> None:
        self.beds[bed_id].now_with(None, released_at)

    def occupy(self, bed_id: str, person: Placed, at: datetime) -> None:
        """Admit to a free bed, or to the bed held for this very person."""
        held = self.house.bed_of(person.stay_id)
        if held is not None and (held != bed_id or self.beds[held].held_until is None):
            raise WrongState("the person holds or has another bed here: move them instead")
        self._check_may_take(bed_id, person)
        self._occupy(bed_id=bed_id, placed=person.to_event(), case_id=person.case_id,
                     occupied_at=self.house.after(bed_id, at))
        self._announce(at)

    @event("BedOccupied")
    def _occupy(self, bed_id: str, placed: dict[str, Any], case_id: str | None,
                occupied_at: datetime) -> None:
        self.beds[bed_id].now_with(Placed.from_event(placed), occupied_at)

    def vacate(self, stay_id: str, at: datetime, why: str) -> None:
        bed_id, occupant = self._bed_of(stay_id, held=False,
                                        refusal="the person has no bed in this shelter")
        self._vacate(bed_id=bed_id, stay_id=stay_id, case_id=occupant.case_id,
                     vacated_at=self.house.after(bed_id, at), why=why)
        if self.relocating and not self.to_relocate:
            self._relocated(completed_at=at)
        self._announce(at)

    @event("BedVacated")
    def _vacate(self, bed_id: str, stay_id: str, case_id: str | None, vacated_at: datetime,
                why: str) -> None:
        self.beds[bed_id].now_with(None, vacated_at)
        if stay_id in self.to_relocate:
            self.to_relocate.remove(stay_id)

    def _bed_of(self, stay_id: str, *, held: bool, refusal: str) -> tuple[str, Placed]:
        """The stay's bed here and who has it: one held for them (`held`) or theirs."""
        bed_id = self.house.bed_of(stay_id)
        if bed_id is None or (self.beds[bed_id].held_until is not None) != held:
            raise WrongState(refusal)
        occupant = self.beds[bed_id].occupant
        assert occupant is not None
        return bed_id, occupant

    def update_person(self, person: Placed) -> None:
        """New facts about someone here (a keep-apart flag, the end of their isolation)."""
        bed_id = self.house.bed_of(person.stay_id)
        if bed_id is None:
            raise WrongState("the person has no bed in this shelter")
        if self.beds[bed_id].occupant != person:
            self._update_person(bed_id=bed_id, placed=person.to_event(), case_id=person.case_id)

    @event("OccupantFactsUpdated")
    def _update_person(self, bed_id: str, placed: dict[str, Any], case_id: str | None) -> None:
        self.beds[bed_id].occupant = Placed.from_event(placed)

    # -- security ----------------------------------------------------------------------------
    def report_incident(self, *, incident_id: str, kind: str, severity: str,
                        occurred_at: datetime, reported_at: datetime, stay_ids: list[str],
                        note: str | None) -> list[str]:
        """Record an incident; "location compromised" closes the shelter, releases its holds
        and lists every resident to be moved. Returns the stays whose holds were released."""
        kind = code(IncidentKind, kind, "kind")
        unknown = [s for s in stay_ids if self.house.bed_of(s) is None]
        if unknown:
            raise InvalidValue("stay_ids", "each must be a person in this shelter")
        self._incident(incident_id=incident_id, kind=kind,
                       severity=code(Severity, severity, "severity"),
                       occurred_at=moment(occurred_at, "occurred_at"),
                       stay_ids=stay_ids, note=note)
        if kind != COMPROMISED or self.closed:
            return []
        held = [b.occupant.stay_id for b in self.beds.values()
                if b.occupant is not None and b.held_until is not None]
        for stay_id in held:
            self.release_hold(stay_id, reported_at, COMPROMISED)
        self._compromised(incident_id=incident_id, closed_at=reported_at,
                          to_relocate=[p.stay_id for p in self.house.people()])
        if not self.to_relocate:
            self._relocated(completed_at=reported_at)
        self._announce(reported_at)
        return held

    @event("SecurityIncidentReported")
    def _incident(self, incident_id: str, kind: str, severity: str, occurred_at: datetime,
                  stay_ids: list[str], note: str | None) -> None:
        pass  # kept in the stream (and the read models); the note only in the event, sealed

    @event("LocationCompromised")
    def _compromised(self, incident_id: str, closed_at: datetime, to_relocate: list[str]) -> None:
        self.closed_by, self.relocating = incident_id, True
        self.to_relocate = list(to_relocate)

    @event("RelocationCompleted")
    def _relocated(self, completed_at: datetime) -> None:
        self.relocating = False

    def clear(self, cleared_at: datetime) -> None:
        """Open again: the threat is dealt with. Whoever was not yet moved may stay."""
        if not self.closed:
            raise WrongState("the shelter is not closed")
        self._clear(cleared_at=cleared_at, not_relocated=list(self.to_relocate))
        self._announce(cleared_at)

    @event("ShelterCleared")
    def _clear(self, cleared_at: datetime, not_relocated: list[str]) -> None:
        self.closed_by, self.relocating, self.to_relocate = None, False, []

    # -- what is where (the house answers; the shelter knows whether it is open) -------------------
    def refusal(self, bed_id: str, person: Placed) -> str | None:
        """Why `person` cannot hold or take this bed now, or None."""
        return "the shelter is closed" if self.closed else self.house.refusal(bed_id, person)

    def suitable_beds(self, person: Placed) -> list[tuple[int, str, str, str]]:
        return [] if self.closed else self.house.suitable_beds(person)

    def availability(self) -> dict[str, Any]:
        counts = self.house.counts()
        if self.closed:
            counts.update(beds_free=0, isolation_rooms_free=0)
        return {**counts, "open": not self.closed}

    def _announce(self, at: datetime) -> None:
        now = self.availability()
        if now != self.announced:
            self._availability(code=self.code, changed_at=at, **now)

    @event("AvailabilityChanged")
    def _availability(self, code: str, changed_at: datetime, beds_in_service: int,
                      beds_free: int, isolation_rooms_free: int, open: bool) -> None:  # noqa: A002
        self.announced = {"beds_in_service": beds_in_service, "beds_free": beds_free,
                          "isolation_rooms_free": isolation_rooms_free, "open": open}

