"""Which stored events belong to a case, in every service: the one convention services follow.

An event belongs to case C when
  1. its aggregate is C (the Case itself), or it has a `case_id` field equal to C; then
     its whole stream belongs too (a contact linked to the case, the case's access log, a
     stay or a legal matter for the case) -- unless the stream also names another case, or
     its aggregate declares `AUDIT_CASE_SCOPE = "events"` (a shelter, a roster: aggregates
     that serve many cases), in which case only the events naming C belong;
  2. or it caused, or was caused by, an event found so far, within the same correlation:
     `causation_id` "<service>:<notification id>" (shared.consumers.policy_context) names
     the other event, and both carry one correlation id -- a referral and the case opened
     from it (even before the contact was linked), the notification sent about the case,
     the escalation of that notification. A correlation id alone is not enough: a caller
     may reuse one for unrelated commands (the demo loaders reuse one context for every
     case), and that must not pull other cases' events in. Nor is a causation id sent by
     a caller: only the effect a policy stored (actor role "system") names its cause.

A case reference (KC-2026-0042) is read from a `reference` field of the case's own events,
or a `case_reference` field next to `case_id` in another service's. Nothing here needs a
read model, and a service adds nothing to be found: it names its fields this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.utils import resolve_topic

from shared.audit import SYSTEM_ROLE
from shared.audit_trail.decode import Decoded, decode
from shared.audit_trail.sources import (
    Catalogue,
    ReadPool,
    Record,
    StoreReader,
    connect_read_only,
)
from shared.config import Settings
from shared.verify import Location, locate

CASE_ID_FIELDS = ("case_id",)
SCOPE_ATTRIBUTE = "AUDIT_CASE_SCOPE"
MAX_CAUSAL_STEPS = 8  # how far a chain of reactions is followed from the case's own events
ONLY_EVENTS = "events"
_EPOCH = datetime.min.replace(tzinfo=UTC)


class CaseNotFound(LookupError):
    """No stored event names this case id or reference."""


@dataclass(frozen=True)
class CaseView:
    """What every answer about a case starts with: which case, and whether personal data
    is revealed in it (only after the reveal was recorded) or masked."""

    case_id: str
    reference: str | None
    revealed: bool


@dataclass(frozen=True)
class CaseEvent:
    decoded: Decoded
    why: str  # "case", "names the case", "stream of the case", "caused it", "caused by it"

    @property
    def record(self) -> Record:
        return self.decoded.record


@dataclass
class CaseFile:
    """Everything stored about one case, across services, oldest first."""

    case_id: str
    reference: str | None
    events: list[CaseEvent] = field(default_factory=list)
    whole_streams: set[tuple[str, str]] = field(default_factory=set)  # (service, uuid hex)
    services_read: list[str] = field(default_factory=list)

    def stream(self, service: str, originator_id: str) -> list[CaseEvent]:
        return sorted((e for e in self.events if e.record.service == service
                       and e.record.originator_id == originator_id),
                      key=lambda e: e.record.originator_version)


def canonical(value: Any) -> str:
    """Case ids compare as UUIDs when they are UUIDs (dashed or hex, str or UUID)."""
    try:
        return str(value if isinstance(value, UUID) else UUID(str(value)))
    except ValueError:
        return str(value)


def _needles(case_id: str) -> set[str]:
    try:
        return {case_id, UUID(case_id).hex}
    except ValueError:
        return {case_id}


def named_cases(state: dict[str, Any]) -> set[str]:
    return {canonical(state[f]) for f in CASE_ID_FIELDS if state.get(f) is not None}


# -- case reference -> case id ----------------------------------------------------------
def resolve_case(ref: str, cfg: Settings, catalogue: Catalogue | None = None,
                 readers: dict[str, StoreReader] | None = None) -> str:
    """The case id a reference (or an id) names; CaseNotFound if none, LookupError if two."""
    catalogue = catalogue or Catalogue.default()
    try:
        return str(UUID(ref))
    except ValueError:
        pass
    own: set[str] = set()
    linked: set[str] = set()
    with open_readers(catalogue, cfg, readers) as opened:
        found_by_store = [(service, reader.containing([ref]))
                          for service, reader in opened.items()]
    for service, records in found_by_store:
        for record in records:
            state = decode(record, catalogue.application(service)).state
            if state.get("reference") == ref:
                own.add(canonical(UUID(record.originator_id)))
            if state.get("case_reference") == ref and state.get("case_id") is not None:
                linked.add(canonical(state["case_id"]))
    found = own or linked
    if not found:
        raise CaseNotFound(f"no case with reference {ref}")
    if len(found) > 1:
        raise LookupError(f"reference {ref} names {len(found)} cases: {sorted(found)}")
    return found.pop()


@contextmanager
def open_readers(catalogue: Catalogue, cfg: Settings,
                 readers: dict[str, StoreReader] | None = None,
                 pool: ReadPool | None = None) -> Iterator[dict[str, StoreReader]]:
    """A reader of each existing store in the catalogue, open for one answer: a case's
    lookups are a few indexed queries per store, so connecting (not querying) was most of
    what an answer cost. The stores of one database share one connection for the answer
    (their queries name their schemas), taken from `pool` when given (the audit service
    keeps one), else opened and closed here. `readers` given: those, left open."""
    if readers is not None:
        yield readers
        return
    opened: dict[str, StoreReader] = {}
    with ExitStack() as connections:
        shared: dict[str, Any] = {}

        def connection(loc: Location) -> Any:
            if loc.backend != "postgres":
                return None  # SQLite: a file each, opened by its reader
            if loc.conninfo not in shared:
                shared[loc.conninfo] = connections.enter_context(
                    pool.connection(loc.conninfo) if pool is not None
                    else closing(connect_read_only(loc.conninfo)))
            return shared[loc.conninfo]

        try:
            for service in catalogue.services:
                loc = locate(service, cfg)
                reader = StoreReader(service, cfg, connection(loc))
                if reader.exists():
                    opened[service] = reader
                else:
                    reader.close()
            yield opened
        finally:
            for reader in opened.values():
                reader.close()


# -- case id -> its events --------------------------------------------------------------
def collect_case(ref: str, cfg: Settings, catalogue: Catalogue | None = None,
                 pool: ReadPool | None = None) -> CaseFile:
    """Every stored event of the case, by the rules in this module's docstring."""
    catalogue = catalogue or Catalogue.default()
    with open_readers(catalogue, cfg, pool=pool) as readers:
        case_id = resolve_case(ref, cfg, catalogue, readers)
        case = CaseFile(case_id, None if ref == case_id else ref)
        seeds: list[CaseEvent] = []
        for service, reader in readers.items():
            case.services_read.append(service)
            seeds += _named(case, reader, catalogue.application(service))
        if not seeds:
            raise CaseNotFound(f"no stored event names case {ref}")
        _add_causal(case, readers, catalogue)
    case.events.sort(key=lambda e: (e.decoded.timestamp or _EPOCH, e.record.service,
                                    e.record.notification_id))
    case.reference = case.reference or _own_reference(case)
    return case


def _named(case: CaseFile, reader: StoreReader, app_cls: Any) -> list[CaseEvent]:
    """Events naming the case, and the streams they belong to (whole, or just those)."""
    hits = [decode(r, app_cls) for r in reader.containing(_needles(case.case_id))]
    oids = {d.record.originator_id for d in hits if _names(d, case.case_id)}
    try:  # the case's own stream: its events need not repeat their own id
        oids.add(UUID(case.case_id).hex)
    except ValueError:
        pass
    seeds = []
    by_stream: dict[str, list[Decoded]] = {}
    for record in reader.streams(oids):
        by_stream.setdefault(record.originator_id, []).append(decode(record, app_cls))
    for oid, events in by_stream.items():
        whole = _whole_stream(case.case_id, oid, events)
        if whole:
            case.whole_streams.add((reader.service, oid))
        for d in events:
            named = _names(d, case.case_id)
            if named or whole:
                event = CaseEvent(d, "case" if canonical(UUID(oid)) == case.case_id
                                  else "names the case" if named else "stream of the case")
                case.events.append(event)
                if named:
                    seeds.append(event)
    return seeds


def _names(d: Decoded, case_id: str) -> bool:
    return canonical(UUID(d.record.originator_id)) == case_id or case_id in named_cases(d.state)


def _whole_stream(case_id: str, oid: str, events: list[Decoded]) -> bool:
    if canonical(UUID(oid)) == case_id:
        return True
    if _scope(events[0].record.topic) == ONLY_EVENTS:
        return False
    return all(named_cases(d.state) <= {case_id} for d in events)


def _scope(topic: str) -> str:
    """The aggregate's AUDIT_CASE_SCOPE, found from one of its event classes' topic."""
    module, _, qualname = topic.partition(":")
    owner_name = qualname.rpartition(".")[0]
    if not owner_name:
        return "stream"  # a module-level event class: no aggregate to ask
    try:
        owner: Any = resolve_topic(f"{module}:{owner_name}")
    except Exception:  # noqa: BLE001 - a store without code here: default scope
        return "stream"
    return str(getattr(owner, SCOPE_ATTRIBUTE, "stream"))


def _key(event: CaseEvent | Decoded) -> str:
    """How a causation id names an event: "<service>:<notification id>"."""
    record = event.record
    return f"{record.service}:{record.notification_id}"


def _cause_of(event: CaseEvent) -> tuple[str, int] | None:
    source, _, nid = str(event.decoded.audit.get("causation_id") or "").rpartition(":")
    return (source, int(nid)) if source and nid.isdigit() else None


def _add_causal(case: CaseFile, readers: dict[str, StoreReader],
                catalogue: Catalogue) -> None:
    """Follow causation links out of the events found so far, both ways, step by step."""
    have = {_key(e) for e in case.events}
    frontier = list(case.events)
    for _ in range(MAX_CAUSAL_STEPS):
        by_key = {_key(e): e for e in frontier}
        causes: dict[str, set[int]] = {}
        for event in frontier:
            cause = _cause_of(event)
            if cause is not None and f"{cause[0]}:{cause[1]}" not in have:
                causes.setdefault(cause[0], set()).add(cause[1])
        # Events naming one of these as their cause: the index holds each causation id
        # whole, so "intake:12" never finds "intake:123" (_causal_link confirms anyway).
        effects = list(by_key)
        found = []
        for service, reader in readers.items():
            for record in _neighbours(reader, causes, effects):
                d = decode(record, catalogue.application(service))
                why = _causal_link(d, by_key)
                if why and _key(d) not in have:
                    have.add(_key(d))
                    found.append(CaseEvent(d, why))
        if not found:
            return
        case.events += found
        frontier = found


def _neighbours(reader: StoreReader, causes: dict[str, set[int]],
                effects: list[str]) -> list[Record]:
    return reader.at(causes.get(reader.service, set())) + reader.containing(effects)


def _reaction(d: Decoded) -> bool:
    """Whether the event is a policy's reaction (shared.consumers.policy_context), whose
    causation id the platform set. A caller of an RPC may send any causation and
    correlation id with their own command (shared.shell): taken at its word, a note on
    one case would join another case's history, and a reveal of that history would open
    the note with the read recorded only in the other case's person's access log."""
    return d.audit.get("actor_role") == SYSTEM_ROLE


def _causal_link(d: Decoded, by_key: dict[str, CaseEvent]) -> str | None:
    correlation = d.audit.get("correlation_id")
    effect_of = by_key.get(str(d.audit.get("causation_id") or ""))
    if effect_of is not None and _reaction(d) \
            and effect_of.decoded.audit.get("correlation_id") == correlation:
        return "caused by it"
    for event in by_key.values():
        if event.decoded.audit.get("causation_id") == _key(d) and _reaction(event.decoded) \
                and event.decoded.audit.get("correlation_id") == correlation:
            return "caused it"
    return None


def _own_reference(case: CaseFile) -> str | None:
    for event in case.events:
        if event.why == "case" and isinstance(event.decoded.state.get("reference"), str):
            return str(event.decoded.state["reference"])
    for event in case.events:
        if isinstance(event.decoded.state.get("case_reference"), str):
            return str(event.decoded.state["case_reference"])
    return None
