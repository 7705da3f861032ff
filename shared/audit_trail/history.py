"""One timeline of everything stored about a case, across every service."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any
from uuid import UUID

from shared.audit_trail.decode import (
    aggregate_name,
    declared_personal,
    masked,
    masked_fields,
    unsealed,
)
from shared.audit_trail.links import CaseEvent, CaseFile, CaseView, collect_case
from shared.audit_trail.sources import Catalogue
from shared.config import Settings
from shared.crypto import KeyVault
from shared.eventstore import reason_context


@dataclass(frozen=True)
class HistoryLine:
    at: str  # the event's time, ISO 8601 UTC
    service: str
    event: str
    aggregate: str
    stream: str  # the aggregate's id
    version: int
    notification_id: int
    actor_id: str | None
    actor_role: str | None
    command: str | None
    reason: str | None  # a ChangeReason code
    reason_detail: str | None  # its free text: masked, unless revealed
    correlation_id: str | None
    causation_id: str | None
    link: str  # why the event belongs to the case (shared.audit_trail.links)
    data: dict[str, Any]  # personal data masked, unless revealed


@dataclass(frozen=True)
class CaseHistory(CaseView):
    lines: list[HistoryLine]

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "reference": self.reference,
                "revealed": self.revealed, "events": [asdict(line) for line in self.lines]}

    def text(self) -> str:
        services = sorted({line.service for line in self.lines})
        head = (f"Case {self.reference or '-'} (id {self.case_id}): {len(self.lines)} events"
                f" in {len(services)} service(s): {', '.join(services)}"
                + ("  [personal data REVEALED; this reveal is recorded]" if self.revealed
                   else ""))
        width = max((len(s) for s in services), default=7)
        rows = [head]
        for line in self.lines:
            actor = f"{line.actor_id or '?'} ({line.actor_role or '?'})"
            rows.append(f"{line.at}  {line.service:<{width}}  {line.event:<28} {actor:<36}"
                        f" {line.command or '-':<24} reason: {line.reason or '-'}")
            if self.revealed:
                rows.append(f"    {line.data}")
        return "\n".join(rows)


def line_of(event: CaseEvent, vault: KeyVault | None) -> HistoryLine:
    d, audit = event.decoded, event.decoded.audit
    data = d.data()
    return HistoryLine(
        at=d.timestamp.isoformat() if d.timestamp else "", service=d.record.service,
        event=d.name, aggregate=d.record.topic.rpartition(":")[2].rpartition(".")[0],
        stream=str(UUID(d.record.originator_id)), version=d.record.originator_version,
        notification_id=d.record.notification_id, actor_id=audit.get("actor_id"),
        actor_role=audit.get("actor_role"), command=audit.get("command"),
        reason=audit.get("reason"), reason_detail=_detail(audit, d.record.service, vault),
        correlation_id=audit.get("correlation_id"),
        causation_id=audit.get("causation_id"), link=event.why,
        data=masked_fields(data, declared_personal(d.record.topic)) if vault is None else
        unsealed(data, vault, d.record.service, aggregate_name(d.record.topic)))


def _detail(audit: dict[str, Any], service: str, vault: KeyVault | None) -> str | None:
    detail = audit.get("reason_detail")
    if detail is None or vault is None:
        return masked(detail)
    return vault.unseal(detail, reason_context(service))


def history_of(case: CaseFile, vault: KeyVault | None = None) -> CaseHistory:
    """The timeline of a collected case; `vault` only after the reveal has been recorded."""
    return CaseHistory(case.case_id, case.reference, vault is not None,
                       [line_of(e, vault) for e in case.events])


def case_history(ref: str, cfg: Settings, catalogue: Catalogue | None = None) -> CaseHistory:
    """The masked timeline of a case (a reveal goes through shared.audit_trail.access)."""
    return history_of(collect_case(ref, cfg, catalogue))
