"""GDPR Art. 15: everything Haven holds about one person, from every service's stored
events, with other people's data redacted (shared.gdpr.redaction).

Who the person is: a casework client (by client id, or any of their case ids or
references). What is theirs: their client and access-log streams, every event the audit
tools join to each of their cases in any service (shared.audit_trail.links: contacts,
stays, matters, notifications), and any stream that names their data subject or client
id. The export is a read of their personal data: it is recorded in their access log
(purpose data_subject_request) *before* anything is opened -- no record, no export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from shared.audit_trail.access import ACCESS_EVENTS, record_reveal
from shared.audit_trail.decode import Decoded, aggregate_name, decode
from shared.audit_trail.links import CaseFile, collect_case, resolve_case
from shared.audit_trail.sources import Catalogue, StoreReader
from shared.config import Settings
from shared.crypto import seal_context
from shared.eventstore import reason_context
from shared.gdpr.redaction import OTHER_PERSON, Redactor

PURPOSE = "data_subject_request"
WHAT = "all personal data (GDPR Art. 15 export)"
CASEWORK = "casework"
SKIPPED = ("Snapshot",)  # a snapshot repeats its stream's events
# A helpline contact made by someone else about the person (family, a witness, a
# professional who reported): the number to call back is the caller's, not the person's,
# and an answer to the person must not give it (Art. 15(4): the rights of others -- a
# person made to ask by their exploiter would learn who reported them).
CALLERS_OWN = frozenset({"callback_contact"})
SELF_CALLER = "potential_victim"


class PersonNotFound(LookupError):
    """No client is known by that id or reference."""


class AwaitingReview(RuntimeError):
    """A case linked to the person may be someone else's until a supervisor reviews it:
    no export is made meanwhile (one with it would give its notes to the wrong person,
    one without it would be an incomplete answer given as whole)."""


@dataclass
class Holdings:
    """The person's ids and every stored event that is theirs, by (store, position)."""

    client_id: str
    subject_id: str | None = None
    case_ids: list[str] = field(default_factory=list)
    references: set[str] = field(default_factory=set)
    events: dict[tuple[str, int], Decoded] = field(default_factory=dict)
    own_streams: set[str] = field(default_factory=set)  # uuid hex of the person's streams

    def add(self, d: Decoded, own_stream: bool = False) -> None:
        self.events[(d.record.service, d.record.notification_id)] = d
        if own_stream:
            self.own_streams.add(d.record.originator_id)


def service_label(store: str, app_cls: Any) -> str:
    """The service a store belongs to ("intake"), even for a test's own store name."""
    from shared.manifest import manifest

    names = set(manifest().names)
    for cls in getattr(app_cls, "__mro__", ()):
        if getattr(cls, "name", None) in names:
            return str(cls.name)
    return store


def every_store() -> Catalogue:
    """Every service that keeps events, relayed or not: notifications keeps alerts about
    a person's cases but publishes nothing, so the audit catalogue (relayed stores) omits
    it -- an Art. 15 answer may not."""
    from shared.manifest import manifest

    names = tuple(s.name for s in manifest() if s.application)
    return Catalogue(names, {n: manifest()[n].application_class for n in names},
                     frozenset(names))


def _casework_store(catalogue: Catalogue) -> str:
    for store in catalogue.services:
        if service_label(store, catalogue.application(store)) == CASEWORK:
            return store
    raise LookupError("no casework store in the catalogue")


# -- who -----------------------------------------------------------------------------------
def find_client(person: str, cfg: Settings, catalogue: Catalogue) -> str:
    """The client id `person` names: a client id, or a case id or reference."""
    store = _casework_store(catalogue)
    app_cls = catalogue.application(store)
    try:
        stream = UUID(person)
    except ValueError:
        try:
            stream = UUID(resolve_case(person, cfg, Catalogue((store,), {store: app_cls})))
        except LookupError:
            raise PersonNotFound(f"no client or case {person}") from None
    owner = None
    with StoreReader(store, cfg) as reader:
        for record in reader.streams([stream.hex]):
            if record.topic.endswith(".ClientRegistered"):
                return str(stream)
            state = decode(record, app_cls).state
            if state.get("client_id"):  # a case's events: whose case it is now
                owner = str(state["client_id"])
    if owner is None:
        raise PersonNotFound(f"no client or case {person}")
    return owner


def _client_stream(holdings: Holdings, cfg: Settings, catalogue: Catalogue) -> None:
    from services.casework.domain.ids import access_log_id

    store = _casework_store(catalogue)
    app_cls = catalogue.application(store)
    streams = [UUID(holdings.client_id).hex, access_log_id(holdings.client_id).hex]
    with StoreReader(store, cfg) as reader:
        for record in reader.streams(streams):
            d = decode(record, app_cls)
            holdings.add(d, own_stream=True)
            if d.name == "ClientRegistered":
                holdings.subject_id = str(d.state.get("subject_id"))
            elif d.name == "CaseLinked":
                holdings.case_ids.append(str(d.state["case_id"]))
            elif d.name == "CaseUnlinked":
                holdings.case_ids.remove(str(d.state["case_id"]))


def _case_files(holdings: Holdings, cfg: Settings, catalogue: Catalogue) -> list[CaseFile]:
    files = []
    for case_id in holdings.case_ids:
        case = collect_case(case_id, cfg, catalogue)
        files.append(case)
        if case.reference:
            holdings.references.add(case.reference)
        whole = {oid for _, oid in case.whole_streams}
        for event in case.events:
            holdings.add(event.decoded, own_stream=event.record.originator_id in whole)
    return files


def _naming_the_person(holdings: Holdings, cfg: Settings, catalogue: Catalogue) -> None:
    """Streams elsewhere that name the person's subject or client id (a helpline contact
    never linked to a case, a stay taken under their subject)."""
    needles = [n for n in (holdings.subject_id, holdings.client_id) if n]
    for store in catalogue.services:
        app_cls = catalogue.application(store)
        with StoreReader(store, cfg) as reader:
            if not reader.exists():
                continue
            hits = [decode(r, app_cls) for r in reader.containing(needles)]
            oids = {d.record.originator_id for d in hits if _names_person(d, needles)}
            streams: dict[str, list[Decoded]] = {}
            for record in reader.streams(oids):
                streams.setdefault(record.originator_id, []).append(decode(record, app_cls))
            for events in streams.values():
                if _still_theirs(events, needles):
                    for d in events:
                        holdings.add(d, own_stream=True)


_PERSON_KEYS = ("person_subject_id", "subject_id", "client_id")


def _names_person(d: Decoded, needles: list[str]) -> bool:
    return any(str(d.state.get(k)) in needles for k in _PERSON_KEYS)


def _still_theirs(events: list[Decoded], needles: list[str]) -> bool:
    """Whether the stream is the person's as its last event naming a person says: a case
    opened as a possible duplicate names the client it matched, and once a review finds
    two people it names the other one (ClientChanged) -- it was never theirs, and its
    notes, sealed under the case, are someone else's."""
    theirs = False
    for d in sorted(events, key=lambda e: e.record.originator_version):
        if any(d.state.get(k) is not None for k in _PERSON_KEYS):
            theirs = _names_person(d, needles)
    return theirs


def _awaiting_review(holdings: Holdings, cfg: Settings, catalogue: Catalogue) -> list[str]:
    """The person's cases opened as a possible duplicate that no supervisor reviewed yet."""
    store = _casework_store(catalogue)
    app_cls = catalogue.application(store)
    pending: dict[str, str] = {}
    with StoreReader(store, cfg) as reader:
        for record in reader.streams([UUID(case_id).hex for case_id in holdings.case_ids]):
            d = decode(record, app_cls)
            if d.name == "CaseOpened" and d.state.get("possible_duplicate"):
                pending[record.originator_id] = str(d.state.get("reference"))
            elif d.name == "DuplicateReviewed":
                pending.pop(record.originator_id, None)
    return sorted(pending.values())


def collect(person: str, cfg: Settings, catalogue: Catalogue) -> tuple[Holdings, list[CaseFile]]:
    holdings = Holdings(find_client(person, cfg, catalogue))
    _client_stream(holdings, cfg, catalogue)
    if pending := _awaiting_review(holdings, cfg, catalogue):
        raise AwaitingReview(f"case {', '.join(pending)} of client {holdings.client_id} awaits"
                             " a supervisor's duplicate review (it may be about someone"
                             " else): settle it, then export; nothing was read or written")
    files = _case_files(holdings, cfg, catalogue)
    _naming_the_person(holdings, cfg, catalogue)
    return holdings, files


# -- the export -----------------------------------------------------------------------------
def subject_access(person: str, principal: Any, cfg: Settings, catalogue: Catalogue,
                   vault: Any, now: datetime | None = None) -> dict[str, Any]:
    """The Art. 15 document as a dict (JSON-ready). Records the read first; raises
    PermissionError (not a supervisor), PersonNotFound or AwaitingReview before anything is
    opened."""
    holdings, files = collect(person, cfg, catalogue)
    if not files:
        raise PersonNotFound(f"client {holdings.client_id} has no case to log the export in")
    where = record_reveal(principal, files[0], PURPOSE, WHAT, cfg, catalogue,
                          reason="GDPR Art. 15 subject access request")
    holdings, files = collect(person, cfg, catalogue)  # the export's own record included
    redactor = Redactor(_own_subjects(holdings), _own_names(holdings), vault.unseal)
    others_calls = _calls_by_others(holdings)
    services: dict[str, list[dict[str, Any]]] = {}
    for (store, _), d in sorted(holdings.events.items(), key=lambda kv: _when(kv[1])):
        if d.name in SKIPPED:
            continue
        label = service_label(store, catalogue.application(store))
        entry = _entry(d, redactor)
        if d.record.originator_id in others_calls:
            entry["data"] = _callers_own_redacted(entry["data"], redactor)
        services.setdefault(label, []).append(entry)
    return {
        "request": {"article": "GDPR Art. 15", "person": holdings.client_id,
                    "generated_at": (now or datetime.now(UTC)).isoformat(),
                    "generated_by": principal.user_id, "recorded_in": where},
        "cases": [{"case_id": c.case_id, "reference": c.reference} for c in files],
        "details": _details(services.get(CASEWORK, [])),
        "services": services,
        "reads_of_your_data": [e for entries in services.values() for e in entries
                               if e["event"] in ACCESS_EVENTS],
        "redactions": dict(redactor.counts),
    }


def _calls_by_others(h: Holdings) -> set[str]:
    """The contacts whose caller, as last recorded, was not the person."""
    caller: dict[str, str] = {}
    for d in sorted(h.events.values(), key=_when):
        kind = d.state.get("caller_type")
        if isinstance(kind, str):
            caller[d.record.originator_id] = kind
    return {stream for stream, kind in caller.items() if kind != SELF_CALLER}


def _callers_own_redacted(data: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    shown = dict(data)
    for key in CALLERS_OWN & data.keys():
        if data[key] is not None:
            shown[key] = OTHER_PERSON
            redactor.counts["the caller's, not the person's"] += 1
    return shown


def _when(d: Decoded) -> str:
    return (d.timestamp.isoformat() if d.timestamp else "") + f"{d.record.notification_id:012d}"


def _own_subjects(h: Holdings) -> set[str]:
    from services.casework.domain.ids import access_log_id

    return {h.client_id, access_log_id(h.client_id).hex, *h.case_ids, *h.own_streams,
            *([h.subject_id] if h.subject_id else [])}


def _own_names(h: Holdings) -> set[str]:
    return _own_subjects(h) | h.references


def _entry(d: Decoded, redactor: Redactor) -> dict[str, Any]:
    store, aggregate = d.record.service, aggregate_name(d.record.topic)
    audit = d.audit
    reason_detail = audit.get("reason_detail")
    return {
        "at": d.timestamp.isoformat() if d.timestamp else None, "event": d.name,
        "record": aggregate,
        "by": {"id": audit.get("actor_id"), "role": audit.get("actor_role")},
        "why": {"reason": audit.get("reason"),
                "detail": None if reason_detail is None else redactor.value(
                    reason_detail, reason_context(store))},
        "data": redactor.data(d.data(), lambda key: seal_context(store, aggregate, key)),
    }


def _details(casework: list[dict[str, Any]]) -> dict[str, Any]:
    """The person's details as they stand now: the last registration or correction."""
    from shared.person import PERSON_FIELDS

    latest: dict[str, Any] = {}
    for entry in casework:
        if entry["event"] in ("ClientRegistered", "ClientDetailsCorrected"):
            latest = entry["data"]
    keep = (*PERSON_FIELDS, "gender", "birth_year", "citizenship", "languages")
    return {k: latest[k] for k in keep if latest.get(k) not in (None, [], "")}
