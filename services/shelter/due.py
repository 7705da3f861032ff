"""What falls due by the clock, not by a command: holds that expire, rooms whose
out-of-service period ends, people waiting too long, residents of a compromised shelter
still to move, and free beds to offer the waiting list.

Nothing waits in memory for a moment to come. Each service process polls (service.py): the
read models name the candidates, and each is decided again on its aggregate, guarded by its
state, so a poll that runs late (after a restart), twice, or in two processes at once
changes each thing exactly once -- the second finds it done, or loses the write and, on
its retry, finds it done.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from services.shelter.domain import Shelter
from services.shelter.domain.rules import NoSuitableBed, WrongState
from services.shelter.store import ShelterStore, place_of, system_context
from shared.metrics import SHELTER_BEDS_FREE, SHELTER_ISOLATION_ROOMS_FREE

log = logging.getLogger(__name__)
LONG_WAIT = timedelta(hours=2)  # "placement waiting over 2 hours": notifications alert


class Due(ShelterStore):
    def run_due_work(self) -> dict[str, int]:
        """One poll: every kind of due work, then the gauges. Returns what it changed."""
        now = self.clock()
        done = {
            "holds_expired": self._each(self.views.due_holds(now),
                                        lambda stay_id: self.expire_hold(stay_id, now)),
            "rooms_returned": self._each(self.views.rooms_due(now),
                                         lambda key: self._return_room(key[0], key[1], now)),
            "long_waits": self._each(self.views.waiting_since(now - LONG_WAIT),
                                     lambda stay_id: self._notice_wait(stay_id, now)),
            "relocated": sum(self.relocate_residents(shelter_id)
                             for shelter_id in self.views.relocating()),
            "holds_offered": self.offer_free_beds(),
        }
        self.publish_gauges()
        return done

    def _each(self, candidates: list[Any], act: Callable[[Any], bool]) -> int:
        """Act on each candidate in its own transaction; one failure does not stop the rest
        (the next poll tries again). Logged by type only: a message may quote data."""
        changed = 0
        for candidate in candidates:
            def attempt(chosen: Any = candidate) -> bool:
                return act(chosen)

            try:
                changed += bool(self.retrying(attempt))
            except WrongState as exc:
                # Chosen from a read model: another replica's poll (or a command) changed
                # the record first. Expected with two replicas; the next poll looks again.
                log.info("due shelter work skipped, the record moved on: %s",
                         type(exc).__name__)
            except Exception as exc:  # noqa: BLE001 - see the docstring
                log.error("due shelter work failed: %s", type(exc).__name__)
        return changed

    def expire_hold(self, stay_id: str, now: datetime) -> bool:
        stay = self.stay(stay_id)
        if not stay.hold_due(now):
            return False  # admitted, cancelled or already expired: nothing to do
        shelter = self.shelter_of(stay)
        shelter.release_hold(str(stay.id), now, "expired")
        stay.expire_hold(now)
        self.save(shelter, stay, ctx=system_context("expire_hold"))
        return True

    def _return_room(self, shelter_id: str, room_id: str, now: datetime) -> bool:
        shelter = self.load(Shelter, shelter_id, sealed=True)
        if room_id not in shelter.house.rooms_due_back(now):
            return False
        shelter.return_to_service(room_id, now)
        self.save(shelter, ctx=system_context("return_room_to_service"))
        return True

    def _notice_wait(self, stay_id: str, now: datetime) -> bool:
        stay = self.stay(stay_id)
        if not stay.notice_long_wait(now, LONG_WAIT):
            return False
        self.save(stay, ctx=system_context("notice_long_wait"))
        return True

    def offer_free_beds(self) -> int:
        """Hold free beds for the waiting list, emergencies first, then the longest wait:
        for requests still offered beds automatically (a hold that expired is not renewed
        unasked). Best effort after a command, and again at every poll."""
        now = self.clock()
        try:
            if not self.views.beds_free():
                return 0
            return self._each(self.views.waiting_for_offer(now.date()),
                              lambda stay_id: self._offer(stay_id, now))
        except Exception as exc:  # noqa: BLE001 - the command is done; the poll retries
            log.error("offering free beds failed: %s", type(exc).__name__)
            return 0

    def _offer(self, stay_id: str, now: datetime) -> bool:
        stay = self.stay(stay_id)
        if stay.status != "waiting" or not stay.auto_hold:
            return False
        held = self.hold_anywhere(stay, now)
        if held:
            self.save(*held, stay, ctx=system_context("hold_bed"))
        return bool(held)

    def relocate_residents(self, shelter_id: str) -> int:
        """Move everyone still in a compromised shelter to a suitable bed elsewhere, one
        transaction each; those with no bed free yet stay listed for the next poll."""
        source = self.load(Shelter, shelter_id, sealed=True)
        return self._each(list(source.to_relocate),
                          lambda stay_id: self._relocate(shelter_id, stay_id))

    def _relocate(self, shelter_id: str, stay_id: str) -> bool:
        now, source = self.clock(), self.load(Shelter, shelter_id, sealed=True)
        if stay_id not in source.to_relocate:
            return False
        stay = self.stay(stay_id)
        try:
            target, bed = self.bed_for(stay.placed(), [s for s in self.shelters()
                                                      if s.id != source.id])
        except NoSuitableBed:
            return False
        source.vacate(stay_id, now, "moved")
        target.occupy(bed, stay.placed(), now)
        stay.move(place_of(target, bed), now, "location_compromised")
        self.save(source, target, stay, ctx=system_context("relocate_resident"))
        return True

    def publish_gauges(self) -> None:
        for row in self.views.occupancy()["shelters"]:
            SHELTER_BEDS_FREE.labels(row["code"]).set(row["beds_free"])
            SHELTER_ISOLATION_ROOMS_FREE.labels(row["code"]).set(row["isolation_rooms_free"])
