"""The audit store: where a reveal of personal data by the audit tools is recorded when no
service's access log takes it. Event-sourced like every store, so it is append-only,
stamped with who and why, hash-chained, and checked by `haven audit verify` like the rest.

Also the read-only key vault a reveal unseals with: the platform's vault creates its key
table on start and would create keys on demand; an audit must do neither.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from typing import Any

from eventsourcing.domain import Aggregate, event
from psycopg import sql

from shared.audit import CommandContext
from shared.config import Settings
from shared.crypto import KeyVault
from shared.eventstore import HavenApplication, _conninfo
from shared.keystore import StoredKey


class Reveal(Aggregate):
    """One reveal of one case's personal data; the actor and role are the event's audit."""

    @event("PersonalDataRevealed")
    def __init__(self, case_id: str, purpose: str, what: str) -> None:
        self.case_id, self.purpose, self.what = case_id, purpose, what


class RevealLog(HavenApplication):
    name = "audit"  # type: ignore[misc]  # eventsourcing declares it per instance

    def record(self, ctx: CommandContext, case_id: str, purpose: str, what: str) -> None:
        self.save(Reveal(case_id=case_id, purpose=purpose, what=what), ctx=ctx)


class ReadOnlyKeyStore:
    """Loads wrapped subject keys; never creates, never shreds."""

    def __init__(self, cfg: Settings):
        self._cfg = cfg

    def load(self, subject_id: str) -> StoredKey | None:
        if self._cfg.store == "postgres":
            import psycopg

            with psycopg.connect(_conninfo(self._cfg, self._cfg.keys_postgres_url),
                                 autocommit=True) as conn:
                conn.read_only = True
                row = conn.execute(sql.SQL("SELECT wrapped_key, key_id, shredded_at FROM {}"
                                           " WHERE subject_id = %s").format(
                    sql.Identifier(self._cfg.schema("keys"), "subject_keys")),
                    (subject_id,)).fetchone()
        else:
            path = self._cfg.sqlite_path("keys")
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as lite:
                row = lite.execute("SELECT wrapped_key, key_id, shredded_at FROM subject_keys"
                                   " WHERE subject_id = ?", (subject_id,)).fetchone()
        if row is None:
            return None
        return StoredKey(bytes(row[0]) if row[0] is not None else None, row[1],
                         row[2] is not None)

    def insert(self, subject_id: str, wrapped: bytes, key_id: str) -> None:
        raise PermissionError("the audit tools never create subject keys")

    def shred(self, subject_id: str) -> None:
        raise PermissionError("the audit tools never shred subject keys")


def read_only_vault(cfg: Settings) -> KeyVault:
    store: Any = ReadOnlyKeyStore(cfg)
    return KeyVault(store, cfg.master_key, cfg.previous_master_keys)
