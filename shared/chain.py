"""Hash chains over stored events.

Per stream:  stream_hash_n = SHA-256(stream_hash_{n-1} || record_n)
Over the log: log_hash_n   = SHA-256(log_hash_{n-1} || notification_id_n || stream_hash_n)

`record` is the stored (already sealed) bytes plus the identity of the record,
so shredding a key never breaks a chain, and moving a record to another
stream or position does.
"""

from __future__ import annotations

import hashlib
import struct
from uuid import UUID

GENESIS = bytes(32)


def record_bytes(originator_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    oid = originator_id.hex if isinstance(originator_id, UUID) else str(originator_id)
    return b"\x00".join([oid.encode(), str(version).encode(), topic.encode(), state])


def stream_hash(previous: bytes, originator_id: UUID | str, version: int, topic: str,
                state: bytes) -> bytes:
    return hashlib.sha256(previous + record_bytes(originator_id, version, topic, state)).digest()


def log_hash(previous: bytes, notification_id: int, stream: bytes) -> bytes:
    return hashlib.sha256(previous + struct.pack(">q", notification_id) + stream).digest()
