"""The auditor's tools: a case's history across every service, its state on any past date,
who read its personal data, tamper verification with checkpoints, and offline bundles.

Everything here reads the services' stores directly and read-only (PostgreSQL with the
credentials in HAVEN_AUDIT_POSTGRES_URL, falling back to HAVEN_POSTGRES_URL; or the SQLite
files of embedded mode), from the stored events only -- never from read models. The only
writes are checkpoints (`record_checkpoint`, with the service's own credentials) and the
record of a reveal of personal data, made before anything is revealed.

    from shared.audit_trail import case_history, replay_case, case_access
    history = case_history("KC-2026-0042", cfg)            # one timeline, every service
    state = replay_case("KC-2026-0042", as_of, cfg)        # folded from events <= as_of
    verdicts = verify_services(cfg)                        # chains + checkpoints, all stores
    export_bundle("KC-2026-0042", cfg, out)                # JSON Lines, verifiable offline
    verify_bundle(path)                                    # with nothing but the file

How a service's events join a case is an explicit, small convention (see `links`):
an event belongs to case C if its aggregate *is* C, or it has a `case_id` field equal to C,
or it caused / was caused by such an event within one correlation (causation ids
"<service>:<nid>"); an aggregate that serves many cases
declares `AUDIT_CASE_SCOPE = "events"`. A reference such as KC-2026-0042 is found in a
`reference` field of the case's own events or a `case_reference` field next to `case_id`.
An application that keeps an access log offers `record_personal_data_read(ctx, case_id,
purpose, fields)`; its reads are events named `PersonalDataRead`.
"""

from importlib import import_module
from typing import Any

# Lazy on purpose: `haven` imports the audit CLI at start-up, and psycopg must not be
# imported before a service process is prepared (shared.process).
_EXPORTS = {
    "AccessEntry": "access", "case_access": "access", "record_reveal": "access",
    "BundleReport": "bundle", "export_bundle": "bundle", "verify_bundle": "bundle",
    "Checkpoint": "checkpoints", "load_checkpoints": "checkpoints",
    "record_checkpoint": "checkpoints", "Checkpointer": "checkpoints",
    "CaseHistory": "history", "HistoryLine": "history", "case_history": "history",
    "CaseFile": "links", "collect_case": "links", "resolve_case": "links",
    "CaseReplay": "replay", "replay_case": "replay",
    "Catalogue": "sources", "audit_settings": "sources",
    "ServiceVerdict": "verification", "verify_services": "verification",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(name)
    return getattr(import_module(f"shared.audit_trail.{_EXPORTS[name]}"), name)
