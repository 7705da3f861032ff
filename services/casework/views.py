"""What a reader gets of a case or a client: always the facts, personal data only
when the reader may have it.

Pure: built from aggregates. For a reader without access the aggregates are loaded
still sealed, and the personal fields are left out here -- never sent as ciphertext.
`PERSONAL_FIELDS` names what a read of personal data returns; the access log
records which of them a reader actually got.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.casework.domain import Case, Client
from services.casework.domain.cases import FACTS
from shared.crypto import ERASED
from shared.person import PERSON_FIELDS

Detail = dict[str, Any]
PERSONAL_FIELDS = ("person", "notes", "consent_evidence", "plan_descriptions",
                   "candidate_person")


def client_profile(client: Client) -> Detail:
    return {"client_id": str(client.id), "gender": client.gender,
            "birth_year": client.birth_year, "citizenship": client.citizenship,
            "languages": list(client.languages), "case_ids": list(client.case_ids),
            "registered_at": client.registered_at, "erased": client.erased,
            "erasure": _erasure(client), "version": client.version}


def _erasure(client: Client) -> Detail | None:
    if client.erased:
        return {"status": "erased", "erased_at": client.erased_at}
    if client.erasure is None:
        return None
    status = "approved" if client.erasure["approved_by"] else "requested"
    return {"status": status, **client.erasure}


def person_of(client: Client) -> Detail:
    """The client's personal data, or ERASED in each field once shredded."""
    if client.erased:
        return dict.fromkeys(PERSON_FIELDS, ERASED)
    return client.person


def case_detail(case: Case, client: Client, now: datetime, personal: bool) -> Detail:
    texts = case.texts if personal else {}
    detail: Detail = {
        "case_id": str(case.id), "version": case.version, "reference": case.reference,
        "status": case.status, "source": case.source, "client_id": case.client_id,
        "contact_id": case.contact_id, "opened_at": case.opened_at,
        "caseworker_id": case.caseworker_id, **{name: getattr(case, name) for name in FACTS},
        "assessment": case.assessment, "indicators": list(case.indicators),
        "possible_duplicate": case.possible_duplicate,
        "duplicate_review": case.duplicate_review,
        "candidate_profile": case.candidate_profile,
        "identification": case.identification, "reflection_period": case.reflection_period,
        "consents": _consents(case, texts, personal), "services": list(case.services),
        "plan": _plan(case, texts, personal), "follow_ups": _follow_ups(case, now),
        "notes": [_note(n, texts, personal) for n in case.notes],
        "requests": list(case.requests), "closure": case.closure,
        "erased": case.erased_at is not None, "client": client_profile(client),
    }
    if personal:
        detail["person"] = person_of(client)
        if case.candidate_person is not None:
            detail["candidate_person"] = case.candidate_person
    return detail


def _consents(case: Case, texts: dict[str, Any], personal: bool) -> list[Detail]:
    found = []
    for key, history in case.consents.items():
        purpose, recipient = key.split("|", 1)
        for record in history:
            item = {"purpose": purpose, "recipient": recipient,
                    **{k: v for k, v in record.items() if k != "evidence"}}
            if personal:
                item["evidence"] = _text(texts, record["evidence"])
            found.append(item)
    return found


def _plan(case: Case, texts: dict[str, Any], personal: bool) -> list[Detail]:
    plan = []
    for objective_id, objective in case.plan.items():
        actions = []
        for action_id, action in objective["actions"].items():
            entry = {"action_id": action_id, **action}
            if personal:
                entry["description"] = _text(texts, f"action:{action_id}")
            actions.append(entry)
        item = {"objective_id": objective_id, **{k: v for k, v in objective.items()
                                                  if k != "actions"}, "actions": actions}
        if personal:
            item["description"] = _text(texts, f"objective:{objective_id}")
        plan.append(item)
    return plan


def _follow_ups(case: Case, now: datetime) -> list[Detail]:
    overdue = set(case.overdue_follow_ups(now))
    return [{"follow_up_id": fid, **f, "overdue": fid in overdue}
            for fid, f in case.follow_ups.items()]


def _note(note: dict[str, Any], texts: dict[str, Any], personal: bool) -> Detail:
    if not personal:
        return dict(note)
    return {**note, "text": _text(texts, f"note:{note['note_id']}")}


def _text(texts: Any, item: str) -> Any:
    # A snapshot of an erased case holds ERASED in place of the whole dict.
    return texts.get(item) if isinstance(texts, dict) else ERASED


def personal_fields_of(detail: Detail) -> list[str]:
    """Which kinds of personal data a detail carries: what the access log records."""
    fields = ["person"] if "person" in detail else []
    if any("text" in n for n in detail.get("notes", [])):
        fields.append("notes")
    if any(c.get("evidence") is not None for c in detail.get("consents", [])):
        fields.append("consent_evidence")
    if any(o.get("description") is not None or any(a.get("description") is not None
                                                  for a in o["actions"])
           for o in detail.get("plan", [])):
        fields.append("plan_descriptions")
    if "candidate_person" in detail:
        fields.append("candidate_person")
    return fields
