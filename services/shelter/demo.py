"""Demo data for `haven dev`: three shelters (24 beds, two isolation rooms) and three months
of stays for the demo cases.

The cases are casework's demo cases (read from casework's store, codes only: when each was
opened, the client's gender). About two in three of them needed a bed; the stays are played
through the shelters' own commands in time order -- requests held a bed or waiting, admitted,
moved, handed provisions, discharged -- with the poll run as time passes, so holds expire,
freed beds go to the waiting list and the census is what the events say. A few night
intakes on police referrals, a room out of service, incidents. Every name is invented.
"""

from __future__ import annotations

import heapq
import itertools
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.utils import get_topic

from services.casework.application import Casework
from services.casework.domain import Case, Client
from services.shelter.application import Shelters
from services.shelter.domain import ShelterRegistry
from services.shelter.domain.ids import REGISTRY_ID
from services.shelter.projections import READ_MODELS
from shared.audit import CommandContext
from shared.bootstrap import attach_read_models
from shared.config import Settings
from shared.errors import HavenError

SUPERVISOR = CommandContext(actor_id="sup-01", actor_role="supervisor", command="load_demo",
                            reason="demo_data")
HOUSES = [  # code, name, address (invented), rooms, roster
    ("N", "North House", "ul. Lipowa 12, 80-001 Gdańsk (demo)",
     [("A", [], 2), ("B", [], 2), ("C", ["women_only"], 2), ("D", ["men_only"], 2),
      ("F", ["family", "women_only"], 2), ("Iso", ["isolation"], 1)],
     ["staff-n1", "staff-n2", "demo-shelter_staff"]),
    ("R", "River House", "ul. Nadbrzeżna 4, 61-001 Poznań (demo)",
     [("A", [], 2), ("B", ["men_only"], 2), ("C", ["accessible", "ground_floor"], 2),
      ("Iso", ["isolation"], 1)], ["staff-r1", "staff-r2"]),
    ("G", "Garden House", "ul. Ogrodowa 30, 30-001 Kraków (demo)",
     [("A", ["women_only"], 2), ("B", ["women_only"], 2), ("F", ["family", "women_only"], 2)],
     ["staff-g1"]),
]
DISCHARGES = {"independent_living": 40, "referred_elsewhere": 20, "repatriated": 20,
              "left_voluntarily": 15, "rules_breach": 5}


def load_demo(cfg: Settings, now: datetime | None = None, seed: int = 2009,
              between: Callable[[], None] = lambda: None) -> int:
    """Returns how many stays were played."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    now = now or datetime.now(UTC)
    app = Shelters(cfg)
    runner = attach_read_models(app, READ_MODELS)
    try:
        if app.find(ShelterRegistry, REGISTRY_ID) is not None:
            return 0  # loaded before
        play = Play(app, rng, now)
        play.houses(now - timedelta(days=92))
        play.house_events()
        for case_id, opened_at, gender, urgency in _cases(cfg):
            if rng.random() < 0.65:
                play.at(opened_at + timedelta(hours=rng.uniform(0.5, 30)), play.request,
                        case_id, gender, urgency)
        for _ in range(6):
            play.at(now - timedelta(days=rng.uniform(1, 88), hours=rng.uniform(0, 5)),
                    play.night_intake)
        play.at(now - timedelta(days=9, hours=2), play.raid, "G", 8)
        return play.run(between)
    finally:
        if runner is not None:
            runner.close()
        app.close()


def _cases(cfg: Settings) -> list[tuple[str, datetime, str, str]]:
    """casework's demo cases: id, opened, the client's gender, urgency (no personal data)."""
    casework = Casework(cfg)
    try:
        topic = get_topic(Case.CaseOpened)  # type: ignore[attr-defined]
        found = []
        for notification in casework.recorder.select_notifications(1, 100_000, topics=[topic]):
            case = casework.load(Case, notification.originator_id, sealed=True)
            client = casework.load(Client, case.client_id, sealed=True)
            found.append((str(case.id), case.opened_at, client.gender, case.facts["urgency"]))
        return found
    finally:
        casework.close()


class Play:
    """The demo's timeline: actions in time order, each at its moment on the app's clock."""

    def __init__(self, app: Shelters, rng: random.Random, now: datetime):
        self.app, self.rng, self.now = app, rng, now
        self.queue: list[tuple[datetime, int, Callable[..., Any], tuple[Any, ...]]] = []
        self.order = itertools.count()
        self.moment = now
        app.clock = lambda: self.moment
        self.stays = 0
        self.seen: set[str] = set()  # stays whose hold has an admission planned
        self.shelter_ids: dict[str, str] = {}

    def at(self, when: datetime, action: Callable[..., Any], *args: Any) -> None:
        if when < self.now:
            heapq.heappush(self.queue, (when, next(self.order), action, args))

    def run(self, between: Callable[[], None]) -> int:
        while self.queue:
            self.moment, _, action, args = heapq.heappop(self.queue)
            self.app.run_due_work()
            try:
                action(*args)
            except HavenError:
                pass  # a bed gone, a stay moved on: as at the real desk, the day goes on
            self._admit_new_holds()
            between()
        self.moment = self.now
        self.app.run_due_work()
        return self.stays

    def staff(self, shelter_code: str) -> CommandContext:
        roster = next(house[4] for house in HOUSES if house[0] == shelter_code)
        return CommandContext(actor_id=roster[0], actor_role="shelter_staff",
                              command="load_demo", reason="demo_data")

    def houses(self, start: datetime) -> None:
        self.moment = start
        for code, name, address, rooms, roster in HOUSES:
            shelter_id = self.app.register_shelter(SUPERVISOR, code, name, address, rooms=[
                {"name": room, "tags": tags, "beds": [str(n) for n in range(1, beds + 1)]}
                for room, tags, beds in rooms])["shelter_id"]
            for staff_id in roster:
                self.app.assign_staff(SUPERVISOR, shelter_id, staff_id)
            self.shelter_ids[code] = shelter_id

    def house_events(self) -> None:
        """A threat, a cooling-off after it, a compromised location cleared three days
        later, and a room in its deep clean today."""
        def room(code: str, name: str) -> uuid.UUID:
            rooms = self.app.views.occupancy(self.shelter_ids[code])["shelters"][0]["rooms"]
            return uuid.UUID(next(r["room_id"] for r in rooms if r["name"] == name))

        def incident(code: str, kind: str, severity: str) -> None:
            self.app.report_incident(self.staff(code), uuid.UUID(self.shelter_ids[code]),
                                     kind, severity)

        def out_of_service(code: str, name: str, reason: str, hours: float) -> None:
            self.app.take_room_out_of_service(
                self.staff(code), uuid.UUID(self.shelter_ids[code]), room(code, name), reason,
                until=self.moment + timedelta(hours=hours))

        def clear(code: str) -> None:
            self.app.clear_shelter(SUPERVISOR, uuid.UUID(self.shelter_ids[code]))

        day = timedelta(days=1)
        self.at(self.now - 61 * day, incident, "G", "threat_received", "high")
        self.at(self.now - 61 * day + timedelta(hours=1), out_of_service, "G", "B",
                "cooling_off", 48)
        self.at(self.now - 40 * day, incident, "R", "location_compromised", "critical")
        self.at(self.now - 37 * day, clear, "R")
        self.at(self.now - 20 * day, incident, "N", "substance_abuse", "low")
        self.at(self.now - 0.5 * day, out_of_service, "N", "B", "deep_clean", 30)

    # -- what happens -------------------------------------------------------------------------
    def request(self, case_id: str, gender: str, urgency: str) -> None:
        isolation = self.rng.random() < 0.08
        self.stays += 1
        self.app.request_placement(SUPERVISOR, {
            "request_id": uuid.uuid4(), "case_id": case_id, "requested_at": self.moment,
            "needs_isolation": isolation, "isolation_reason": "health" if isolation else None,
            "accompanying_children": 1 if self.rng.random() < 0.08 else 0,
            "needed_from": None, "gender": gender, "languages": []})

    def night_intake(self) -> None:
        code = self.rng.choice("NRG")
        stay_id = self.app.night_intake(self.staff(code), gender="Female",
                                        referred_by="police", known_as="(pseudonym)")["stay_id"]
        self.stays += 1
        self.admit(stay_id, code)

    def raid(self, code: str, people: int) -> None:
        """A police raid brings more women than one house holds, whatever else the demo's
        dates gave it: that house fills, the rest wait for the morning and another house."""
        for _ in range(people):
            stay_id = self.app.night_intake(self.staff(code), gender="Female",
                                            referred_by="police",
                                            known_as="(pseudonym)")["stay_id"]
            self.stays += 1
            try:
                self.admit(stay_id, code)
            except HavenError:  # no bed left here tonight
                self.at(self.moment + timedelta(hours=10), self.admit_somewhere, stay_id)

    def admit_somewhere(self, stay_id: str) -> None:
        """In the morning a supervisor finds them a bed in another house, whose staff admit
        them: a night intake waiting is its own house's, no other house takes it over."""
        for code in ("N", "R"):
            try:
                self.app.hold_bed(SUPERVISOR, uuid.UUID(stay_id),
                                  shelter_id=uuid.UUID(self.shelter_ids[code]))
            except HavenError:
                continue
            return self.admit(stay_id, code)

    def _admit_new_holds(self) -> None:
        for item in self.app.views.waiting_list(self.moment)["items"]:
            if item["status"] == "held" and item["stay_id"] not in self.seen:
                self.seen.add(item["stay_id"])
                self.at(self.moment + timedelta(hours=self.rng.uniform(0.5, 3)), self.admit,
                        item["stay_id"], None)

    def admit(self, stay_id: str, code: str | None) -> None:
        stay = self.app.stay(stay_id)
        code = code or (stay.place or {}).get("shelter_code")
        if code is None:
            return
        self.app.admit_resident(self.staff(code), uuid.UUID(stay_id))
        self.app.hand_out_provision(self.staff(code), uuid.UUID(stay_id), "hygiene")
        self.app.hand_out_provision(self.staff(code), uuid.UUID(stay_id), "phone_card")
        days = self.rng.uniform(5, 75)
        for week in range(1, int(days // 7) + 1):
            self.at(self.moment + timedelta(days=7 * week), self.provide, stay_id)
        if self.rng.random() < 0.15:
            self.at(self.moment + timedelta(days=days / 2), self.move, stay_id)
        self.at(self.moment + timedelta(days=days), self.discharge, stay_id)

    def _ctx_of(self, stay_id: str) -> CommandContext:
        return self.staff((self.app.stay(stay_id).place or {}).get("shelter_code") or "N")

    def provide(self, stay_id: str) -> None:
        kind = self.rng.choice(["food", "food", "hygiene", "clothing", "medicine"])
        self.app.hand_out_provision(self._ctx_of(stay_id), uuid.UUID(stay_id), kind)

    def move(self, stay_id: str) -> None:
        self.app.move_resident(self._ctx_of(stay_id), uuid.UUID(stay_id), "resident_request")

    def discharge(self, stay_id: str) -> None:
        reason = self.rng.choices(list(DISCHARGES), weights=list(DISCHARGES.values()))[0]
        self.app.discharge_resident(self._ctx_of(stay_id), uuid.UUID(stay_id), reason)
