"""A stack under test: started on ports and schemas of its own, steady load through its
gateways, and the checks that nothing was lost or done twice.

The load is as a helpline's apps make it: calls
logged, some of them referred to casework, cases opened at the desk -- each command under
an Idempotency-Key of its own, retried with that key on another gateway when a gateway is
down or answers 503, as a careful client does. What each command came to is kept, for the
checks afterwards: accepted (2xx), refused (4xx other than 409) or unknown (never
answered, or 409: its first attempt was cut off)."""

from __future__ import annotations

import itertools
import re
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from services.casework.domain.ids import referral_case_id
from services.notifications.domain.ids import alert_id
from shared.auth import issue_token
from shared.bootstrap import build_application
from shared.config import Settings
from shared.eventstore import _conninfo, ensure_schema
from shared.manifest import manifest
from shared.projections import ProjectionRunner
from shared.readstore import POSITIONS, PostgresReadModels, open_read_models
from shared.stack import Stack
from shared.testing import haven_script
from shared.testing.plugin import eventually
from tests.gateway_fixtures import free_port

DESK = issue_token("op-stack", ["helpline_operator"])
SUPERVISOR = issue_token("sup-stack", ["supervisor"])
CONTACT = {"channel": "phone", "language": "uk", "caller_type": "potential_victim",
           "topic": "victim_support", "urgency": "urgent",
           "summary": "Asks for help: her documents were taken",
           "callback_contact": "+48 600 100 200"}
RETRY_FOR = 90.0  # seconds a client keeps trying one command before giving up on it


@dataclass
class Outcomes:
    accepted: dict[str, Any] = field(default_factory=dict)  # key -> answer
    accepted_at: dict[str, float] = field(default_factory=dict)  # key -> time.monotonic()
    unknown: set[str] = field(default_factory=set)
    refused: dict[str, str] = field(default_factory=dict)  # key -> the problem
    shelter_id: str = ""
    unavailable: int = 0  # 502/503/504 answers, each retried
    lock: threading.Lock = field(default_factory=threading.Lock)

    def of(self, prefix: str) -> dict[str, Any]:
        return {k: v for k, v in self.accepted.items() if k.startswith(prefix)}


class Client:
    """Round-robin over the stack's gateways."""

    def __init__(self, bases: list[str], outcomes: Outcomes):
        self.bases = itertools.cycle(bases)
        self.outcomes = outcomes
        self.session = requests.Session()

    def command(self, kind: str, path: str, token: str, body: dict[str, Any],
                refusable: bool = False) -> Any:
        """The answer, or None. `refusable`: a 422 (no bed free) is an answer, not a fault."""
        key = f"{kind}-{uuid.uuid4()}"
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        given_up = time.monotonic() + RETRY_FOR
        while time.monotonic() < given_up:
            try:
                response = self.session.post(next(self.bases) + path, json=body,
                                             headers=headers, timeout=30)
            except requests.RequestException:
                time.sleep(0.2)  # a gateway down: the next try goes to the other one
                continue
            if response.status_code in (502, 503, 504):
                with self.outcomes.lock:
                    self.outcomes.unavailable += 1
                time.sleep(0.2)
                continue
            with self.outcomes.lock:
                if response.ok:
                    self.outcomes.accepted[key] = response.json()
                    self.outcomes.accepted_at[key] = time.monotonic()
                    return response.json()
                if response.status_code == 409:  # its first attempt was cut off mid-way
                    self.outcomes.unknown.add(key)
                elif not (refusable and response.status_code == 422):
                    self.outcomes.refused[key] = response.text
                return None
        with self.outcomes.lock:
            self.outcomes.unknown.add(key)
        return None


def helpline(client: Client, stop: threading.Event) -> None:
    """Calls, every third one referred to casework."""
    for n in itertools.count():
        if stop.is_set():
            return
        emergency = n % 4 == 1  # an emergency pages the on-call caseworker
        logged = client.command("contact-emergency" if emergency else "contact",
                                "/api/v1/contacts", DESK,
                                {**CONTACT, "urgency": "emergency"} if emergency else CONTACT)
        if logged is None or n % 3:
            continue
        contact = logged["contact_id"]
        screened = client.command("screening", f"/api/v1/contacts/{contact}/screening", DESK,
                                  {"assessment": "presumed_victim", "indicators": ["deception"]})
        if screened is not None:
            client.command(f"referral:{contact}:", f"/api/v1/contacts/{contact}/referral", DESK,
                           {"person": {"given_name": "Olena", "family_name": "Stack"},
                            "gender": "Female"})


def desk(client: Client, stop: threading.Event) -> None:
    """Cases opened at the desk, racing the referrals for the next reference."""
    for n in itertools.count():
        if stop.is_set():
            return
        emergency = n % 3 == 1
        client.command("case-emergency" if emergency else "case", "/api/v1/cases", SUPERVISOR, {
            "client": {"given_name": "Maria", "family_name": f"Desk-{uuid.uuid4().hex[:8]}",
                       "birth_year": 1990, "citizenship": "UA"},
            "origin_country": "UA", "urgency": "emergency" if emergency else "urgent"})


def shelter_desk(client: Client, stop: threading.Event, shelter_id: str) -> None:
    """People brought at night, racing the other desk for the house's few beds; when the
    house is full, its oldest resident moves out."""
    residents: list[str] = []
    while not stop.is_set():
        stay = client.command("night-intake", "/api/v1/night-intakes", SUPERVISOR,
                              {"gender": "Female", "referred_by": "police"})
        if stay is None:
            continue
        if client.command("admission", f"/api/v1/stays/{stay['stay_id']}/admission",
                          SUPERVISOR, {"shelter_id": shelter_id}, refusable=True):
            residents.append(stay["stay_id"])
        elif residents:
            client.command("discharge", f"/api/v1/stays/{residents.pop(0)}/discharge",
                           SUPERVISOR, {"discharge_reason": "independent_living"},
                           refusable=True)  # the waiting list may have been offered it


@contextmanager
def under_load(bases: list[str], helplines: int = 3, desks: int = 1) -> Iterator[Outcomes]:
    """Helpline and desk clients calling the gateways while the block runs. It starts once
    20 calls are through, and ends once 20 more are through after the block's fault:
    the platform serves again, not only looks up."""
    outcomes, stop = Outcomes(), threading.Event()
    house = Client(bases, outcomes).command("shelter", "/api/v1/shelters", SUPERVISOR, {
        "code": "STACK", "name": "Stack house", "address": "1 Test Street",
        "rooms": [{"name": "A", "tags": ["women_only"], "beds": ["1", "2", "3"]}]})
    outcomes.shelter_id = house["shelter_id"]
    threads = [threading.Thread(target=helpline, args=(Client(bases, outcomes), stop))
               for _ in range(helplines)]
    threads += [threading.Thread(target=desk, args=(Client(bases, outcomes), stop))
                for _ in range(desks)]
    threads += [threading.Thread(target=shelter_desk, args=(Client(bases, outcomes), stop,
                                                            outcomes.shelter_id))
                for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        eventually(lambda: len(outcomes.accepted) >= 20, timeout=300)
        yield outcomes
        after = len(outcomes.accepted)
        eventually(lambda: len(outcomes.accepted) >= after + 20, timeout=300)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=180)


# -- the stack -------------------------------------------------------------------------
def free_ports(count: int) -> int:
    """The first of `count` consecutive ports nothing listens on."""
    for base in range(21000, 40000, 97):
        try:
            for port in range(base, base + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise AssertionError("no free port range")


@contextmanager
def running_stack(directory: Path, replicas: int) -> Iterator[Stack]:
    """Every process kind, `replicas` of each, under supervisord, on the environment's
    schemas and vhost (the caller's own_run); stopped at the end."""
    count = (len(manifest().names) + len(manifest().stores)) * replicas
    stack = Stack(directory, replicas, free_ports(count),
                  tuple(free_port() for _ in range(replicas)))
    stack.up(detached=True).wait(timeout=60)
    try:
        eventually(lambda: all_up(stack), timeout=300)
        yield stack
    finally:
        stack.down()
        eventually(lambda: not (stack.directory / "supervisord.pid").exists(), timeout=120)


def all_up(stack: Stack) -> bool:
    states = stack.states()
    return len(states) == len(stack.programs) and set(states.values()) == {"RUNNING"} \
        and set(stack.health().values()) == {"ready"}


def gateways(stack: Stack) -> list[str]:
    return [f"http://127.0.0.1:{p.http_port}" for p in stack.programs if p.http_port]


# -- afterwards --------------------------------------------------------------------------
def stored(service: str, topic_end: str) -> list[dict[str, Any]]:
    """The service's events of one type, each with its aggregate's id as `_id`."""
    app = build_application(service, Settings.from_env())
    try:
        return [vars(app.mapper.to_domain_event(n)) | {"_id": str(n.originator_id)}
                for n in app.recorder.select_notifications(1, 10**7)
                if n.topic.endswith(topic_end)]
    finally:
        app.close()


def referred_contacts(outcomes: Outcomes, since: float = 0.0) -> set[str]:
    """Contacts whose referral was accepted (after `since`, a time.monotonic())."""
    return {m.group(1) for k in outcomes.of("referral:")
            if outcomes.accepted_at[k] >= since and (m := re.match(r"referral:([^:]+):", k))}


def has_cases(contacts: set[str]) -> bool:
    """Casework opened the case of every one of these referred contacts."""
    opened = {e["_id"] for e in stored("casework", ":Case.CaseOpened")}
    return bool(contacts) and {str(referral_case_id(c)) for c in contacts} <= opened


def assert_nothing_lost_or_doubled(outcomes: Outcomes) -> None:
    """Every accepted command's effects, once, in every service that should see them;
    case references unique and gap-free; every store's hash chain intact."""
    assert outcomes.refused == {}, list(outcomes.refused.values())[:3]
    contacts = {e["_id"] for e in stored("intake", ":Contact.ContactLogged")}
    accepted = {a["contact_id"] for a in outcomes.of("contact-").values()}
    assert accepted <= contacts, "an accepted contact is missing"
    assert len(contacts) <= len(accepted) + len(outcomes.unknown), "a contact twice"

    referred = referred_contacts(outcomes)
    assert referred, "the load referred someone"

    def cases() -> dict[str, str]:
        return {e["_id"]: e["reference"] for e in stored("casework", ":Case.CaseOpened")}

    # Every accepted referral became exactly one case, whichever casework process took it.
    eventually(lambda: has_cases(referred), timeout=300)
    opened = cases()
    assert {a["case_id"] for a in outcomes.of("case-").values()} <= set(opened)
    numbers = sorted(int(r.rsplit("-", 1)[1]) for r in opened.values())
    assert numbers == list(range(1, len(opened) + 1)), numbers  # unique, gap-free

    assert_one_alert_per_emergency(outcomes)
    assert_no_bed_given_twice(outcomes)
    assert_read_models_equal_a_rebuild()
    for service in manifest().stores:
        checked = subprocess.run([haven_script(), "verify", service], capture_output=True,
                                 text=True, timeout=600, check=False)
        assert checked.returncode == 0, (service, checked.stdout, checked.stderr)



def assert_one_alert_per_emergency(outcomes: Outcomes) -> None:
    """Every emergency call and every emergency case paged the on-call once: one alert per
    rule and event, sent once, whichever notifications process took the event."""
    expected = {alert_id("emergency-contact", answer["contact_id"])
                for answer in outcomes.of("contact-emergency-").values()}
    expected |= {alert_id("emergency-case", answer["case_id"])
                 for answer in outcomes.of("case-emergency-").values()}
    assert expected, "the load had emergencies"

    def sent() -> Counter[str]:
        return Counter(e["_id"] for e in stored("notifications", ":Alert.AlertSent"))

    eventually(lambda: {str(a) for a in expected} <= set(sent()), timeout=300)
    opened = Counter(e["_id"] for e in stored("notifications", ":Alert.AlertOpened"))
    sent_now = sent()  # read once, not once per alert
    assert all(opened[str(a)] == 1 and sent_now[str(a)] == 1 for a in expected)


def assert_no_bed_given_twice(outcomes: Outcomes) -> None:
    """Two shelter desks raced for three beds through two shelter processes: every person
    the house's events say has (or holds) a bed has it alone, and each stay agrees."""
    shelter = build_application("shelter", Settings.from_env())
    try:
        house = shelter.repository.get(uuid.UUID(outcomes.shelter_id))
        occupants = {bed_id: bed.occupant.stay_id for bed_id, bed in house.beds.items()
                     if bed.occupant is not None}
        assert len(set(occupants.values())) == len(occupants), occupants
        stays = [shelter.repository.get(uuid.UUID(a["stay_id"]))
                 for a in outcomes.of("night-intake-").values()]
        assert len(stays) > 3, "the desks outnumbered the beds"
        placed = {str(stay.id): stay.place["bed_id"] for stay in stays
                  if stay.status in ("resident", "held") and stay.place
                  and stay.place["shelter_id"] == outcomes.shelter_id}
        assert sorted(placed.values()) == sorted(occupants), (placed, occupants)
        assert {stay: bed for bed, stay in occupants.items()} == placed
    finally:
        shelter.close()


def assert_read_models_equal_a_rebuild() -> None:
    """Every service's read models, as its replicas kept them under load, equal the same
    projections rebuilt from its events into a schema of their own."""
    cfg = Settings.from_env()
    for entry in manifest():
        if entry.read_model_set is not None and entry.application is not None:
            _assert_rebuild_equal(cfg, entry.name, entry.read_model_set.projections())


def _assert_rebuild_equal(cfg: Settings, service: str, projections: list[Any]) -> None:
    app = build_application(service, cfg)
    live = open_read_models(cfg, service)
    schema = f"{cfg.schema(service)}_rebuilt"
    ensure_schema(cfg, schema)
    rebuilt = PostgresReadModels(_conninfo(cfg), schema, 1)
    try:
        runner = ProjectionRunner(app, projections, store=rebuilt)

        def level() -> bool:  # both at the same place in the log
            runner.catch_up()
            return _positions(live) == _positions(rebuilt) != {}

        eventually(level, timeout=120)
        for projection in projections:
            for table in projection.tables:
                assert _rows(live, table) == _rows(rebuilt, table), (service, table)
    finally:
        with rebuilt.transaction() as cur:
            cur.execute(f"DROP SCHEMA {schema} CASCADE")
        rebuilt.close()
        live.close()
        app.close()


def _positions(store: Any) -> dict[str, int]:
    return {r["name"]: r["position"] for r in store.query(f"SELECT * FROM {{{POSITIONS}}}")}


def _rows(store: Any, table: str) -> list[str]:
    return sorted(repr(sorted(row.items())) for row in store.query(f"SELECT * FROM {{{table}}}"))
