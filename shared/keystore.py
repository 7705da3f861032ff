"""Where the subject keys live: a store of their own, apart from the data they protect.

One row per data subject: the subject's key wrapped under a master key (and that master
key's id, so keys can be re-wrapped under a new one), or a tombstone once shredded. The
blind-index lookup lives here too, for the same reason: it must be deletable, and it must
go with the key when a person is erased, which an append-only event store cannot do.

Kept apart from the services' schemas (its own schema, and in production its own
database and role: HAVEN_KEYS_POSTGRES_URL), with backups kept for less time than the
erasure deadline: a restored backup of the event stores then finds no key to read them.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple, Protocol

from psycopg import sql
from psycopg_pool import ConnectionPool


class StoredKey(NamedTuple):
    wrapped: bytes | None  # None once shredded
    key_id: str | None  # the master key it is wrapped under (None: before key ids)
    shredded: bool


class KeyStore(Protocol):
    def load(self, subject_id: str) -> StoredKey | None:
        """The subject's key as stored, or None when the subject has no key yet."""

    def insert(self, subject_id: str, wrapped: bytes, key_id: str) -> bool:
        """True if this call created the subject's key (False: it existed already)."""

    def shred(self, subject_id: str) -> None: ...

    def close(self) -> None:
        """Release its connections; nothing is read or written through it afterwards."""

    def wrapped_elsewhere(self, key_id: str, limit: int) -> list[tuple[str, bytes, str | None]]:
        """Up to `limit` live keys not wrapped under `key_id`: (subject, wrapped, key id)."""

    def rewrap(self, subject_id: str, old: bytes, new: bytes, key_id: str) -> bool:
        """Replace a wrapped key, unless it changed (e.g. was shredded) meanwhile."""

    def key_ids(self) -> dict[str | None, int]:
        """How many live keys each master key wraps."""

    def claim_index(self, digest: str, holder: str) -> str:
        """The holder of a blind index: `holder` if none yet, else the existing one."""

    def release_index(self, holder: str, digest: str | None = None) -> None:
        """Drop the holder's entry for `digest`, or every entry of the holder."""


_TABLES = (
    "CREATE TABLE IF NOT EXISTS {keys} (subject_id text PRIMARY KEY, wrapped_key bytea,"
    " key_id text, created_at timestamptz NOT NULL DEFAULT now(), shredded_at timestamptz)",
    "ALTER TABLE {keys} ADD COLUMN IF NOT EXISTS key_id text",
    "CREATE TABLE IF NOT EXISTS {index} (digest text PRIMARY KEY, holder text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS blind_index_holder ON {index} (holder)",
)


class PostgresKeyStore:
    def __init__(self, conninfo: str, schema: str, pool_size: int = 4):
        self._keys = sql.Identifier(schema, "subject_keys")
        self._index = sql.Identifier(schema, "blind_index")
        self._pool = ConnectionPool(conninfo, min_size=1, max_size=pool_size, open=True,
                                    kwargs={"autocommit": True})
        with self._pool.connection() as conn:
            # Services start together; concurrent CREATE ... IF NOT EXISTS can collide.
            conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (schema,))
            try:
                conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}")
                             .format(sql.Identifier(schema)))
                for ddl in _TABLES:
                    conn.execute(sql.SQL(ddl).format(keys=self._keys, index=self._index))
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (schema,))

    def _one(self, query: str, *args: object) -> tuple | None:
        with self._pool.connection() as conn:
            return conn.execute(sql.SQL(query).format(keys=self._keys, index=self._index),
                                args).fetchone()

    def _all(self, query: str, *args: object) -> list[tuple]:
        with self._pool.connection() as conn:
            return conn.execute(sql.SQL(query).format(keys=self._keys, index=self._index),
                                args).fetchall()

    def load(self, subject_id: str) -> StoredKey | None:
        row = self._one("SELECT wrapped_key, key_id, shredded_at FROM {keys}"
                        " WHERE subject_id = %s", subject_id)
        if row is None:
            return None
        return StoredKey(bytes(row[0]) if row[0] is not None else None, row[1],
                         row[2] is not None)

    def insert(self, subject_id: str, wrapped: bytes, key_id: str) -> bool:
        return self._one("INSERT INTO {keys} (subject_id, wrapped_key, key_id)"
                         " VALUES (%s, %s, %s) ON CONFLICT (subject_id) DO NOTHING RETURNING 1",
                         subject_id, wrapped, key_id) is not None

    def shred(self, subject_id: str) -> None:
        self._one("INSERT INTO {keys} (subject_id, wrapped_key, shredded_at)"
                  " VALUES (%s, NULL, now()) ON CONFLICT (subject_id) DO UPDATE SET"
                  " wrapped_key = NULL, shredded_at = coalesce({keys}.shredded_at, now())"
                  " RETURNING 1", subject_id)
        self._vacuum(self._keys)

    def _vacuum(self, table: sql.Identifier) -> None:
        # Reclaim the dead row version that still holds the key (or digest) bytes.
        with self._pool.connection() as conn:
            conn.execute(sql.SQL("VACUUM {}").format(table))

    def wrapped_elsewhere(self, key_id: str, limit: int) -> list[tuple[str, bytes, str | None]]:
        rows = self._all("SELECT subject_id, wrapped_key, key_id FROM {keys}"
                         " WHERE wrapped_key IS NOT NULL AND key_id IS DISTINCT FROM %s"
                         " ORDER BY subject_id LIMIT %s", key_id, limit)
        return [(r[0], bytes(r[1]), r[2]) for r in rows]

    def rewrap(self, subject_id: str, old: bytes, new: bytes, key_id: str) -> bool:
        return self._one("UPDATE {keys} SET wrapped_key = %s, key_id = %s"
                         " WHERE subject_id = %s AND wrapped_key = %s RETURNING 1",
                         new, key_id, subject_id, old) is not None

    def key_ids(self) -> dict[str | None, int]:
        return dict(self._all("SELECT key_id, count(*) FROM {keys}"  # type: ignore[arg-type]
                              " WHERE wrapped_key IS NOT NULL GROUP BY key_id"))

    def claim_index(self, digest: str, holder: str) -> str:
        row = self._one("WITH claimed AS (INSERT INTO {index} (digest, holder) VALUES (%s, %s)"
                        " ON CONFLICT (digest) DO NOTHING RETURNING holder)"
                        " SELECT holder FROM claimed UNION ALL"
                        " SELECT holder FROM {index} WHERE digest = %s LIMIT 1",
                        digest, holder, digest)
        if row is None:  # claimed and forgotten between the two halves: claim again
            return self.claim_index(digest, holder)
        return str(row[0])

    def release_index(self, holder: str, digest: str | None = None) -> None:
        self._one("DELETE FROM {index} WHERE holder = %s AND digest = coalesce(%s, digest)"
                  " RETURNING 1", holder, digest)
        self._vacuum(self._index)

    def close(self) -> None:
        self._pool.close()


class SQLiteKeyStore:
    def __init__(self, path: Path):
        self._path = str(path)
        self._lock = threading.Lock()
        with self._connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS subject_keys (subject_id TEXT PRIMARY KEY,"
                " wrapped_key BLOB, key_id TEXT, created_at TEXT NOT NULL, shredded_at TEXT)")
            columns = [r[1] for r in conn.execute("PRAGMA table_info(subject_keys)")]
            if "key_id" not in columns:
                conn.execute("ALTER TABLE subject_keys ADD COLUMN key_id TEXT")
            conn.execute("CREATE TABLE IF NOT EXISTS blind_index (digest TEXT PRIMARY KEY,"
                         " holder TEXT NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS blind_index_holder ON blind_index"
                         " (holder)")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self._path, timeout=30, isolation_level=None)
        # Deleted key bytes are overwritten, not left in free pages or the journal.
        conn.execute("PRAGMA secure_delete = ON")
        return conn

    def load(self, subject_id: str) -> StoredKey | None:
        with self._connect() as conn:
            row = conn.execute("SELECT wrapped_key, key_id, shredded_at FROM subject_keys"
                               " WHERE subject_id = ?", (subject_id,)).fetchone()
        return None if row is None else StoredKey(row[0], row[1], row[2] is not None)

    def insert(self, subject_id: str, wrapped: bytes, key_id: str) -> bool:
        with self._lock, self._connect() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO subject_keys (subject_id, wrapped_key, key_id,"
                " created_at) VALUES (?, ?, ?, ?)", (subject_id, wrapped, key_id, _now()))
            return cursor.rowcount == 1

    def shred(self, subject_id: str) -> None:
        with self._lock, self._connect() as conn:
            conn.execute(
                "INSERT INTO subject_keys (subject_id, wrapped_key, created_at, shredded_at)"
                " VALUES (?, NULL, ?, ?) ON CONFLICT(subject_id) DO UPDATE SET"
                " wrapped_key = NULL, shredded_at = coalesce(shredded_at, excluded.shredded_at)",
                (subject_id, _now(), _now()))
            conn.execute("VACUUM")  # and the file is rewritten without free pages

    def wrapped_elsewhere(self, key_id: str, limit: int) -> list[tuple[str, bytes, str | None]]:
        with self._connect() as conn:
            return conn.execute(
                "SELECT subject_id, wrapped_key, key_id FROM subject_keys WHERE wrapped_key"
                " IS NOT NULL AND key_id IS NOT ? ORDER BY subject_id LIMIT ?",
                (key_id, limit)).fetchall()

    def rewrap(self, subject_id: str, old: bytes, new: bytes, key_id: str) -> bool:
        with self._lock, self._connect() as conn:
            return conn.execute(
                "UPDATE subject_keys SET wrapped_key = ?, key_id = ? WHERE subject_id = ?"
                " AND wrapped_key = ?", (new, key_id, subject_id, old)).rowcount == 1

    def key_ids(self) -> dict[str | None, int]:
        with self._connect() as conn:
            return dict(conn.execute("SELECT key_id, count(*) FROM subject_keys"
                                     " WHERE wrapped_key IS NOT NULL GROUP BY key_id"))

    def claim_index(self, digest: str, holder: str) -> str:
        with self._lock, self._connect() as conn:
            conn.execute("INSERT OR IGNORE INTO blind_index (digest, holder) VALUES (?, ?)",
                         (digest, holder))
            return str(conn.execute("SELECT holder FROM blind_index WHERE digest = ?",
                                    (digest,)).fetchone()[0])

    def release_index(self, holder: str, digest: str | None = None) -> None:
        with self._lock, self._connect() as conn:
            conn.execute("DELETE FROM blind_index WHERE holder = ? AND digest ="
                         " coalesce(?, digest)", (holder, digest))
            conn.execute("VACUUM")

    def close(self) -> None:
        pass


def _now() -> str:
    return datetime.now(UTC).isoformat()
