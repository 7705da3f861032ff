"""Does an auditor's case history cost what the case holds, or what the store holds?

Grows a synthetic store -- five services (intake, casework, shelter, legal, notifications),
each a HavenApplication writing through its real mapper (personal data sealed under each
person's key, audit metadata, hash chains, the case index), in batches of many aggregates
per `app.save` -- and, each time the store reaches one of `sizes` events, times on a sample
of cases: `haven audit history` (shared.audit_trail.history.case_history), `replay
--as-of` and `export` (the bundle). Every case has ~27 events across the five services,
joined the way real ones are (case id and reference fields, causation ids
"<service>:<nid>" within one correlation); between cases, contacts that never became a
case (three events each) fill the store, as on a real helpline. Checkpoints are recorded
after each round, as the relays do every few minutes, so an export anchors nearby.

    .venv/bin/python -m bench.history --sizes 10000,100000
    .venv/bin/python -m bench.history                        # 10k, 100k and 1M

The aggregates are the bench's own, shaped like each service's (field names, sealed
fields, event counts), not the services' domain classes: what is measured is the store and
the audit path, which do not depend on domain rules. Prints JSON; its schemas (a unique
prefix) and checkpoint files are removed afterwards, even on failure.
"""

from __future__ import annotations

import os

os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from eventsourcing.domain import Aggregate, event  # noqa: E402

from shared import testing  # noqa: E402
from shared.audit import CommandContext, acting_as  # noqa: E402
from shared.config import Settings  # noqa: E402
from shared.eventstore import HavenApplication  # noqa: E402

SIZES = (10_000, 100_000, 1_000_000)
CASES_PER_ROUND = 40  # cases opened in one round (one batch per service)
CONTACTS_PER_ROUND = 400  # contacts that never become a case, in the same round
SAMPLES = 25  # cases timed at each size
SCAN_SAMPLES = 3  # of which timed again the way history found cases before the index
OPERATIONS = ("history", "replay", "export", "access")
WITHIN = 2.0  # the target: p95 at the largest size within 2x of the p95 at the smallest
SERVICES = ("intake", "casework", "shelter", "legal", "notifications")


# -- the services' aggregates, as they name their fields -------------------------------
class Contact(Aggregate):
    PERSONAL_DATA = {"summary": "id", "callback_contact": "id", "person": "person_subject_id"}

    @event("ContactLogged")
    def __init__(self, channel: str, language: str, topic: str, summary: str,
                 callback_contact: str | None) -> None:
        self.channel, self.language, self.topic = channel, language, topic
        self.summary, self.callback_contact = summary, callback_contact

    @event("ContactScreened")
    def screen(self, indicators: list[str], assessment: str) -> None:
        self.assessment = assessment

    @event("ReferredToCasework")
    def refer(self, person_subject_id: str, person: dict[str, str], citizenship: str,
              exploitation_types: list[str]) -> None:
        self.person_subject_id, self.person = person_subject_id, person

    @event("ContactLinkedToCase")
    def link(self, case_id: str, case_reference: str) -> None:
        self.case_id = case_id

    @event("ContactClosed")
    def close(self, outcome: str) -> None:
        self.outcome = outcome


class Case(Aggregate):
    PERSONAL_DATA = {"client_name": "id", "notes": "id"}

    @event("CaseOpened")
    def __init__(self, reference: str, client_id: str, client_name: str,
                 urgency: str) -> None:
        self.reference, self.client_id, self.client_name = reference, client_id, client_name
        self.urgency, self.notes = urgency, ""

    @event("CaseworkerAssigned")
    def assign(self, caseworker_id: str) -> None:
        self.caseworker_id = caseworker_id

    @event("ServiceProvided")
    def provide(self, service: str, duration_minutes: int, notes: str) -> None:
        self.notes = notes

    @event("IdentificationChanged")
    def identify(self, status: str, by: str) -> None:
        self.status = status

    @event("CaseClosed")
    def close(self, closure_reason: str) -> None:
        self.closed = closure_reason


class AccessLog(Aggregate):
    @event("AccessLogOpened")
    def __init__(self, case_id: str) -> None:
        self.case_id = case_id

    @event("PersonalDataRead")
    def read(self, case_id: str, purpose: str, fields: list[str]) -> None:
        self.reads = getattr(self, "reads", 0) + 1


class Stay(Aggregate):
    @event("StayOpened")
    def __init__(self, case_id: str, case_reference: str, shelter_code: str) -> None:
        self.case_id = case_id

    @event("NightsRecorded")
    def nights(self, nights: int) -> None:
        self.total = getattr(self, "total", 0) + nights

    @event("StayEnded")
    def end(self, reason: str) -> None:
        self.ended = reason


class Matter(Aggregate):
    @event("MatterOpened")
    def __init__(self, case_id: str, case_reference: str, kind: str) -> None:
        self.case_id = case_id

    @event("HearingScheduled")
    def hearing(self, court: str, on: str) -> None:
        self.court = court

    @event("MatterClosed")
    def close(self, outcome: str) -> None:
        self.outcome = outcome


class Notification(Aggregate):
    PERSONAL_DATA = {"recipient": "id"}

    @event("NotificationQueued")
    def __init__(self, case_id: str, kind: str, recipient: str) -> None:
        self.case_id, self.recipient = case_id, recipient

    @event("NotificationSent")
    def sent(self, channel: str) -> None:
        self.channel = channel


def _app(service: str) -> type[HavenApplication]:
    return type(f"Bench{service.title()}", (HavenApplication,), {"name": service,
                                                                  "__module__": __name__})


APPS = {service: _app(service) for service in SERVICES}


# -- one context per event, in one save -----------------------------------------------------
class _PerEvent(CommandContext):
    """The audit metadata of each event of a batch in turn: `app.save` takes one context,
    but a batch of many cases needs each event's own causation and correlation. The mapper
    asks for metadata once per event, in the order the events are stored."""

    def metadata(self, service: str, now: datetime | None = None) -> dict[str, str | None]:
        following: CommandContext = next(self.__dict__["queue"])
        return following.metadata(service, now)


def _ctx(actor: str, role: str, command: str, correlation: str,
         causation: str | None = None) -> CommandContext:
    return CommandContext(actor_id=actor, actor_role=role, command=command, reason=None,
                          correlation_id=correlation, causation_id=causation)


def _did(aggregate: Any, ctx: CommandContext) -> None:
    """Remember the context of the event just triggered on `aggregate`."""
    aggregate.__dict__.setdefault("_bench_ctx", []).append(ctx)


def save(app: HavenApplication, aggregates: Sequence[Any]) -> dict[tuple[str, int], int]:
    """Store the aggregates' new events in one transaction; {(stream hex, version): nid}."""
    contexts = [c for a in aggregates for c in a.__dict__.pop("_bench_ctx", [])]
    _prime_keys(app, aggregates)
    ctx = _PerEvent(actor_id="bench", actor_role="system", command="seed")
    ctx.__dict__["queue"] = iter(contexts)
    with acting_as(ctx):
        recordings = app.save(*aggregates, ctx=ctx)
    return {(r.domain_event.originator_id.hex, r.domain_event.originator_version):
            r.notification.id for r in recordings}


def _prime_keys(app: HavenApplication, aggregates: Sequence[Any]) -> None:
    """Create the batch's new data subjects' keys in one statement, as the vault would one
    by one (a commit per person, which would make seeding a million events take an hour).
    Only seeding is spared: the keys, their wrapping and the sealing are the vault's own."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from psycopg import sql

    vault: Any = app.vault
    new = [a for a in aggregates if a.pending_events[0].originator_version == 1]
    subjects = {str(a.id) for a in new if getattr(type(a), "PERSONAL_DATA", None)}
    subjects |= {a.person_subject_id for a in new if getattr(a, "person_subject_id", None)}
    keys = {subject: AESGCM.generate_key(256) for subject in subjects}
    with vault._store._pool.connection() as conn, conn.cursor() as cur:
        cur.executemany(sql.SQL("INSERT INTO {} (subject_id, wrapped_key, key_id) VALUES"
                                " (%s, %s, %s) ON CONFLICT (subject_id) DO NOTHING").format(
            vault._store._keys), [(s, vault._wrap(s, k), vault.key_id) for s, k in keys.items()])
    expires = time.monotonic() + 60  # the vault's cache; an expired entry is loaded again
    with vault._cache_lock:
        vault._cache.update({subject: (expires, key) for subject, key in keys.items()})


# -- the generator ----------------------------------------------------------------------------
@dataclass
class Store:
    apps: dict[str, HavenApplication]
    rng: random.Random
    events: int = 0
    seconds: float = 0.0
    references: list[str] = field(default_factory=list)
    year: int = 2016

    def close(self) -> None:
        for app in self.apps.values():
            app.close()


def _round(store: Store) -> int:
    """One round: CASES_PER_ROUND cases across the five services and CONTACTS_PER_ROUND
    contacts that stay with intake; returns the events written."""
    rng, apps = store.rng, store.apps
    system = "service:{}"
    noise, referred = [], []
    for _ in range(CONTACTS_PER_ROUND):
        contact = _contact(rng)
        contact.close(outcome="information_given")
        _did(contact, _ctx("op-1", "helpline_operator", "close_contact", str(uuid.uuid4())))
        noise.append(contact)
    for _ in range(CASES_PER_ROUND):
        contact = _contact(rng)
        correlation = str(uuid.uuid4())
        contact.screen(indicators=["deception"], assessment="presumed_victim")
        _did(contact, _ctx("op-1", "helpline_operator", "screen_contact", correlation))
        contact.refer(person_subject_id=str(uuid.uuid4()), citizenship="UA",
                      person={"given_name": "Olena", "family_name": "Kovalenko"},
                      exploitation_types=["ForcedLabour"])
        _did(contact, _ctx("op-1", "helpline_operator", "refer_to_casework", correlation))
        referred.append((contact, correlation))
    written = save(apps["intake"], noise + [c for c, _ in referred])
    cases, logs = [], []
    for contact, correlation in referred:
        cause = written[(contact.id.hex, contact.version)]
        case = _case(store, rng, correlation, f"intake:{cause}")
        log = AccessLog(case_id=str(case.id))
        _did(log, _ctx("sup-1", "supervisor", "reveal", str(uuid.uuid4())))
        log.read(case_id=str(case.id), purpose="supervision", fields=["client_name"])
        _did(log, _ctx("sup-1", "supervisor", "reveal", str(uuid.uuid4())))
        cases.append((case, contact, correlation))
        logs.append(log)
    opened = save(apps["casework"], [c for c, _, _ in cases] + logs)
    follow: dict[str, list[Any]] = {name: [] for name in ("intake", "shelter", "legal",
                                                           "notifications")}
    for case, contact, correlation in cases:
        caused = f"casework:{opened[(case.id.hex, 1)]}"
        case_id, ref = str(case.id), case.reference
        contact.link(case_id=case_id, case_reference=ref)
        _did(contact, _ctx(system.format("intake"), "system", "link_to_case", correlation,
                           caused))
        contact.close(outcome="referred_to_casework")
        _did(contact, _ctx("op-1", "helpline_operator", "close_contact", str(uuid.uuid4())))
        follow["intake"].append(contact)
        follow["shelter"].append(_stay(case_id, ref))
        follow["legal"].append(_matter(case_id, ref))
        follow["notifications"].append(_notification(case_id, correlation, caused))
    later = [save(apps[service], aggregates) for service, aggregates in follow.items()]
    return len(written) + len(opened) + sum(map(len, later))


def _contact(rng: random.Random) -> Contact:
    contact = Contact(channel="phone", language=rng.choice(["pl", "uk", "ru", "en"]),
                      topic="victim_support", summary="Caller says the employer keeps her"
                      " passport and wages; she sleeps at the farm", callback_contact=None)
    _did(contact, _ctx("op-1", "helpline_operator", "log_contact", str(uuid.uuid4())))
    return contact


def _case(store: Store, rng: random.Random, correlation: str, cause: str) -> Case:
    store.year += len(store.references) % 5000 == 4999  # references stay KC-YYYY-NNNN
    reference = f"KC-{store.year}-{len(store.references) % 5000 + 1:04d}"
    store.references.append(reference)
    case = Case(reference=reference, client_id=str(uuid.uuid4()), client_name="Olena K.",
                urgency="urgent")
    _did(case, _ctx("service:casework", "system", "open_case", correlation, cause))
    case.assign(caseworker_id="cw-3")
    _did(case, _ctx("sup-1", "supervisor", "assign_caseworker", str(uuid.uuid4())))
    for service in rng.sample(["crisis_intervention", "social_counselling", "interpretation",
                               "legal_counsel", "medical", "transport", "material_aid",
                               "psychological_support"], k=rng.randrange(5, 9)):
        case.provide(service=service, duration_minutes=rng.randrange(30, 120),
                     notes="Met her at the station; she is safe for now")
        _did(case, _ctx("cw-3", "caseworker", "record_service", str(uuid.uuid4())))
    case.identify(status="Presumed", by="NGO")
    _did(case, _ctx("cw-3", "caseworker", "change_identification", str(uuid.uuid4())))
    case.close(closure_reason="goals_achieved")
    _did(case, _ctx("cw-3", "caseworker", "close_case", str(uuid.uuid4())))
    return case


def _stay(case_id: str, ref: str) -> Stay:
    stay = Stay(case_id=case_id, case_reference=ref, shelter_code="S-NORTH")
    _did(stay, _ctx("sh-1", "shelter_staff", "open_stay", str(uuid.uuid4())))
    for nights in (7, 7, 5):
        stay.nights(nights=nights)
        _did(stay, _ctx("sh-1", "shelter_staff", "record_nights", str(uuid.uuid4())))
    stay.end(reason="moved_on")
    _did(stay, _ctx("sh-1", "shelter_staff", "end_stay", str(uuid.uuid4())))
    return stay


def _matter(case_id: str, ref: str) -> Matter:
    matter = Matter(case_id=case_id, case_reference=ref, kind="labour_claim")
    _did(matter, _ctx("lw-1", "lawyer", "open_matter", str(uuid.uuid4())))
    matter.hearing(court="Sad Rejonowy", on="2026-05-01")
    _did(matter, _ctx("lw-1", "lawyer", "schedule_hearing", str(uuid.uuid4())))
    matter.close(outcome="settled")
    _did(matter, _ctx("lw-1", "lawyer", "close_matter", str(uuid.uuid4())))
    return matter


def _notification(case_id: str, correlation: str, caused: str) -> Notification:
    note = Notification(case_id=case_id, kind="case_opened", recipient="+48 600 100 200")
    _did(note, _ctx("service:notifications", "system", "notify", correlation, caused))
    note.sent(channel="sms")
    _did(note, _ctx("service:notifications", "system", "mark_sent", correlation))
    return note


def grow(store: Store, until: int) -> None:
    """Add rounds until the store holds `until` events; checkpoints after each round."""
    from shared.audit_trail.checkpoints import record_checkpoint

    while store.events < until:
        started = time.perf_counter()
        store.events += _round(store)
        store.seconds += time.perf_counter() - started
        for app in store.apps.values():
            record_checkpoint(app, app.settings)  # as the relays do: not seeding time


# -- measuring ----------------------------------------------------------------------------
def _timed(action: Callable[[str], Any], samples: Iterator[str]) -> list[float]:
    found = []
    for ref in samples:
        started = time.perf_counter()
        action(ref)
        found.append((time.perf_counter() - started) * 1000)
    return found


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": round(statistics.median(ordered), 2), "p95": round(p95, 2),
            "max": round(ordered[-1], 2)}


def measure_at(store: Store, cfg: Settings, samples: int = SAMPLES) -> dict[str, Any]:
    from shared.audit_trail.access import case_access
    from shared.audit_trail.bundle import export_bundle
    from shared.audit_trail.history import case_history
    from shared.audit_trail.replay import replay_case
    from shared.audit_trail.sources import Catalogue

    catalogue = Catalogue(SERVICES, dict(APPS))
    refs = store.rng.sample(store.references, min(samples, len(store.references)))
    as_of = datetime.now(UTC)
    lengths = [len(case_history(ref, cfg, catalogue).lines) for ref in refs[:3]]  # warm-up
    ops: dict[str, Callable[[str], Any]] = {
        "history": lambda ref: case_history(ref, cfg, catalogue),
        "replay": lambda ref: replay_case(ref, as_of, cfg, catalogue),
        "export": lambda ref: export_bundle(ref, cfg, io.BytesIO(), catalogue),
        "access": lambda ref: case_access(ref, cfg, catalogue),  # who saw the case's data
    }
    return {"events": store.events, "cases": len(store.references), "samples": len(refs),
            "case_events_sampled": lengths,
            "seed_events_per_s": round(store.events / store.seconds, 1) if store.seconds else 0,
            **{f"{name}_ms": _percentiles(_timed(op, iter(refs))) for name, op in ops.items()},
            "history_by_scan_ms": _by_scan(ops["history"], refs[:SCAN_SAMPLES]),
            "verify_index_check_events_per_s": _index_check_rate(store, cfg)}


def _by_scan(history: Callable[[str], Any], refs: list[str]) -> dict[str, float]:
    """History as it was before the case index: every lookup reads every stored event."""
    from shared.audit_trail.sources import StoreReader

    indexed = StoreReader.containing
    StoreReader.containing = StoreReader.scan  # type: ignore[method-assign]
    try:
        return _percentiles(_timed(history, iter(refs)))
    finally:
        StoreReader.containing = indexed  # type: ignore[method-assign]


def _index_check_rate(store: Store, cfg: Settings) -> float:
    """What verify's cross-check of the case index costs (it re-reads every event)."""
    from shared.audit_trail.index import index_breaks

    started = time.perf_counter()
    breaks = sum(index_breaks(service, cfg)[1] for service in SERVICES)
    if breaks:
        raise AssertionError(f"the case index differs from the events: {breaks} break(s)")
    return round(store.events / (time.perf_counter() - started), 1)


def _targets(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    sizes = sorted(results, key=int)
    small, large = results[sizes[0]], results[sizes[-1]]
    found: dict[str, Any] = {"from": sizes[0], "to": sizes[-1], "within": WITHIN}
    for name in OPERATIONS:
        ratio = large[f"{name}_ms"]["p95"] / max(small[f"{name}_ms"]["p95"], 1e-9)
        found[f"{name}_p95_ratio"] = round(ratio, 2)
        found[f"{name}_within_{WITHIN:g}x"] = ratio <= WITHIN
    return found


def measure_history(cfg: Settings, sizes: Sequence[int] = SIZES, seed: int = 17,
                    progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Grow a store of its own to each of `sizes` events and time history, replay and
    export of sampled cases there. Its schemas (a unique prefix) go afterwards."""
    run = testing.new_run_id()
    prefix = f"bench_{run}_"
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        own = replace(cfg, store="postgres", schema_prefix=prefix,
                      checkpoint_dir=Path(tmp) / "checkpoints")
        store = Store({s: cls(own) for s, cls in APPS.items()}, random.Random(seed))  # noqa: S311
        try:
            for size in sorted(sizes):
                grow(store, size)
                progress(f"{store.events} events ({len(store.references)} cases),"
                         f" {store.events / store.seconds:,.0f} events/s seeding; timing")
                results[str(size)] = measure_at(store, own)
                progress(json.dumps(results[str(size)]))
        finally:
            store.close()
            testing.drop_schemas(cfg, prefix)
    return {"sizes": results, "targets": _targets(results) if results else {},
            "load_average": os.getloadavg(), "cpus": os.cpu_count()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="store sizes in events, comma-separated (default %(default)s)")
    args = parser.parse_args(argv)
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    found = measure_history(Settings.from_env(), sizes,
                            progress=lambda line: print(line, file=sys.stderr, flush=True))
    print(json.dumps(found, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
