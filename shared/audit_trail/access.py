"""Reads of a case's personal data: listing who looked, and recording the audit tools' own
reveals -- always *before* anything is revealed, so a reveal that cannot be recorded does
not happen.

A service that keeps an access log (casework: an AccessLog per case) offers, on its
application class,

    def record_personal_data_read(self, ctx: CommandContext, case_id: str, purpose: str,
                                  fields: list[str]) -> None

and stores each read as an event named `PersonalDataRead` with `case_id` (or in a stream
that names the case) and `purpose`, optionally `fields`. A reveal goes there when such a
service holds events of the case; otherwise into the audit store (shared.audit_trail.reveals).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from shared.audit import CommandContext
from shared.audit_trail.decode import masked
from shared.audit_trail.links import CaseFile, collect_case
from shared.audit_trail.reveals import RevealLog
from shared.audit_trail.sources import AUDIT_STORE, Catalogue
from shared.auth import Principal
from shared.config import Settings
from shared.vocabulary import ChangeReason

ACCESS_EVENTS = ("PersonalDataRead", "ReadRecorded", "PersonalDataRevealed",
                 "EmergencyAccessGranted")
ACCESS_HOOK = "record_personal_data_read"
REVEAL_ROLE = "supervisor"


@dataclass(frozen=True)
class AccessEntry:
    at: str
    service: str
    event: str
    actor_id: str | None
    actor_role: str | None
    purpose: str | None
    what: Any
    correlation_id: str | None
    outcome: str = "read"  # or "withheld": an attempt the policy refused
    emergency: bool = False  # under emergency ("break-the-glass") access


@dataclass(frozen=True)
class CaseAccess:
    case_id: str
    reference: str | None
    entries: list[AccessEntry]

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "reference": self.reference,
                "entries": [asdict(e) for e in self.entries]}

    def text(self) -> str:
        rows = [f"Case {self.reference or '-'} (id {self.case_id}): personal data read"
                f" {len(self.entries)} time(s)"]
        rows += [f"{e.at}  {e.service:<10} {e.actor_id or '?'} ({e.actor_role or '?'})"
                 f"  {e.event}  purpose: {e.purpose or '-'}  what: {e.what or '-'}"
                 f"{'  WITHHELD' if e.outcome == 'withheld' else ''}"
                 f"{'  EMERGENCY' if e.emergency else ''}"
                 for e in self.entries]
        return "\n".join(rows)


def access_of(case: CaseFile) -> CaseAccess:
    entries = []
    for event in case.events:
        d = event.decoded
        if d.name not in ACCESS_EVENTS or _a_copy(d):
            continue
        audit = d.audit
        what = d.state.get("fields", d.state.get("what"))
        entries.append(AccessEntry(
            at=d.timestamp.isoformat() if d.timestamp else "", service=d.record.service,
            event=d.name, actor_id=audit.get("actor_id"), actor_role=audit.get("actor_role"),
            purpose=d.state.get("purpose") or audit.get("reason"),
            what=masked(list(what) if isinstance(what, tuple) else what),
            correlation_id=audit.get("correlation_id"),
            outcome=str(d.state.get("outcome") or "read"),
            emergency=bool(d.state.get("emergency") or d.name == "EmergencyAccessGranted")))
    return CaseAccess(case.case_id, case.reference, entries)


def _a_copy(d: Any) -> bool:
    """A read another service recorded first and forwarded into the person's one log: the
    case file holds the original, from the service where it happened."""
    return d.name == "ReadRecorded" and d.state.get("service") not in (None, d.record.service)


def case_access(ref: str, cfg: Settings, catalogue: Catalogue | None = None) -> CaseAccess:
    return access_of(collect_case(ref, cfg, catalogue))


def record_reveal(principal: Principal, case: CaseFile, purpose: str, what: str,
                  cfg: Settings, catalogue: Catalogue, reason: str | None = None) -> str:
    """Record that `principal` is about to see the case's personal data; returns where.

    `purpose` goes to the access log as its purpose (casework takes a code such as
    supervision, legal_proceedings, data_subject_request, other); `reason`, free text,
    into the record's audit metadata. Raises PermissionError unless the principal holds
    the supervisor role, and lets any storage error through: the caller reveals nothing."""
    if REVEAL_ROLE not in principal.roles:
        raise PermissionError(f"revealing personal data needs the {REVEAL_ROLE} role")
    if not purpose.strip():
        raise ValueError("a reveal needs a purpose")
    # The purpose doubles as the reason code where it is one; the free text is sealed by
    # the store under the case's subject (or dropped where the record has none).
    code = purpose.strip() if purpose.strip() in set(ChangeReason) else "other"
    ctx = CommandContext(actor_id=principal.user_id, actor_role=REVEAL_ROLE,
                         command="reveal_personal_data", reason=code,
                         reason_detail=(reason or "").strip() or None)
    for service in case.services_read:
        app_cls = catalogue.application(service)
        if app_cls is not None and hasattr(app_cls, ACCESS_HOOK) \
                and getattr(app_cls, "name", None) == service and _holds_case(case, service):
            app = app_cls(cfg)
            try:
                getattr(app, ACCESS_HOOK)(ctx, case_id=case.case_id, purpose=purpose.strip(),
                                          fields=[what])
            finally:
                app.close()
            return f"{service} access log"
    log = RevealLog(cfg)
    try:
        log.record(ctx, case_id=case.case_id, purpose=purpose.strip(), what=what)
    finally:
        log.close()
    return f"{AUDIT_STORE} reveal log"


def _holds_case(case: CaseFile, service: str) -> bool:
    return any(e.record.service == service and e.why == "case" for e in case.events)
