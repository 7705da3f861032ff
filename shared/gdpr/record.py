"""GDPR Art. 30: the record of processing activities, generated from the code.

Per service in the manifest: its aggregates (found in the service's own package), the
events each one stores, the personal-data fields it declares (`PERSONAL_DATA`, the same
declaration the event store seals by), the contracts it publishes, and who may read the
personal data (the service's need-to-know table). What code cannot know -- purposes,
legal basis, retention, the category of each field -- comes from shared.gdpr.declarations;
anything without a declaration is listed under `undeclared`.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

from eventsourcing.domain import Aggregate

from shared.gdpr import declarations as d
from shared.vocabulary import SharePurpose

SKIP_PARTS = ("tests", "demo")


def aggregates_of(service: str) -> list[type]:
    """Every aggregate class defined in the service's package, by name."""
    package = importlib.import_module(f"services.{service}")
    modules = [package] + [
        importlib.import_module(info.name)
        for info in pkgutil.walk_packages(package.__path__, f"services.{service}.")
        if not any(part in info.name.split(".") for part in SKIP_PARTS)]
    found: dict[str, type] = {}
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Aggregate) \
                    and value.__module__.startswith(f"services.{service}."):
                found[value.__qualname__] = value
    return [found[name] for name in sorted(found)]


def events_of(aggregate: type) -> list[str]:
    return sorted(name for name, value in vars(aggregate).items()
                  if isinstance(value, type) and issubclass(value, Aggregate.Event)
                  and name[0].isupper() and name != "Snapshot")


def category_of(field: str) -> str | None:
    return next((c for c, fields in d.CATEGORIES.items() if field in fields), None)


def _service_record(name: str, undeclared: list[str]) -> dict[str, Any]:
    stores: list[dict[str, Any]] = []
    for aggregate in aggregates_of(name):
        personal = dict(getattr(aggregate, "PERSONAL_DATA", {}) or {})
        entry: dict[str, Any] = {"record": aggregate.__qualname__,
                                 "events": events_of(aggregate)}
        if personal:
            entry["personal_data"] = {f: category_of(f) for f in sorted(personal)}
            entry["data_subjects"] = d.SUBJECTS.get(aggregate.__qualname__)
            undeclared += [f"{name}: {aggregate.__qualname__}.{f} has no category"
                           for f, c in entry["personal_data"].items() if c is None]
            if entry["data_subjects"] is None:
                undeclared.append(f"{name}: {aggregate.__qualname__} has no data subjects")
        stores.append(entry)
    if any("personal_data" in s for s in stores) and name not in d.PURPOSES:
        undeclared.append(f"{name}: no purpose declared")
    return {"service": name, "purpose": d.PURPOSES.get(name),
            "retention": d.RETENTION.get(name, d.RETENTION["default"]),
            "who_may_read": _need_to_know(name), "publishes": _contracts(name),
            "records": stores}


def _need_to_know(service: str) -> list[str]:
    """Who gets personal data back, per operation group: the service's policy table."""
    try:
        module = importlib.import_module(f"services.{service}.policy")
    except ImportError:
        return []
    policy = getattr(module, "POLICY", None)
    rows = {id(row): row for row in getattr(policy, "rows", {}).values()}
    return sorted(f"{' '.join(row.operations.split())}: {row.personal}"
                  for row in rows.values() if row.personal)


def _contracts(service: str) -> list[str]:
    from shared.manifest import manifest

    app_cls = manifest()[service].application_class
    publications = getattr(app_cls, "publishes", None)
    if publications is None:
        return []
    return sorted(f"{c.type} v{c.version}" for c in publications.contracts)


def _recipients() -> list[str]:
    return sorted(p.value.removeprefix("share_with_").replace("_", " ") for p in SharePurpose)


def processing_record() -> dict[str, Any]:
    from shared.manifest import manifest

    undeclared: list[str] = []
    services = [_service_record(s.name, undeclared) for s in manifest() if s.application]
    return {
        "article": "GDPR Art. 30(1)", "controller": d.CONTROLLER, "legal_basis": d.LEGAL_BASIS,
        "categories_of_data": sorted(d.CATEGORIES),
        "recipients": {"with the person's consent, per recipient (casework consent)":
                       _recipients(),
                       "internal": "staff roles per each service's need-to-know table"},
        "transfers_to_third_countries": "none by the platform; an embassy only with consent",
        "security_measures": list(d.SECURITY),
        "services": services, "undeclared": undeclared,
    }


def markdown(record: dict[str, Any]) -> str:
    lines = ["# Record of processing activities (GDPR Art. 30)", "",
             f"**Controller**: {record['controller']}", "",
             f"**Legal basis**: {record['legal_basis']}", "",
             "**Recipients with consent**: "
             + ", ".join(record["recipients"]["with the person's consent, per recipient"
                                               " (casework consent)"]), "",
             f"**Transfers to third countries**: {record['transfers_to_third_countries']}", "",
             "## Security measures", ""]
    lines += [f"- {m}" for m in record["security_measures"]]
    for service in record["services"]:
        lines += ["", f"## {service['service']}", "", f"- Purpose: {service['purpose'] or '-'}",
                  f"- Retention: {service['retention']}",
                  "- Who may read personal data:"
                  + ("".join(f"\n  - {rule}" for rule in service["who_may_read"]) or " -"),
                  f"- Publishes: {', '.join(service['publishes']) or '-'}", ""]
        for store in service["records"]:
            if "personal_data" in store:
                fields = ", ".join(f"{f} ({c or 'UNDECLARED'})"
                                   for f, c in store["personal_data"].items())
                lines.append(f"- **{store['record']}** about {store['data_subjects'] or '-'}:"
                             f" {fields}")
    if record["undeclared"]:
        lines += ["", "## Undeclared (to be completed)", ""]
        lines += [f"- {u}" for u in record["undeclared"]]
    return "\n".join(lines) + "\n"
