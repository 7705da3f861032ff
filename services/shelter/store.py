"""What every part of the shelter application stands on: its store, the shelters a caller
may place people in, the shelter's file on a case, and the log of reads of personal data.

The application (application.py) is this base plus one part per concern: requests and the
waiting list (requests.py), beds (beds.py), safety (safety.py), the houses themselves
(houses.py), what falls due (due.py), reading (reading.py), casework's facts (cases.py).
Aggregates are loaded sealed; what a reader may see is unsealed field by field, after the
read is logged: no command decrypts an address or a name it does not need.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.persistence import EventStore

from services.shelter.domain import AccessLog, CaseFile, Placed, Shelter, ShelterRegistry, Stay
from services.shelter.domain.access import (
    SUPERVISOR,
    check_may_place,
    is_case_caseworker,
    is_roster_staff,
)
from services.shelter.domain.ids import REGISTRY_ID, access_log_id, case_file_id
from services.shelter.domain.rules import NoSuitableBed, ShelterClosed
from services.shelter.domain.stays import WAITING
from shared.audit import CommandContext
from shared.errors import Forbidden, NotFound, RuleViolated
from shared.eventstore import HavenApplication, HavenMapper

Fields = dict[str, Any]
SYSTEM = "system"
CACHED = 1000  # aggregates (sealed) a process keeps: every shelter, recent stays and cases
HOLD = timedelta(hours=4)  # how long a bed is held for someone on their way, by default


def system_context(command: str) -> CommandContext:
    """The centre's system acting on its own authority: a poll, a relocation."""
    return CommandContext(actor_id="service:shelter", actor_role=SYSTEM, command=command)


def place_of(shelter: Shelter, bed_id: str) -> Fields:
    return {"shelter_id": str(shelter.id), "shelter_code": shelter.code,
            "room_id": shelter.beds[bed_id].room_id, "bed_id": bed_id}


class ShelterStore(HavenApplication):
    @cached_property
    def sealed(self) -> Repository[UUID]:
        """Sealed, as HavenApplication's, and cached: a shelter's stream grows with every
        bed's history, so each process keeps what it has read and reads only what was
        stored since (fast-forward). A command then costs the same after years of stays;
        the cache holds nothing in clear; the event store still settles every race."""
        mapper = copy.copy(self.mapper)
        mapper.unseal_on_read = False  # type: ignore[attr-defined]
        return Repository(EventStore(mapper, self.recorder), cache_maxsize=CACHED,
                          fastforward=True)

    # -- shelters ----------------------------------------------------------------------------
    def shelter_ids(self) -> list[str]:
        registry = self.find(ShelterRegistry, REGISTRY_ID, sealed=True)
        return [] if registry is None else list(registry.shelters)

    def shelters(self, only: UUID | str | None = None) -> list[Shelter]:
        ids = [str(only)] if only is not None else self.shelter_ids()
        return [self.load(Shelter, shelter_id, sealed=True) for shelter_id in ids]

    def shelters_for(self, ctx: CommandContext, only: UUID | str | None,
                     caseworker_id: str | None = None) -> list[Shelter]:
        """The shelters the caller may place a person in: a supervisor, the system and the
        person's caseworker (calling as their caseworker) anywhere; shelter staff in their
        own shelters."""
        shelters = self.shelters(only)
        if _acts_anywhere(ctx, caseworker_id):
            return shelters
        mine = [s for s in shelters if is_roster_staff(ctx.actor_role, ctx.actor_id, s.staff)]
        if not mine:
            raise Forbidden("only a shelter's own staff, the case's caseworker or a"
                            " supervisor may place someone there")
        return mine

    def receivers(self, stay: Stay) -> list[str]:
        """The shelters whose staff received a night intake, as recorded with it. For one
        stored before that was recorded: the shelters on whose roster is the member of staff
        who stored it (its first event's audit metadata names them) -- none if a supervisor
        did, or if they have left every roster since."""
        if stay.received_by is not None:
            return stay.received_by
        mapper = self.mapper
        assert isinstance(mapper, HavenMapper)
        first = self.recorder.select_events(stay.id, limit=1)
        audit = mapper.audit_of(first[0]) if first else {}
        role, actor_id = str(audit.get("actor_role")), str(audit.get("actor_id"))
        return [str(s.id) for s in self.shelters() if is_roster_staff(role, actor_id, s.staff)]

    def looked_after_by(self, stay: Stay) -> list[str] | None:
        """The shelters whose staff look after a stay now: the one it is placed or held in;
        while a night intake waits, the shelter that received the person; any shelter's
        (None) for casework's request on the waiting list, each offering its own beds; none
        once it has ended (discharged, declined): a supervisor's then."""
        if stay.shelter_now is not None:
            return [stay.shelter_now]
        if stay.waiting_night_intake:
            return self.receivers(stay)
        return None if stay.status == WAITING else []

    def check_looks_after(self, ctx: CommandContext, stay: Stay,
                          caseworker_id: str | None = None) -> None:
        """The staff of the shelters that look after the stay, a supervisor, the system;
        and the case's caseworker, where `caseworker_id` is given (the command is theirs
        too)."""
        if _acts_anywhere(ctx, caseworker_id):
            return
        ids = self.looked_after_by(stay)
        shelters = self.shelters() if ids is None else [
            self.load(Shelter, shelter_id, sealed=True) for shelter_id in ids]
        if not any(is_roster_staff(ctx.actor_role, ctx.actor_id, s.staff) for s in shelters):
            raise Forbidden("only the staff of the shelter that has the person (or, while a"
                            " night intake waits, received them) or a supervisor may")

    def shelter_of(self, stay: Stay) -> Shelter:
        if stay.place is None:
            raise RuleViolated(f"the stay is {stay.status}: it has no bed")
        return self.load(Shelter, stay.place["shelter_id"], sealed=True)

    def bed_for(self, person: Placed, shelters: list[Shelter], bed_id: UUID | str | None = None,
                not_bed: str | None = None) -> tuple[Shelter, str]:
        """The bed asked for (checked when it is taken), or the best suitable bed free."""
        if bed_id is not None:
            found = next((s for s in shelters if str(bed_id) in s.beds), None)
            if found is None:
                raise NotFound(f"no bed {bed_id} in a shelter you may place people in")
            return found, str(bed_id)
        options = [((rank, shelter.code, room, label), shelter, bed)
                   for shelter in shelters
                   for rank, room, label, bed in shelter.suitable_beds(person)[:2]
                   if bed != not_bed]
        if not options and shelters and all(s.closed for s in shelters):
            raise ShelterClosed("the shelter is closed after a security incident")
        if not options:
            raise NoSuitableBed("no suitable bed is free: the placement stays on the waiting"
                                " list")
        _, shelter, bed = min(options, key=lambda option: option[0])
        return shelter, bed

    def hold_for(self, stay: Stay, shelter: Shelter, bed_id: str, now: datetime,
                 hours: int | None = None) -> None:
        expires = now + (HOLD if hours is None else timedelta(hours=hours))
        shelter.hold(bed_id, stay.placed(), now, expires)
        stay.hold(place_of(shelter, bed_id), now, expires)

    def hold_anywhere(self, stay: Stay, now: datetime) -> list[Shelter]:
        """For a request nobody chose a bed for: the best bed free anywhere, held; or none,
        and the request waits. Returns the shelter to save with the stay."""
        if stay.needed_from is not None and stay.needed_from > now.date().isoformat():
            return []  # not yet: the poll holds a bed on the day
        try:
            shelter, bed_id = self.bed_for(stay.placed(), self.shelters())
        except NoSuitableBed:
            return []
        self.hold_for(stay, shelter, bed_id, now)
        return [shelter]

    # -- stays and cases -------------------------------------------------------------------------
    def stay(self, stay_id: UUID | str) -> Stay:
        return self.load(Stay, stay_id, sealed=True)

    def case_file(self, case_id: str | None) -> CaseFile | None:
        return None if case_id is None else self.find(CaseFile, case_file_id(case_id),
                                                      sealed=True)

    def known_case(self, case_id: UUID | str) -> CaseFile:
        found = self.case_file(str(case_id))
        if found is None or found.erased:
            raise NotFound(f"no case {case_id} is known to the shelters")
        return found

    def caseworker_of(self, stay: Stay) -> str | None:
        found = self.case_file(stay.case_id)
        return None if found is None else found.caseworker_id

    def check_not_own_client(self, ctx: CommandContext, case_id: UUID | str | None) -> None:
        """A supervisor who is also the case's caseworker (confirmed or not) does not choose
        where their own client goes, nor link a stay to their case: as its caseworker they
        would then read that shelter's address, which neither role gives alone. Another
        supervisor decides."""
        found = self.case_file(None if case_id is None else str(case_id))
        if ctx.actor_role == SUPERVISOR and found is not None \
                and found.assigned[1] == ctx.actor_id:
            raise Forbidden("you are this case's caseworker: another supervisor places your"
                            " client or links a stay to the case")

    def check_may_place(self, ctx: CommandContext, stay: Stay, shelter: Shelter | None) -> None:
        check_may_place(ctx.actor_role, ctx.actor_id, [] if shelter is None else shelter.staff,
                        self.caseworker_of(stay))

    # -- the log of reads --------------------------------------------------------------------
    def record_reads(self, ctx: CommandContext, subject_id: UUID | str, purpose: str,
                     reads: list[tuple[str | None, list[str]]], at: datetime) -> None:
        """(case id, fields) per read, logged before the data leaves: a read that cannot be
        logged does not happen."""
        def record() -> None:
            log = self.find(AccessLog, access_log_id(subject_id)) \
                or AccessLog(subject_id=str(subject_id))
            for case_id, fields in reads:
                log.record_read(actor_id=ctx.actor_id, role=ctx.actor_role, purpose=purpose,
                                case_id=case_id, fields=fields, read_at=at)
            self.save(log, ctx=ctx)

        self.retrying(record)


def _acts_anywhere(ctx: CommandContext, caseworker_id: str | None) -> bool:
    """A supervisor, the system, and the case's caseworker (calling as one) are not bound
    to a shelter's roster."""
    return ctx.actor_role in (SUPERVISOR, SYSTEM) or is_case_caseworker(
        ctx.actor_role, ctx.actor_id, caseworker_id)
