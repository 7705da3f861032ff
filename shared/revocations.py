"""Revoked tokens: `haven token revoke JTI`, honoured by every process within a minute.

The list lives in a schema of its own, `auth` (embedded mode: `auth.sqlite`), beside the
gateway's refusal log. Each process keeps a copy for at most
HAVEN_TOKEN_REVOCATION_CACHE_SECONDS (30 s): one small query per process and half-minute,
not one per request. If the list cannot be read, the copy is used until it is twice that
old; then every token is refused (fail closed) until the list can be read again.

A revocation is kept until every token it could name has expired (shared.auth.MAX_TTL).
"""

from __future__ import annotations

import atexit
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from eventsourcing.sqlite import SQLiteDatastore
from psycopg import sql

from shared.config import Settings

SCHEMA = "auth"
TABLE = "revoked_tokens"


class RevocationsUnavailable(RuntimeError):
    """The list could not be read for too long: no token can be trusted."""


class _Store:
    """The `auth` store: one eventsourcing datastore (a pool), PostgreSQL or SQLite."""

    def __init__(self, cfg: Settings):
        if cfg.store == "postgres":
            p = cfg.postgres_params()
            self.datastore: Any = PostgresDatastore(
                p["dbname"], p["host"], p["port"], p["user"], p["password"], pool_size=1,
                max_overflow=2, schema=cfg.schema(SCHEMA), lock_timeout=10)
            self.table: Any = sql.Identifier(cfg.schema(SCHEMA), TABLE)
            self.mark, self.schema = "%s", cfg.schema(SCHEMA)
        else:
            self.datastore = SQLiteDatastore(str(cfg.sqlite_path(SCHEMA)), lock_timeout=30)
            self.table, self.mark, self.schema = sql.Identifier(TABLE), "?", ""
        at = "timestamptz" if self.schema else "TEXT"
        with self.datastore.transaction(commit=True) as curs:
            if self.schema:  # processes start together: one creates, the others wait
                curs.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.schema,))
                curs.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    sql.Identifier(self.schema)))
            curs.execute(self.statement(
                f"CREATE TABLE IF NOT EXISTS {{table}} (jti text PRIMARY KEY, revoked_at {at}"
                f" NOT NULL, revoked_by text NOT NULL, expires_at {at} NOT NULL)"))

    def statement(self, template: str) -> Any:
        composed = sql.SQL(template.replace("?", self.mark)).format(table=self.table)
        return composed if self.schema else composed.as_string(None)

    def stamp(self, at: datetime) -> Any:
        return at if self.schema else at.isoformat()


_stores: dict[str, _Store] = {}
_lists: dict[tuple[str, float], RevocationList] = {}
_lock = threading.Lock()  # green under eventlet: services in one process set up at once


def _where(cfg: Settings) -> str:
    return (cfg.postgres_url + "|" + cfg.schema(SCHEMA) if cfg.store == "postgres"
            else str(cfg.sqlite_path(SCHEMA)))


def auth_store(cfg: Settings) -> Any:
    """The `auth` store's datastore (one per process and place), for the gateway's refusals."""
    with _lock:
        return _store(cfg).datastore


def _store(cfg: Settings) -> _Store:
    found = _stores.get(_where(cfg))
    if found is None:
        found = _stores[_where(cfg)] = _Store(cfg)
        atexit.register(found.datastore.close)  # before eventlet's hub goes at exit
    return found


class RevocationList:
    def __init__(self, store: _Store, cache_seconds: float,
                 clock: Callable[[], float] = time.monotonic):
        self._store, self.cache_seconds, self._clock = store, cache_seconds, clock
        self._revoked: frozenset[str] = frozenset()
        self._read_at: float | None = None
        self._lock = threading.Lock()

    def is_revoked(self, jti: str) -> bool:
        with self._lock:
            now = self._clock()
            if self._read_at is None or now - self._read_at >= self.cache_seconds:
                self._refresh(now)
            return jti in self._revoked

    def _refresh(self, now: float) -> None:
        try:
            with self._store.datastore.transaction(commit=False) as curs:
                curs.execute(self._store.statement("SELECT jti FROM {table}"
                                                   " WHERE expires_at > ?"),
                             (self._store.stamp(datetime.now(UTC)),))
                self._revoked = frozenset(row["jti"] for row in curs.fetchall())
        except Exception:  # noqa: BLE001 - whatever the cause, the verdict is the same
            if self._read_at is None or now - self._read_at >= 2 * self.cache_seconds:
                raise RevocationsUnavailable("the token revocation list cannot be read") from None
            return  # the copy we have is young enough to keep using a little longer
        self._read_at = now

    def revoke(self, jti: str, revoked_by: str, keep_for: timedelta) -> bool:
        """Add `jti`; False if it was revoked already. Every process refuses it within
        `cache_seconds` (this one at once)."""
        now = datetime.now(UTC)
        with self._store.datastore.transaction(commit=True) as curs:
            curs.execute(self._store.statement(
                "INSERT INTO {table} (jti, revoked_at, revoked_by, expires_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (jti) DO NOTHING"),
                (jti, self._store.stamp(now), revoked_by, self._store.stamp(now + keep_for)))
            added = curs.rowcount == 1
        with self._lock:
            self._read_at = None
        return added


def revocation_list(cfg: Settings) -> RevocationList:
    """This process's copy of the list for the store `cfg` names."""
    key = (_where(cfg), cfg.token_revocation_cache_seconds)
    with _lock:
        found = _lists.get(key)
        if found is None:
            found = _lists[key] = RevocationList(_store(cfg), cfg.token_revocation_cache_seconds)
        return found
