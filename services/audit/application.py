"""The audit service has no domain of its own: it reads every other store, and its own
store holds only the record of reveals (shared.audit_trail.reveals)."""

from __future__ import annotations

from shared.audit_trail.reveals import RevealLog

__all__ = ["RevealLog"]
