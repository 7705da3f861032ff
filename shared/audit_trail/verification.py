"""`haven audit verify`: every store's hash chains, its log chain, and its checkpoints."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.audit_trail.checkpoints import Checkpoint, chain_breaks, load_checkpoints
from shared.audit_trail.sources import Catalogue
from shared.config import Settings
from shared.verify import Break, VerifyReport, log_length, verify


@dataclass
class ServiceVerdict:
    service: str
    report: VerifyReport | None  # None: no store to verify
    checkpoints: list[Checkpoint] = field(default_factory=list)
    missing: str | None = None

    @property
    def ok(self) -> bool:
        return self.report is not None and self.report.ok

    @property
    def breaks(self) -> list[Break]:
        return self.report.breaks if self.report else []

    def to_dict(self) -> dict[str, Any]:
        r = self.report
        last = self.checkpoints[-1] if self.checkpoints else None
        return {
            "service": self.service, "ok": self.ok, "missing": self.missing,
            "events": r.events if r else 0, "streams": r.streams if r else 0,
            "seconds": round(r.elapsed, 6) if r else 0.0,
            "rate": round(r.rate, 1) if r else 0.0,
            "break_count": r.break_count if r else 0,
            "breaks": [{"kind": b.kind, "stream": b.stream, "position": b.position,
                        "notification_id": b.notification_id, "detail": b.detail}
                       for b in self.breaks],
            "head": {"position": r.head[0], "log_hash": r.head[1].hex()}
            if r and r.head else None,
            "checkpoints": len(self.checkpoints),
            "last_checkpoint": last.to_dict() if last else None,
        }


def verify_service(service: str, cfg: Settings,
                   progress: Callable[[int], None] | None = None) -> ServiceVerdict:
    try:
        points = load_checkpoints(service, cfg)
        report = verify(service, cfg, checkpoints=points, progress=progress)
    except LookupError as exc:
        if not points:
            return ServiceVerdict(service, None, missing=str(exc))
        # Checkpoints attest a log that is no longer there: everything was removed.
        gone = VerifyReport(service, cfg.store)
        last = points[-1]
        gone.breaks.append(Break(service, "checkpoint_mismatch", None, last.position,
                                 f"the event store is gone, but checkpoint #{last.seq}"
                                 f" attests {last.position} notifications", last.position))
        gone.break_count = 1
        return ServiceVerdict(service, gone, points, missing=str(exc))
    for found in chain_breaks(points):
        report.break_count += 1
        report.breaks.append(found)
    return ServiceVerdict(service, report, points)


def verify_services(cfg: Settings, catalogue: Catalogue | None = None,
                    progress: Callable[[int], None] | None = None) -> list[ServiceVerdict]:
    """Verify every store in the catalogue (default: every registered service and the
    audit store). `progress(n)` counts log positions checked, across all stores."""
    catalogue = catalogue or Catalogue.default()
    verdicts = [verify_service(service, cfg, progress) for service in catalogue.services]
    return [v for v in verdicts if v.report is not None or v.service not in catalogue.optional]


def total_positions(cfg: Settings, catalogue: Catalogue) -> int:
    """Roughly how many log positions a verify will check: a progress bar's length."""
    return sum(log_length(service, cfg) for service in catalogue.services)
