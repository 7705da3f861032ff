"""Crypto-shredding: personal data sealed per data subject.

Each data subject (a caller, a client, a referred person) gets a random 256-bit
key, stored wrapped (AES-GCM) under HAVEN_MASTER_KEY in a key table of its own.
Personal-data fields are sealed with the subject's key before they reach any
event store or message. Shredding deletes the wrapped key: every copy of the
ciphertext -- in events, snapshots, messages, backups -- becomes unreadable,
while hashes and statistics stay intact.
"""

from __future__ import annotations

import base64
import json
import os
import sqlite3
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from psycopg import sql
from psycopg_pool import ConnectionPool

from shared.checks import SubjectErased  # noqa: F401 - raised here, re-exported

# The blind index is defined with the person; re-exported for its users.
from shared.person import blind_index, normalise_name  # noqa: F401

SEAL_PREFIX = "pd1:"
ERASED = "[erased]"  # what a shredded field reads as: explicit, never an exception
_KEY_CACHE_SECONDS = 5.0  # bounds how long another process may still read a shredded subject


class KeyStore(Protocol):
    def load(self, subject_id: str) -> tuple[bytes | None, bool] | None:
        """(wrapped key, shredded) or None when the subject has no key yet."""

    def insert(self, subject_id: str, wrapped: bytes) -> bool:
        """True if this call created the subject's key (False: it existed already)."""

    def shred(self, subject_id: str) -> None: ...


class PostgresKeyStore:
    def __init__(self, conninfo: str, schema: str, pool_size: int = 4):
        self._schema = schema
        self._pool = ConnectionPool(conninfo, min_size=1, max_size=pool_size, open=True,
                                    kwargs={"autocommit": True})
        with self._pool.connection() as conn:
            # Services start together; concurrent CREATE ... IF NOT EXISTS can collide.
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (schema,))
            try:
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}")
                             .format(sql.Identifier(schema)))
                conn.execute(sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {}.subject_keys ("
                    " subject_id text PRIMARY KEY, wrapped_key bytea,"
                    " created_at timestamptz NOT NULL DEFAULT now(), shredded_at timestamptz)"
                ).format(sql.Identifier(schema)))
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (schema,))

    def _table(self) -> sql.Composed:
        return sql.SQL("{}.subject_keys").format(sql.Identifier(self._schema))

    def load(self, subject_id: str) -> tuple[bytes | None, bool] | None:
        with self._pool.connection() as conn:
            row = conn.execute(
                sql.SQL("SELECT wrapped_key, shredded_at FROM {} WHERE subject_id = %s")
                .format(self._table()), (subject_id,)).fetchone()
        if row is None:
            return None
        return (bytes(row[0]) if row[0] is not None else None, row[1] is not None)

    def insert(self, subject_id: str, wrapped: bytes) -> bool:
        with self._pool.connection() as conn:
            row = conn.execute(sql.SQL(
                "INSERT INTO {} (subject_id, wrapped_key) VALUES (%s, %s)"
                " ON CONFLICT (subject_id) DO NOTHING RETURNING 1").format(self._table()),
                (subject_id, wrapped)).fetchone()
        return row is not None

    def shred(self, subject_id: str) -> None:
        with self._pool.connection() as conn:
            conn.execute(sql.SQL(
                "INSERT INTO {t} (subject_id, wrapped_key, shredded_at) VALUES (%s, NULL, now())"
                " ON CONFLICT (subject_id) DO UPDATE SET wrapped_key = NULL,"
                " shredded_at = coalesce({t}.shredded_at, now())").format(t=self._table()),
                (subject_id,))
            # Reclaim the dead row version that still holds the wrapped key bytes.
            conn.execute(sql.SQL("VACUUM {}").format(self._table()))

    def close(self) -> None:
        self._pool.close()


class SQLiteKeyStore:
    def __init__(self, path: Path):
        self._path = str(path)
        self._lock = threading.Lock()
        with self._connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS subject_keys (subject_id TEXT PRIMARY KEY,"
                " wrapped_key BLOB, created_at TEXT NOT NULL, shredded_at TEXT)")

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=30, isolation_level=None)

    def load(self, subject_id: str) -> tuple[bytes | None, bool] | None:
        with self._connect() as conn:
            row = conn.execute("SELECT wrapped_key, shredded_at FROM subject_keys"
                               " WHERE subject_id = ?", (subject_id,)).fetchone()
        return None if row is None else (row[0], row[1] is not None)

    def insert(self, subject_id: str, wrapped: bytes) -> bool:
        with self._lock, self._connect() as conn:
            cursor = conn.execute("INSERT OR IGNORE INTO subject_keys (subject_id, wrapped_key,"
                                  " created_at) VALUES (?, ?, ?)", (subject_id, wrapped, _now()))
            return cursor.rowcount == 1

    def shred(self, subject_id: str) -> None:
        with self._lock, self._connect() as conn:
            conn.execute(
                "INSERT INTO subject_keys (subject_id, wrapped_key, created_at, shredded_at)"
                " VALUES (?, NULL, ?, ?) ON CONFLICT(subject_id) DO UPDATE SET"
                " wrapped_key = NULL, shredded_at = coalesce(shredded_at, excluded.shredded_at)",
                (subject_id, _now(), _now()))
            # Drop the freed pages too, so the key bytes do not linger in the file.
            conn.execute("VACUUM")

    def close(self) -> None:
        pass


def _now() -> str:
    return datetime.now(UTC).isoformat()


class KeyVault:
    """Seals and unseals personal data with per-subject keys."""

    def __init__(self, store: KeyStore, master_key: bytes):
        self._store = store
        self._master = AESGCM(master_key)
        self._cache: dict[str, tuple[float, bytes | None]] = {}
        self._cache_lock = threading.Lock()

    # -- keys --------------------------------------------------------------
    def _wrap(self, subject_id: str, key: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._master.encrypt(nonce, key, subject_id.encode())

    def _unwrap(self, subject_id: str, wrapped: bytes) -> bytes:
        return self._master.decrypt(wrapped[:12], wrapped[12:], subject_id.encode())

    def _key(self, subject_id: str, *, create: bool) -> bytes | None:
        """The subject's key; None once shredded (or, without create, never made)."""
        now = time.monotonic()
        with self._cache_lock:
            cached = self._cache.get(subject_id)
        if cached and cached[0] > now:
            return cached[1]
        key: bytes | None = None
        new_key = AESGCM.generate_key(256) if create else None
        # A subject being created is the common case on this path: one round trip.
        if new_key and self._store.insert(subject_id, self._wrap(subject_id, new_key)):
            key = new_key
        else:
            found = self._store.load(subject_id)
            if found is None:
                return None
            wrapped, shredded = found
            key = None if shredded or wrapped is None else self._unwrap(subject_id, wrapped)
        with self._cache_lock:
            self._cache[subject_id] = (now + _KEY_CACHE_SECONDS, key)
        return key

    def shred(self, subject_id: str | uuid.UUID) -> None:
        subject = str(subject_id)
        self._store.shred(subject)
        with self._cache_lock:
            self._cache[subject] = (time.monotonic() + _KEY_CACHE_SECONDS, None)

    def is_shredded(self, subject_id: str | uuid.UUID) -> bool:
        found = self._store.load(str(subject_id))
        return bool(found and found[1])

    # -- values ------------------------------------------------------------
    def seal(self, subject_id: str | uuid.UUID, value: Any) -> str | None:
        """Any JSON value -> an opaque string that names its subject and nothing else."""
        if value is None:
            return None
        if is_sealed(value) or value == ERASED:
            return value  # already sealed (e.g. relayed from another service)
        subject = str(subject_id)
        key = self._key(subject, create=True)
        if key is None:
            raise SubjectErased(f"subject {subject} has been erased")
        nonce = os.urandom(12)
        plaintext = json.dumps(value, separators=(",", ":"), default=str).encode()
        ct = AESGCM(key).encrypt(nonce, plaintext, subject.encode())
        return SEAL_PREFIX + subject + ":" + base64.b64encode(nonce + ct).decode()

    def unseal(self, sealed: Any) -> Any:
        """The original value, or ERASED once its subject's key is shredded."""
        if not is_sealed(sealed):
            return sealed
        subject, blob = sealed[len(SEAL_PREFIX):].split(":", 1)
        key = self._key(subject, create=False)
        if key is None:
            return ERASED
        raw = base64.b64decode(blob)
        try:
            plaintext = AESGCM(key).decrypt(raw[:12], raw[12:], subject.encode())
        except InvalidTag:
            return ERASED
        return json.loads(plaintext)


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(SEAL_PREFIX)


def sealed_subject(value: str) -> str:
    return value[len(SEAL_PREFIX):].split(":", 1)[0]
