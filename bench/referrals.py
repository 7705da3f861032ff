"""Referral -> case, end to end, against eventsourcing's own System doing the same work.

A national network refers people to casework all day; every referral must become a case
with a gap-free reference, and casework must keep up. This measures, in one run:

1. the peer: eventsourcing's `System` on the same PostgreSQL, one process: a leader
   application stores one `Referred` event per referral and a follower
   `ProcessApplication` opens one case for each (its policy), with the single-threaded and
   the multi-threaded runner; referrals per second from the first write until the
   follower has processed the last one;
2. Haven: referrals written through intake's application here (contacts logged and
   screened beforehand), carried by `haven relay intake`, RabbitMQ and casework's consumer
   in `haven run casework`, each its own OS process; referrals per second from the first
   write until the last case is a row of casework's `cases` read model;
3. case openings: `Casework.open_case` from 10 threads at once, with 100 and then 10,000
   cases already in the year, and the references checked unique and gap-free.

Run alone: `python -m bench.referrals [--referrals 1000] [--year-sizes 100,10000]`
(throwaway schemas and vhost, removed afterwards); `bench.run` calls `measure_referrals`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.platform import Process, haven_command, platform_env
from shared import testing
from shared.audit import CommandContext
from shared.config import Settings

SHARE_OF_PEER = 0.30  # the target: Haven at least 30 % of the peer's rate
OPENINGS_RATIO = 2.0  # with 10,000 cases in the year, openings within 2x of the rate at 100
OPERATOR = CommandContext(actor_id="bench-operator", actor_role="helpline_operator",
                          command="bench")
SUPERVISOR = CommandContext(actor_id="bench-supervisor", actor_role="supervisor",
                            command="bench")
REFERRALS_QUEUE = "evt-intake-ReferredToCasework--casework.on_referred_to_casework"
PERSON = {"given_name": "Ana", "family_name": "Popescu", "phone": "+40 712 345 678"}


def _until(check: Callable[[], bool], timeout: float, what: str, poll: float = 0.01) -> float:
    """Wait for `check`; the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f}s")
        time.sleep(poll)
    return time.monotonic()


def _names(count: int) -> Iterator[str]:
    """Distinct letter-only family names (the blind index keeps letters only)."""
    for n in range(count):
        yield "".join(chr(ord("a") + int(d)) for d in f"{n:07d}").capitalize()


# -- the peer: eventsourcing's System ---------------------------------------------------------
def _peer_classes() -> tuple[Any, Any, Any]:
    """Made once per process: eventsourcing refuses a second class under one topic."""
    from eventsourcing.application import Application
    from eventsourcing.dispatch import singledispatchmethod
    from eventsourcing.domain import Aggregate, event
    from eventsourcing.system import ProcessApplication

    class Referral(Aggregate):
        @event("Referred")
        def __init__(self, citizenship: str, urgency: str, exploitation_types: list[str],
                     person: dict[str, str]):
            self.citizenship, self.urgency = citizenship, urgency
            self.exploitation_types, self.person = exploitation_types, person

    class PeerCase(Aggregate):
        @staticmethod
        def create_id(referral_id: uuid.UUID) -> uuid.UUID:
            return uuid.uuid5(referral_id, "case")  # one case per referral, as Haven's

        @event("Opened")
        def __init__(self, referral_id: uuid.UUID, citizenship: str, urgency: str):
            self.referral_id, self.citizenship, self.urgency = referral_id, citizenship, urgency

    class PeerIntake(Application):
        pass

    class PeerCasework(ProcessApplication):
        @singledispatchmethod
        def policy(self, domain_event: Any, processing_event: Any) -> None:
            """Other events: nothing to do."""

        @policy.register(Referral.Referred)
        def _(self, domain_event: Any, processing_event: Any) -> None:
            processing_event.collect_events(PeerCase(
                referral_id=domain_event.originator_id, citizenship=domain_event.citizenship,
                urgency=domain_event.urgency))

    return Referral, PeerIntake, PeerCasework


_PEER: tuple[Any, Any, Any] | None = None


def measure_peer(cfg: Settings, referrals: int, runner: str) -> dict[str, Any]:
    """eventsourcing's System: `referrals` written by the leader, each a case in the follower."""
    from eventsourcing.system import MultiThreadedRunner, SingleThreadedRunner, System

    from shared.eventstore import ensure_schema

    global _PEER  # noqa: PLW0603 - eventsourcing registers classes once per process
    _PEER = _PEER or _peer_classes()
    referral_cls, intake_cls, casework_cls = _PEER
    schema = f"{cfg.schema_prefix}peer_{runner}"
    ensure_schema(cfg, schema)
    p = cfg.postgres_params()
    env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", "POSTGRES_DBNAME": p["dbname"],
           "POSTGRES_HOST": p["host"], "POSTGRES_PORT": p["port"], "POSTGRES_USER": p["user"],
           "POSTGRES_PASSWORD": p["password"], "POSTGRES_SCHEMA": schema, "CREATE_TABLE": "y"}
    kind = {"single": SingleThreadedRunner, "multi": MultiThreadedRunner}[runner]
    system = System(pipes=[[intake_cls, casework_cls]])
    run = kind(system, env=env)
    run.start()
    try:
        leader, follower = run.get(intake_cls), run.get(casework_cls)
        started = time.monotonic()
        for _ in range(referrals):
            leader.save(referral_cls(citizenship="RO", urgency="urgent",
                                     exploitation_types=["ForcedLabour"], person=PERSON))
        head = leader.recorder.max_notification_id()
        done = _until(lambda: follower.recorder.max_tracking_id(leader.name) == head,
                      600, f"the peer's follower ({runner})")
        cases = follower.recorder.max_notification_id()
    finally:
        run.stop()
    if cases != referrals:
        raise AssertionError(f"peer: {cases} cases for {referrals} referrals")
    return {"what": f"eventsourcing System, {kind.__name__}: leader Application -> follower"
                    " ProcessApplication opening one case per referral, PostgreSQL",
            "referrals": referrals, "seconds": round(done - started, 3),
            "referrals_per_s": round(referrals / (done - started), 1)}


# -- Haven: intake -> relay -> RabbitMQ -> casework ---------------------------------------
@contextmanager
def _processes(cfg: Settings, amqp_uri: str, logdir: Path) -> Iterator[dict[str, Process]]:
    from services.casework.application import Casework
    from services.intake.application import Intake

    for app_cls in (Intake, Casework):  # tables first, as a migration step would
        app_cls(cfg).close()
    env = platform_env(cfg, amqp_uri)
    running = {"casework": Process("casework", haven_command("run", "casework"), env, logdir)}
    try:
        # The relay starts once casework's queue is bound: production declares queues
        # before anything publishes (the setup job); here a referral relayed earlier
        # would go nowhere.
        def bound() -> bool:
            running["casework"].check()  # raises with its log if it died
            return _queue_exists(amqp_uri, REFERRALS_QUEUE)

        _until(bound, 120, f"casework's queue {REFERRALS_QUEUE}", poll=0.2)
        running["relay"] = Process("relay", haven_command("relay", "intake"), env, logdir)
        yield running
    finally:
        for process in running.values():
            process.stop()


def _queue_exists(amqp_uri: str, queue: str) -> bool:
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        connection.channel().queue_declare(queue, passive=True)
        return True
    except pika.exceptions.ChannelClosedByBroker:
        return False  # 404: not declared yet
    finally:
        if connection.is_open:
            connection.close()


@contextmanager
def _referral_cases(cfg: Settings) -> Iterator[Callable[[], int]]:
    import psycopg
    from psycopg import sql

    from shared.eventstore import _conninfo

    conn = psycopg.connect(_conninfo(cfg), autocommit=True)
    query = sql.SQL("SELECT count(*) FROM {} WHERE source = 'referral'").format(
        sql.Identifier(cfg.schema("casework"), "cases"))

    def count() -> int:
        try:
            row = conn.execute(query).fetchone()
        except psycopg.errors.UndefinedTable:
            return 0  # casework has not made its read models yet
        return int(row[0]) if row else 0

    try:
        yield count
    finally:
        conn.close()


def measure_haven(cfg: Settings, amqp_uri: str, referrals: int) -> dict[str, Any]:
    """`referrals` written through intake's application, each a case in casework's list."""
    from services.intake.application import Intake

    intake = Intake(cfg)
    contacts = []
    for family_name in _names(referrals + 1):
        contact_id = intake.log_contact(
            OPERATOR, channel="phone", direction="inbound", language="ro",
            interpreter_used=False, caller_type="potential_victim", topic="victim_support",
            urgency="urgent", summary="works without pay", ended_at=None)["contact_id"]
        intake.screen_contact(OPERATOR, contact_id, ["retained_documents"], "presumed_victim")
        contacts.append((contact_id, family_name))

    def refer(contact_id: uuid.UUID, family_name: str) -> None:
        intake.refer_to_casework(OPERATOR, contact_id, person={**PERSON,
                                                               "family_name": family_name},
                                 birth_year=1999, gender="Female", citizenship="RO",
                                 languages=["ro"], exploitation_types=["ForcedLabour"],
                                 urgency=None)

    with tempfile.TemporaryDirectory(prefix="haven-bench-referrals-") as logdir, \
            _referral_cases(cfg) as cases, _processes(cfg, amqp_uri, Path(logdir)) as running:
        try:
            # One referral first: when its case is listed, every process is up and the
            # relay has passed the contacts logged above.
            refer(*contacts[0])
            _until(lambda: cases() == 1, 180, "the first referral's case")
            started = time.monotonic()
            for contact_id, family_name in contacts[1:]:
                refer(contact_id, family_name)
            written = time.monotonic()
            done = _until(lambda: cases() == referrals + 1, 600, "every referral's case")
        except Exception:
            for process in running.values():
                print(f"--- {process.name}\n{process.log_tail(40)}", file=sys.stderr)
            raise
        finally:
            intake.close()
    return {"what": "Haven: Intake.refer_to_casework here -> haven relay intake -> RabbitMQ"
                    " -> haven run casework (consumer, case opening, cases read model)",
            "referrals": referrals, "seconds": round(done - started, 3),
            "write_seconds": round(written - started, 3),
            "referrals_per_s": round(referrals / (done - started), 1)}


# -- case openings as the year fills ------------------------------------------------------
def _open_many(app: Any, count: int, threads: int, names: Iterator[str]) -> list[str]:
    """`count` cases opened from `threads` threads at once; their references."""
    references: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    todo = [next(names) for _ in range(count)]

    def work(mine: list[str]) -> None:
        for family_name in mine:
            try:
                opened = app.open_case(SUPERVISOR, client={**PERSON, "family_name": family_name,
                                                           "birth_year": 1999},
                                       origin_country="RO", exploitation_types=["ForcedLabour"],
                                       urgency="urgent")
            except Exception as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
                return
            with lock:
                references.append(opened.reference)

    workers = [threading.Thread(target=work, args=(todo[i::threads],)) for i in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    if errors:
        raise errors[0]
    return references


def measure_openings(cfg: Settings, year_sizes: list[int], openings: int = 300,
                     threads: int = 10) -> dict[str, Any]:
    """Openings per second from `threads` threads, with each of `year_sizes` cases already
    opened in the year (filled the same way); every reference unique and gap-free."""
    from services.casework.application import Casework

    app = Casework(dataclasses.replace(cfg, schema_prefix=f"{cfg.schema_prefix}open_"))
    year = datetime.now(UTC).year
    names = _names(10_000_000)
    issued: list[str] = []
    figures: dict[str, Any] = {}
    try:
        for size in sorted(year_sizes):
            fill_started, filled = time.monotonic(), size - len(issued)
            issued += _open_many(app, filled, threads, names)
            fill_seconds = time.monotonic() - fill_started
            started = time.monotonic()
            measured = _open_many(app, openings, threads, names)
            seconds = time.monotonic() - started
            issued += measured
            figures[f"with_{size}_cases"] = {
                "openings": openings, "threads": threads, "seconds": round(seconds, 3),
                "openings_per_s": round(openings / seconds, 1),
                "filled_per_s": round(filled / fill_seconds, 1) if filled > 0 else None}
    finally:
        app.close()
    expected = {f"KC-{year}-{n:04d}" for n in range(1, len(issued) + 1)}
    figures["references_unique_and_gap_free"] = (len(set(issued)) == len(issued)
                                                 and set(issued) == expected)
    figures["cases_in_the_year_at_end"] = len(issued)
    return figures


# -- the whole measurement --------------------------------------------------------------------
def measure_referrals(cfg: Settings, amqp_uri: str, referrals: int = 1000,
                      year_sizes: tuple[int, ...] = (100, 10_000),
                      openings: int = 300) -> dict[str, Any]:
    peer = {runner: measure_peer(cfg, referrals, runner) for runner in ("single", "multi")}
    haven = measure_haven(cfg, amqp_uri, referrals)
    opened = measure_openings(cfg, list(year_sizes), openings) if year_sizes else {}
    return {"peer": peer, "haven": haven, "openings": opened,
            "targets": referral_targets(peer, haven, opened)}


def referral_targets(peer: dict[str, Any], haven: dict[str, Any],
                     openings: dict[str, Any]) -> dict[str, Any]:
    best = max(p["referrals_per_s"] for p in peer.values())
    targets: dict[str, Any] = {"referral_to_case_at_least_30pct_of_eventsourcing_system": {
        "needed_per_s": round(SHARE_OF_PEER * best, 1), "peer_best_per_s": best,
        "measured_per_s": haven["referrals_per_s"],
        "share": round(haven["referrals_per_s"] / best, 3),
        "met": haven["referrals_per_s"] >= SHARE_OF_PEER * best}}
    sizes = sorted(int(k.split("_")[1]) for k in openings if k.startswith("with_"))
    if len(sizes) >= 2:
        small, large = (openings[f"with_{s}_cases"]["openings_per_s"] for s in (sizes[0],
                                                                                 sizes[-1]))
        targets[f"openings_with_{sizes[-1]}_cases_within_2x_of_{sizes[0]}"] = {
            "per_s_small": small, "per_s_large": large, "ratio": round(small / large, 2),
            "references_unique_and_gap_free": openings["references_unique_and_gap_free"],
            "met": small <= OPENINGS_RATIO * large
            and openings["references_unique_and_gap_free"]}
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1000)
    parser.add_argument("--year-sizes", default="100,10000",
                        help="cases already in the year when openings are timed (empty skips)")
    args = parser.parse_args(argv)
    base = Settings.from_env()
    run_id = testing.new_run_id()
    broker = testing.BrokerRun.named(base.amqp_uri, f"bench-{run_id}")
    testing.create_broker_run(broker)
    cfg = dataclasses.replace(base, schema_prefix=f"bench_{run_id}_",
                              amqp_uri=broker.uri(broker.run_user),
                              broker_user_prefix=broker.prefix)
    try:
        sizes = tuple(int(s) for s in args.year_sizes.split(",") if s)
        figures = measure_referrals(cfg, cfg.amqp_uri, args.referrals, sizes)
    finally:
        testing.drop_schemas(base, cfg.schema_prefix)
        testing.delete_broker_run(broker)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
