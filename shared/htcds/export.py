"""The HTCDS export: one row per case opened in a period, from casework's stored events,
k-anonymised (shared.htcds.anonymise) and written as CSV with a JSON report beside it.

Collection reads casework's store read-only, as the audit tools do, and folds only the
facts it publishes: it never opens a sealed value and holds no key, so a name, a birth
date, a phone or an address cannot reach the file even by mistake. Folding the events
(not the read models) makes an export of a closed period the same whenever it is made.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from shared.config import Settings
from shared.htcds.anonymise import Release, anonymise
from shared.htcds.fields import (
    AGE,
    CITIZENSHIP,
    COLUMNS,
    DIRECT_IDENTIFIERS,
    EXPLOITED_IN,
    GENDER,
    LADDERS,
    QUASI_IDENTIFIERS,
    YEAR,
    age_at,
)

CASE_EVENTS = ("CaseOpened", "CaseFactsUpdated", "IdentificationStatusChanged",
               "CasePhaseChanged", "CaseClosed", "CaseReopened", "ClientChanged")
CLIENT_EVENTS = ("ClientRegistered", "ClientDetailsCorrected")
LIST_SEPARATOR = ";"


@dataclass
class CaseFacts:
    """What the export may know of a case: codes, countries and a year, nothing else."""

    client_id: str
    opened_on: date
    exploitation_country: str | None = None
    exploitation_types: list[str] = field(default_factory=list)
    methods_of_control: list[str] = field(default_factory=list)
    recruitment: str | None = None
    relationship_to_trafficker: str | None = None
    identification: str | None = None
    status: str = "Open"


@dataclass
class Profile:
    gender: str = "Unknown"
    birth_year: int | None = None
    citizenship: str | None = None


# -- folding (pure) ----------------------------------------------------------------------
def fold(events: Iterable[tuple[str, str, dict[str, Any]]]
         ) -> tuple[dict[str, CaseFacts], dict[str, Profile]]:
    """(event name, aggregate id, state) in log order -> cases and client profiles."""
    cases: dict[str, CaseFacts] = {}
    clients: dict[str, Profile] = {}
    for name, stream, state in events:
        oid = _same(stream)  # streams come as uuid hex, references to them dashed
        if name in CLIENT_EVENTS:
            clients[oid] = Profile(state.get("gender") or "Unknown", state.get("birth_year"),
                                   state.get("citizenship"))
        elif name == "CaseOpened":
            cases[oid] = CaseFacts(_same(state["client_id"]), _day(state["opened_at"]))
            _facts(cases[oid], state)
            cases[oid].status = "Active" if state.get("caseworker_id") else "Open"
        elif oid in cases:
            _change(cases[oid], name, state)
    return cases, clients


def _facts(case: CaseFacts, state: dict[str, Any]) -> None:
    case.exploitation_country = state.get("exploitation_country")
    case.exploitation_types = list(state.get("exploitation_types") or [])
    case.methods_of_control = list(state.get("methods_of_control") or [])
    case.recruitment = state.get("recruitment")
    case.relationship_to_trafficker = state.get("relationship_to_trafficker")


def _change(case: CaseFacts, name: str, state: dict[str, Any]) -> None:
    if name == "CaseFactsUpdated":
        _facts(case, state)
    elif name == "IdentificationStatusChanged":
        case.identification = state.get("status")
    elif name == "CasePhaseChanged":
        case.status = state["phase"]
    elif name in ("CaseClosed", "CaseReopened"):
        case.status = state["status"]
    elif name == "ClientChanged":
        case.client_id = _same(state["client_id"])


def _same(an_id: Any) -> str:
    return str(UUID(str(an_id)))


def _day(value: Any) -> date:
    return value.date() if isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


def rows_of(cases: dict[str, CaseFacts], clients: dict[str, Profile], date_from: date,
            date_to: date) -> list[dict[str, Any]]:
    """One unanonymised row per case opened from `date_from` to `date_to` (inclusive),
    in a fixed order that says nothing about the order cases were opened in."""
    rows = []
    for case in cases.values():
        if not date_from <= case.opened_on <= date_to:
            continue
        person = clients.get(case.client_id, Profile())
        year = case.opened_on.year
        rows.append({
            YEAR: year, GENDER: person.gender, AGE: age_at(person.birth_year, year),
            CITIZENSHIP: person.citizenship, EXPLOITED_IN: case.exploitation_country,
            "typeOfExploitation": LIST_SEPARATOR.join(sorted(case.exploitation_types)),
            "methodsOfControl": LIST_SEPARATOR.join(sorted(case.methods_of_control)),
            "methodOfRecruitment": case.recruitment or "",
            "relationshipToTrafficker": case.relationship_to_trafficker or "",
            "traffickingStatus": case.identification or "",
            "caseStatus": case.status})
    return sorted(rows, key=lambda r: tuple(str(r[c]) for c in COLUMNS[1:]))


# -- the release -------------------------------------------------------------------------
def htcds_release(rows: list[dict[str, Any]], k: int, max_suppressed: float) -> Release:
    release = anonymise(rows, LADDERS, k, max_suppressed)
    for number, row in enumerate(release.rows, start=1):
        row["recordId"] = number  # a row number, never the case's id or reference
    return release


def write_release(release: Release, out: Path, period: tuple[date, date]) -> Path:
    """The CSV at `out`, the report at `out` with `.report.json`; returns the report's path."""
    leaked = DIRECT_IDENTIFIERS & set(COLUMNS)
    if leaked:
        raise AssertionError(f"direct identifiers among the columns: {sorted(leaked)}")
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, extrasaction="raise")
        writer.writeheader()
        writer.writerows({c: row[c] for c in COLUMNS} for row in release.rows)
    report = out.with_name(out.name + ".report.json")
    report.write_text(json.dumps(
        {"standard": "HTCDS 2.0", "period": {"from": period[0].isoformat(),
                                             "to": period[1].isoformat()},
         "quasi_identifiers_declared": list(QUASI_IDENTIFIERS),
         "not_published": "names, birth dates, contact details, addresses, document numbers,"
                          " case references and ids, exact dates, country of origin",
         **release.report()}, indent=2) + "\n", encoding="utf-8")
    return report


# -- collection from casework's store ----------------------------------------------------
def collect(cfg: Settings, store: str = "casework") -> tuple[dict[str, CaseFacts],
                                                             dict[str, Profile]]:
    """Cases and client profiles folded from casework's stored events (read-only)."""
    from shared.audit_trail.decode import decode, event_name
    from shared.audit_trail.sources import StoreReader
    from shared.manifest import manifest

    app_cls = manifest()["casework"].application_class
    topics = _topics((*CASE_EVENTS, *CLIENT_EVENTS))
    with StoreReader(store, cfg) as reader:
        if not reader.exists():
            raise LookupError(f"no {store} store")
        records = reader.of_topics(topics)
    return fold((event_name(r.topic), r.originator_id, decode(r, app_cls).state)
                for r in records)


def _topics(names: tuple[str, ...]) -> list[str]:
    from eventsourcing.utils import get_topic

    from services.casework.domain import Case, Client

    found = []
    for aggregate in (Case, Client):
        for name in names:
            cls = getattr(aggregate, name, None)
            if cls is not None:
                found.append(get_topic(cls))
    return found


def export_htcds(cfg: Settings, date_from: date, date_to: date, k: int, out: Path,
                 max_suppressed: float = 0.05, store: str = "casework") -> Release:
    if date_to < date_from:
        raise ValueError("--to is before --from")
    cases, clients = collect(cfg, store)
    release = htcds_release(rows_of(cases, clients, date_from, date_to), k, max_suppressed)
    write_release(release, out, (date_from, date_to))
    return release
