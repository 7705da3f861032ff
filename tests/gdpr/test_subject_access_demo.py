"""Art. 15 for a person of `make dev`'s demo: a client the helpline referred, whom casework
took on, a shelter lodged and legal aid represents -- their data from every service that
holds some, and none of the demo's other people."""

from __future__ import annotations

import json
from typing import Any

import pytest

from services.casework.domain import Case, Client
from shared.audit_trail.reveals import read_only_vault
from shared.auth import Principal
from shared.bootstrap import build_application
from shared.gdpr.access import every_store, subject_access
from shared.person import PERSON_FIELDS

SHORTEST = 5  # shorter strings ("Ion", "UA") are codes or too common to mean anything


def _cases_of(store: Any, field: str = "case_id") -> set[str]:
    """Every case id the store's events name."""
    found = set()
    for notification in store.recorder.select_notifications(1, 1_000_000):
        value = vars(store.mapper.to_domain_event(notification)).get(field)
        if value:
            found.add(str(value))
    return found


def _names(casework: Any) -> dict[str, set[str]]:
    """{client id: the names and phone numbers casework holds of them}, unsealed."""
    people: dict[str, set[str]] = {}
    for notification in casework.recorder.select_notifications(1, 1_000_000):
        if notification.topic.endswith("ClientRegistered"):
            client = casework.load(Client, notification.originator_id)
            values = {getattr(client, name, None) for name in PERSON_FIELDS}
            people[str(client.id)] = {v for v in values
                                      if isinstance(v, str) and len(v) >= SHORTEST}
    return people


@pytest.mark.slow
def test_a_demo_persons_export_holds_every_service_and_no_one_else(embedded_demo):
    cfg = embedded_demo
    stores = {name: build_application(name, cfg) for name in ("casework", "shelter", "legal")}
    try:
        lodged_and_represented = _cases_of(stores["shelter"]) & _cases_of(stores["legal"])
        assert lodged_and_represented, "the demo lodges and represents someone"
        case_id = sorted(lodged_and_represented)[0]
        people = _names(stores["casework"])
        client_id = str(stores["casework"].load(Case, case_id, sealed=True).client_id)
    finally:
        for store in stores.values():
            store.close()
    supervisor = Principal(user_id="dpo-1", roles=("supervisor",))
    doc = subject_access(case_id, supervisor, cfg, every_store(), read_only_vault(cfg))
    assert {"intake", "casework", "shelter", "legal"} <= set(doc["services"])
    assert doc["request"]["person"] == client_id
    exported = json.dumps(doc, ensure_ascii=False)
    assert people[client_id] and all(value in exported for value in people[client_id])
    others = {value for other, values in people.items() if other != client_id
              for value in values} - people[client_id]
    assert others and not [value for value in others if value in exported]
    assert any(r["data"].get("purpose") == "data_subject_request"
               for r in doc["reads_of_your_data"])  # the export is in their access log
