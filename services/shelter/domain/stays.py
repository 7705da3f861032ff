"""A stay: one person's placement, from the request (casework's, or a night intake on a
police referral) through a held bed, admission, moves and provisions, to discharge -- or
declined. Modelled on the UK accommodation API's bookings (provisional -> confirmed ->
arrived -> departed) and Finding A Bed Tonight's holds (held -> confirmed / cancelled /
expired).

One active bed per person: the stay is saved in the same transaction as the shelter whose
bed it takes, so one person cannot take two beds, even in two shelters at once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.shelter.domain.placing import Placed
from services.shelter.domain.rules import (
    InvalidValue,
    WrongState,
    code,
    day,
    label,
    moment,
)
from services.shelter.vocabulary import (
    DeclineReason,
    DischargeReason,
    HoldCancelReason,
    IsolationDecision,
    MoveReason,
    Provision,
    Source,
    StayStatus,
    Urgency,
)

WAITING, HELD, RESIDENT = StayStatus.WAITING.value, StayStatus.HELD.value, \
    StayStatus.RESIDENT.value
OPEN = frozenset({WAITING, HELD, RESIDENT})
IN_A_BED = frozenset({HELD, RESIDENT})  # placed or held: the stay's shelter looks after it
NIGHT_INTAKE = Source.NIGHT_INTAKE.value
COMPROMISED = HoldCancelReason.LOCATION_COMPROMISED.value
MAX_QUANTITY = 100


class Stay(Aggregate):
    # Sealed under the stay's own subject: erasure of the case shreds it.
    PERSONAL_DATA = {"known_as": "id", "police_reference": "id"}

    @classmethod
    def request(cls, *, stay_id: UUID, source: str, requested_at: datetime,
                case_id: str | None = None, isolation: dict[str, Any] | None = None,
                accompanying_children: int = 0, needed_from: date | None = None,
                gender: str, languages: list[str], priority: str | None = None,
                auto_hold: bool = False, group: str | None = None,
                apart: dict[str, str] | None = None, referred_by: str | None = None,
                known_as: str | None = None, police_reference: str | None = None,
                received_by: list[str] | None = None) -> Stay:
        """`isolation`: {reason, max_days, review_on} when the person needs an isolation room.
        `received_by`: for a night intake, the shelters whose staff received the person."""
        if not 0 <= accompanying_children <= 20:
            raise InvalidValue("accompanying_children", "must be 0 to 20")
        if received_by is not None and source != NIGHT_INTAKE:
            raise InvalidValue("received_by", "is a night intake's")
        stay = cls(id=stay_id, case_id=case_id, source=source,
                   requested_at=moment(requested_at, "requested_at"), isolation=isolation,
                   accompanying_children=accompanying_children,
                   needed_from=None if needed_from is None else day(needed_from, "needed_from"),
                   gender=gender, languages=list(languages),
                   priority=None if priority is None else code(Urgency, priority, "priority"),
                   auto_hold=auto_hold, group=group, apart=dict(apart or {}),
                   referred_by=referred_by,
                   known_as=None if known_as is None else label(known_as, "known_as", 200),
                   police_reference=None if police_reference is None
                   else label(police_reference, "police_reference"))
        if received_by is not None:
            stay._received(shelter_ids=sorted(set(received_by)))
        return stay

    @event("PlacementRequested")
    def __init__(self, id: UUID, case_id: str | None, source: str,  # noqa: A002
                 requested_at: datetime, isolation: dict[str, Any] | None,
                 accompanying_children: int, needed_from: str | None, gender: str,
                 languages: list[str], priority: str | None, auto_hold: bool,
                 group: str | None, apart: dict[str, str], referred_by: str | None,
                 known_as: str | None, police_reference: str | None):
        self.case_id, self.source, self.requested_at = case_id, source, requested_at
        self.isolation, self.children = isolation, accompanying_children
        self.needed_from, self.gender, self.languages = needed_from, gender, languages
        self.priority, self.auto_hold, self.group, self.apart = priority, auto_hold, group, apart
        self.referred_by, self.known_as = referred_by, known_as
        self.police_reference = police_reference
        self.status, self.waiting_since, self.long_wait_noticed = WAITING, requested_at, False
        self.place: dict[str, Any] | None = None  # shelter_id, shelter_code, room_id, bed_id
        self.hold_expires_at: datetime | None = None
        self.admitted_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.isolation_ends_on: str | None = None
        self.incident_ids: list[str] = []  # incidents naming the person: their notes go with them
        # A night intake's shelters, whose staff received the person: theirs while it waits.
        # None where not recorded (a casework request; a night intake stored before).
        self.received_by: list[str] | None = None
        self.erased = False

    @event("NightIntakeReceived")
    def _received(self, shelter_ids: list[str]) -> None:
        self.received_by = shelter_ids

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def shelter_now(self) -> str | None:
        """The shelter the person is placed or held in now. None once the stay has ended:
        a discharged stay keeps its `place` on the record (the census, the history), and
        that place grants no one anything any more."""
        return None if self.place is None or self.status not in IN_A_BED \
            else self.place["shelter_id"]

    @property
    def waiting_night_intake(self) -> bool:
        return self.source == NIGHT_INTAKE and self.status == WAITING

    def placed(self) -> Placed:
        return Placed(stay_id=str(self.id), case_id=self.case_id, group=self.group,
                      isolation=self.isolation is not None, apart=dict(self.apart),
                      gender=self.gender, children=self.children)

    def _check(self, *statuses: str) -> None:
        if self.status not in statuses:
            raise WrongState(f"the stay is {self.status}; this needs it {' or '.join(statuses)}")

    # -- holds ----------------------------------------------------------------------------------
    def hold(self, place: dict[str, Any], held_at: datetime, expires_at: datetime) -> None:
        self._check(WAITING)
        self._hold(case_id=self.case_id, **place, held_at=held_at, expires_at=expires_at)

    @event("PlacementHeld")
    def _hold(self, case_id: str | None, shelter_id: str, shelter_code: str, room_id: str,
              bed_id: str, held_at: datetime, expires_at: datetime) -> None:
        self.status, self.hold_expires_at = HELD, expires_at
        self._in_bed(shelter_id, shelter_code, room_id, bed_id)

    def hold_due(self, now: datetime) -> bool:
        return self.status == HELD and self.hold_expires_at is not None \
            and self.hold_expires_at <= now

    def expire_hold(self, at: datetime) -> None:
        """Back on the waiting list, without a new automatic hold: nobody came in time, so
        a person decides what next (the caseworker hears of it)."""
        self._check(HELD)
        self._expire(case_id=self.case_id, **self._where(), expired_at=at)

    @event("HoldExpired")
    def _expire(self, case_id: str | None, shelter_id: str, shelter_code: str, bed_id: str,
                expired_at: datetime) -> None:
        self._back_to_waiting(expired_at)

    def cancel_hold(self, at: datetime, reason: str) -> None:
        self._check(HELD)
        self._cancel(case_id=self.case_id, **self._where(), cancelled_at=at,
                     reason=code(HoldCancelReason, reason, "cancel_reason"))

    @event("HoldCancelled")
    def _cancel(self, case_id: str | None, shelter_id: str, shelter_code: str, bed_id: str,
                cancelled_at: datetime, reason: str) -> None:
        # A shelter closed under threat: its people on the way still need a bed elsewhere.
        self._back_to_waiting(cancelled_at, keep_offering=reason == COMPROMISED)

    def _in_bed(self, shelter_id: str, shelter_code: str, room_id: str, bed_id: str) -> None:
        """Where the stay has its bed now: held, admitted or moved."""
        self.place = {"shelter_id": shelter_id, "shelter_code": shelter_code,
                      "room_id": room_id, "bed_id": bed_id}

    def _where(self) -> dict[str, Any]:
        assert self.place is not None
        return {k: self.place[k] for k in ("shelter_id", "shelter_code", "bed_id")}

    def _back_to_waiting(self, at: datetime, keep_offering: bool = False) -> None:
        self.status, self.place, self.hold_expires_at = WAITING, None, None
        self.auto_hold = self.auto_hold and keep_offering
        self.waiting_since, self.long_wait_noticed = at, False

    # -- residents -----------------------------------------------------------------------------
    def admit(self, place: dict[str, Any], at: datetime) -> None:
        self._check(WAITING, HELD)
        ends_on = None
        if self.isolation is not None:
            ends_on = (at.date() + timedelta(days=self.isolation["max_days"])).isoformat()
        self._admit(case_id=self.case_id, **place, admitted_at=at,
                    isolated=self.isolation is not None, isolation_ends_on=ends_on)

    @event("ResidentAdmitted")
    def _admit(self, case_id: str | None, shelter_id: str, shelter_code: str, room_id: str,
               bed_id: str, admitted_at: datetime, isolated: bool,
               isolation_ends_on: str | None) -> None:
        self.status, self.admitted_at, self.hold_expires_at = RESIDENT, admitted_at, None
        self._in_bed(shelter_id, shelter_code, room_id, bed_id)
        self.isolation_ends_on = isolation_ends_on

    def move(self, place: dict[str, Any], at: datetime, reason: str) -> None:
        """A transfer is a release and an assignment, in one transaction with the shelters."""
        self._check(RESIDENT)
        assert self.place is not None
        if place["bed_id"] == self.place["bed_id"]:
            raise InvalidValue("bed_id", "is the bed the resident already has")
        self._move(case_id=self.case_id, from_shelter_id=self.place["shelter_id"],
                   from_bed_id=self.place["bed_id"], **place, moved_at=at,
                   reason=code(MoveReason, reason, "move_reason"))

    @event("ResidentMoved")
    def _move(self, case_id: str | None, from_shelter_id: str, from_bed_id: str,
              shelter_id: str, shelter_code: str, room_id: str, bed_id: str,
              moved_at: datetime, reason: str) -> None:
        self._in_bed(shelter_id, shelter_code, room_id, bed_id)

    def discharge(self, reason: str, at: datetime) -> None:
        self._check(RESIDENT)
        self._discharge(case_id=self.case_id, **self._where(), discharged_at=at,
                        reason=code(DischargeReason, reason, "discharge_reason"))

    @event("ResidentDischarged")
    def _discharge(self, case_id: str | None, shelter_id: str, shelter_code: str, bed_id: str,
                   discharged_at: datetime, reason: str) -> None:
        self.status, self.ended_at = StayStatus.DISCHARGED.value, discharged_at

    def decline(self, reason: str, at: datetime) -> None:
        self._check(WAITING, HELD)
        self._decline(case_id=self.case_id, declined_at=at,
                      reason=code(DeclineReason, reason, "decline_reason"))

    @event("PlacementDeclined")
    def _decline(self, case_id: str | None, declined_at: datetime, reason: str) -> None:
        self.status, self.ended_at, self.place = StayStatus.DECLINED.value, declined_at, None

    # -- on the waiting list ----------------------------------------------------------------
    def prioritise(self, priority: str) -> None:
        self._check(WAITING, HELD)
        self._prioritise(priority=code(Urgency, priority, "priority"))

    @event("PlacementPrioritised")
    def _prioritise(self, priority: str) -> None:
        self.priority = priority

    def notice_long_wait(self, now: datetime, threshold: timedelta) -> bool:
        """Once per spell on the waiting list: a poll may ask again and again."""
        if self.status != WAITING or self.long_wait_noticed or now - self.waiting_since < threshold:
            return False
        self._long_wait(case_id=self.case_id, waiting_since=self.waiting_since, noticed_at=now)
        return True

    @event("PlacementWaitingLong")
    def _long_wait(self, case_id: str | None, waiting_since: datetime,
                   noticed_at: datetime) -> None:
        self.long_wait_noticed = True

    def link_to_case(self, case_id: str, case_reference: str | None, at: datetime) -> bool:
        """A night intake's person, found to be (or made) a client. Linking again to the
        same case changes nothing."""
        if self.case_id == case_id:
            return False
        if self.case_id is not None:
            raise WrongState("the stay belongs to another case")
        self._link(case_id=case_id, case_reference=case_reference, status=self.status,
                   shelter_id=None if self.place is None else self.place["shelter_id"],
                   linked_at=at)
        return True

    @event("PlacementLinkedToCase")
    def _link(self, case_id: str, case_reference: str | None, status: str,
              shelter_id: str | None, linked_at: datetime) -> None:
        self.case_id = case_id

    # -- the person --------------------------------------------------------------------------------
    def note_keep_apart(self, group: str | None, apart: dict[str, str]) -> bool:
        if not self.is_open or (group == self.group and apart == self.apart):
            return False
        self._keep_apart(case_id=self.case_id, group=group, apart=dict(apart))
        return True

    @event("KeepApartNoted")
    def _keep_apart(self, case_id: str | None, group: str | None, apart: dict[str, str]) -> None:
        self.group, self.apart = group, apart

    def record_known_as(self, known_as: str) -> None:
        self._known_as(known_as=label(known_as, "known_as", 200))

    @event("KnownAsRecorded")
    def _known_as(self, known_as: str) -> None:
        self.known_as = known_as

    def review_isolation(self, decision: str, next_review_on: date | None,
                         at: datetime) -> None:
        if self.isolation is None:
            raise WrongState("the person is not in isolation")
        decision = code(IsolationDecision, decision, "decision")
        review_on = None
        if decision == IsolationDecision.CONTINUE.value:
            if next_review_on is None:
                raise InvalidValue("next_review_on", "is required to continue isolation")
            review_on = day(next_review_on, "next_review_on")
            if self.isolation_ends_on is not None and review_on > self.isolation_ends_on:
                raise InvalidValue("next_review_on", "must not be after the isolation's"
                                                     " maximum duration")
        self._review(case_id=self.case_id, decision=decision, review_on=review_on,
                     reviewed_at=at)

    @event("IsolationReviewed")
    def _review(self, case_id: str | None, decision: str, review_on: str | None,
                reviewed_at: datetime) -> None:
        if review_on is None:
            self.isolation = None
        else:
            self.isolation = {**(self.isolation or {}), "review_on": review_on}

    def hand_out(self, kind: str, quantity: int, at: datetime, handed_out_by: str) -> None:
        self._check(RESIDENT)
        if not 1 <= quantity <= MAX_QUANTITY:
            raise InvalidValue("quantity", f"must be 1 to {MAX_QUANTITY}")
        assert self.place is not None
        self._hand_out(case_id=self.case_id, shelter_id=self.place["shelter_id"],
                       kind=code(Provision, kind, "kind"), quantity=quantity,
                       handed_out_at=at, handed_out_by=handed_out_by)

    @event("ProvisionHandedOut")
    def _hand_out(self, case_id: str | None, shelter_id: str, kind: str, quantity: int,
                  handed_out_at: datetime, handed_out_by: str) -> None:
        pass

    def note_incident(self, incident_id: str, kind: str, severity: str) -> None:
        self._incident(case_id=self.case_id, incident_id=incident_id, kind=kind,
                       severity=severity)

    @event("IncidentNoted")
    def _incident(self, case_id: str | None, incident_id: str, kind: str,
                  severity: str) -> None:
        self.incident_ids.append(incident_id)

    def erase(self, at: datetime) -> bool:
        """The case was erased: its key is shredded by the application; this records when.
        The stay's facts (dates, beds, codes) stay: they are the census."""
        if self.erased:
            return False
        self._erase(erased_at=at)
        return True

    @event("StayErased")
    def _erase(self, erased_at: datetime) -> None:
        self.erased = True
