"""`haven audit verify`: every store's hash chains, its log chain, its checkpoints -- the
signed copies outside the database first -- and (with a vault) its sealed values.

What is compared with the log chain recomputed from the stored records is the signed
checkpoint files (shared.audit_trail.checkpoints), never the database's own checkpoint
table alone: its owner can rewrite that table, drop its triggers and re-chain it. The table
is compared with its signed copies as well, and every file's signature is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.audit_trail.checkpoints import (
    Checkpoint,
    CheckpointsNotConfigured,
    SignedCheckpoints,
    chain_breaks,
    load_checkpoints,
    load_signed,
    table_breaks,
)
from shared.audit_trail.sources import Catalogue
from shared.config import Settings
from shared.verify import Break, VerifyReport, log_length, verify

# Kinds of break found here, beyond shared.verify's:
#   checkpoint_signature_invalid  a signed checkpoint file was edited, forged, signed by
#                                 another key, moved, or cannot be read
#   checkpoint_table_mismatch     the checkpoint table differs from the signed copies
#                                 (rewritten), or lacks a signed checkpoint (removed)
#   checkpoint_unsigned           a checkpoint in the table that no signed file attests
#   checkpoints_not_verifiable    no public key or directory: signatures cannot be checked
#   tampered_value                a sealed value fails authentication (shared.crypto)


@dataclass
class ServiceVerdict:
    service: str
    report: VerifyReport | None  # None: no store to verify
    checkpoints: list[Checkpoint] = field(default_factory=list)  # the signed ones
    missing: str | None = None
    tampered: list[Any] = field(default_factory=list)  # sealing.TamperedValue
    notes: list[str] = field(default_factory=list)

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
            "tampered_values": [vars(t) for t in self.tampered],
            "notes": self.notes,
        }


def _add(report: VerifyReport, found: list[Break]) -> None:
    report.break_count += len(found)
    report.breaks.extend(found)


def verify_service(service: str, cfg: Settings,
                   progress: Callable[[int], None] | None = None,
                   catalogue: Catalogue | None = None, vault: Any = None) -> ServiceVerdict:
    """One store: chains, signed checkpoints, the checkpoint table; with `vault` (and the
    store's application class in `catalogue`) also every sealed value."""
    unverifiable = None
    try:
        signed = load_signed(service, cfg)  # before the table: a committed row has its file
    except CheckpointsNotConfigured as exc:
        unverifiable, signed = str(exc), None
    try:
        table = load_checkpoints(service, cfg)
    except LookupError:
        table = []
    attested = signed.valid if signed else []
    try:
        report = verify(service, cfg, checkpoints=attested, progress=progress)
    except LookupError as exc:
        if not attested and not table:
            return ServiceVerdict(service, None, missing=str(exc))
        # Checkpoints attest a log that is no longer there: everything was removed.
        report = VerifyReport(service, cfg.store)
        last = (attested or table)[-1]
        _add(report, [Break(service, "checkpoint_mismatch", None, last.position,
                            f"the event store is gone, but checkpoint #{last.seq}"
                            f" attests {last.position} notifications", last.position)])
        verdict = ServiceVerdict(service, report, attested, missing=str(exc))
    else:
        verdict = ServiceVerdict(service, report, attested)
    _add(report, chain_breaks(table))  # the table's own chain: careless edits
    if signed is None:
        _add(report, [Break(service, "checkpoints_not_verifiable", None, 0,
                            f"{unverifiable}; only the database's own checkpoint table was"
                            " seen, which its owner can rewrite")])
        return verdict
    _add(report, signed.invalid)
    _add(report, chain_breaks(signed.valid, signed.invalid_seqs))
    found = table_breaks(table, signed)
    if any(b.kind == "checkpoint_table_mismatch" for b in found):
        # A checkpoint may have been signed but not yet committed when the table was read.
        found = table_breaks(load_checkpoints(service, cfg), signed)
    _add(report, found)
    if verdict.missing is None:
        check_index(verdict, cfg)
    if vault is not None and catalogue is not None and verdict.missing is None:
        _check_sealed(verdict, cfg, catalogue, vault)
    return verdict


def check_index(verdict: ServiceVerdict, cfg: Settings, after: int = 0) -> None:
    """The case index against the events after notification `after`, re-derived from
    their stored bytes (shared.audit_trail.index): `case_index_mismatch` breaks."""
    from shared.audit_trail.index import has_index, index_breaks

    if verdict.report is None:
        return
    if not has_index(verdict.service, cfg):
        verdict.notes.append("no case index yet: case lookups scan the whole store"
                             " (`haven audit index rebuild SERVICE` creates it)")
        return
    found, count = index_breaks(verdict.service, cfg, after)
    verdict.report.break_count += count
    verdict.report.breaks.extend(found)


def _check_sealed(verdict: ServiceVerdict, cfg: Settings, catalogue: Catalogue,
                  vault: Any) -> None:
    from shared.audit_trail.sealing import tampered_values

    if catalogue.application(verdict.service) is None:
        verdict.notes.append("sealed values not checked: no application known for this store")
        return
    try:
        verdict.tampered = tampered_values(verdict.service, cfg, catalogue, vault)
    except Exception as exc:  # noqa: BLE001 - the chains' verdict stands; say what was not done
        verdict.notes.append(f"sealed values not checked ({type(exc).__name__})")
        return
    assert verdict.report is not None
    _add(verdict.report, [Break(t.service, "tampered_value", t.stream, t.version,
                                f"sealed value {t.field} fails authentication (altered,"
                                " forged or moved from another record)", t.notification_id)
                          for t in verdict.tampered])


def verify_services(cfg: Settings, catalogue: Catalogue | None = None,
                    progress: Callable[[int], None] | None = None,
                    vault: Any = None) -> list[ServiceVerdict]:
    """Verify every store in the catalogue (default: every registered service and the
    audit store). `progress(n)` counts log positions checked, across all stores. `vault`
    (shared.audit_trail.reveals.read_only_vault): also list sealed values that fail
    authentication."""
    catalogue = catalogue or Catalogue.default()
    verdicts = [verify_service(service, cfg, progress, catalogue, vault)
                for service in catalogue.services]
    return [v for v in verdicts if v.report is not None or v.service not in catalogue.optional]


def total_positions(cfg: Settings, catalogue: Catalogue) -> int:
    """Roughly how many log positions a verify will check: a progress bar's length."""
    return sum(log_length(service, cfg) for service in catalogue.services)


__all__ = ["ServiceVerdict", "SignedCheckpoints", "check_index", "total_positions",
           "verify_service", "verify_services"]
