"""The month's figures counted again straight from the stored events, as a person with the
event catalogue and a pencil would: no projection, no read model, no report code.

Each store is read through its own application's recorder and mapper (not the audit
reader the report uses), event by event in log order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from shared.bootstrap import build_application
from shared.config import Settings
from shared.countries import continent_of


def events(service: str, cfg: Settings, as_of: datetime) -> Iterator[Any]:
    """The service's domain events recorded at or before `as_of`, in log order."""
    app = build_application(service, cfg)
    try:
        for n in app.recorder.select_notifications(1, 10_000_000):
            event = app.mapper.to_domain_event(n)
            if event.timestamp <= as_of:
                yield event
    finally:
        app.close()


def named(event: Any) -> str:
    return type(event).__name__


def within(moment: datetime, start: datetime, end: datetime) -> bool:
    return start <= moment < end


def helpline(cfg: Settings, as_of: datetime, start: datetime, end: datetime) -> dict[str, Any]:
    by_channel: Counter[str] = Counter()
    by_topic: Counter[str] = Counter()
    by_language: Counter[str] = Counter()
    for e in events("intake", cfg, as_of):
        if named(e) == "ContactLogged" and within(e.started_at, start, end):
            by_channel[e.channel] += 1
            by_topic[e.topic] += 1
            by_language[e.language] += 1
    return {"contacts": sum(by_channel.values()), "by_channel": dict(by_channel),
            "by_topic": dict(by_topic), "by_language": dict(by_language)}


def outreach(cfg: Settings, as_of: datetime, start: datetime, end: datetime) -> dict[str, Any]:
    records: dict[Any, dict[str, Any]] = {}
    for e in events("intake", cfg, as_of):
        if named(e) in ("ConsultationRecorded", "PreventionActivityRecorded"):
            records[e.originator_id] = {"what": named(e), "at": e.held_at,
                                        "kind": getattr(e, "kind", None),
                                        "participants": getattr(e, "participants", 0),
                                        "materials": getattr(e, "materials_distributed", 0)}
        elif named(e) in ("ConsultationWithdrawn", "PreventionActivityWithdrawn"):
            records.pop(e.originator_id, None)
    kept = [r for r in records.values() if within(r["at"], start, end)]
    by_kind: dict[str, dict[str, int]] = defaultdict(
        lambda: {"activities": 0, "participants": 0, "materials_distributed": 0})
    for r in kept:
        if r["what"] == "PreventionActivityRecorded":
            by_kind[r["kind"]]["activities"] += 1
            by_kind[r["kind"]]["participants"] += r["participants"]
            by_kind[r["kind"]]["materials_distributed"] += r["materials"]
    return {"consultations": sum(r["what"] == "ConsultationRecorded" for r in kept),
            "prevention_activities": sum(k["activities"] for k in by_kind.values()),
            "participants": sum(k["participants"] for k in by_kind.values()),
            "prevention_by_kind": dict(by_kind)}


def casework(cfg: Settings, as_of: datetime, start: datetime, end: datetime) -> dict[str, Any]:
    periods: dict[Any, list[list[datetime | None]]] = defaultdict(list)  # [opened, closed]
    origin: dict[Any, str | None] = {}
    services: Counter[str] = Counter()
    for e in events("casework", cfg, as_of):
        name = named(e)
        if name == "CaseOpened":
            periods[e.originator_id].append([e.opened_at, None])
            origin[e.originator_id] = e.origin_country
        elif name == "CaseFactsUpdated":
            origin[e.originator_id] = e.origin_country
        elif name == "CaseClosed":
            periods[e.originator_id][-1][1] = e.closed_at
        elif name == "CaseReopened":
            periods[e.originator_id].append([e.reopened_at, None])
        elif name == "ServiceProvided" and within(e.provided_at, start, end):
            services[e.service_type] += 1
        elif name == "CrisisInterventionProvided" and within(e.provided_at, start, end):
            services["crisis_intervention"] += 1

    def open_at(moment: datetime) -> int:
        return sum(any(o < moment and (c is None or c >= moment) for o, c in spans)
                   for spans in periods.values())

    new = [case for case, spans in periods.items() if within(spans[0][0], start, end)]
    by_continent: Counter[str] = Counter(continent_of(origin[case]) for case in new)
    return {
        "pending_cases": open_at(start), "new_cases": len(new),
        "reopened_cases": sum(within(o, start, end) for spans in periods.values()
                              for o, _ in spans[1:]),
        "closed_cases": sum(c is not None and within(c, start, end)
                            for spans in periods.values() for _, c in spans),
        "open_at_month_end": open_at(end),
        "services_by_type": dict(services),
        "new_cases_by_continent": dict(by_continent),
    }


def legal(cfg: Settings, as_of: datetime, start: datetime, end: datetime) -> dict[str, Any]:
    hearings: dict[Any, dict[str, Any]] = {}
    for e in events("legal", cfg, as_of):
        name = named(e)
        if name == "HearingScheduled":
            hearings[e.originator_id] = {"starts_at": e.starts_at, "type": e.hearing_type}
        elif name == "HearingMoved":
            hearings[e.originator_id]["starts_at"] = e.starts_at
        elif name == "HearingCancelled":
            hearings.pop(e.originator_id, None)
    held = [h for h in hearings.values() if within(h["starts_at"], start, end)]
    return {"hearings": len(held), "hearings_by_type": dict(Counter(h["type"] for h in held))}
