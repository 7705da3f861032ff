"""Crypto-shredding: personal data sealed per data subject.

Each data subject (a caller, a client, a referred person) gets a random 256-bit key,
stored wrapped (AES-GCM) under a master key in a key store of its own (shared/keystore.py).
Personal-data fields are sealed with the subject's key before they reach any event store
or message. Shredding deletes the wrapped key: every copy of the ciphertext -- in events,
snapshots, messages, backups -- becomes unreadable, while statistics stay intact.

A ciphertext is bound to where it belongs: its associated data names the service, the
aggregate, the field and the subject. One pasted into another field, record or service
does not open there. What fails to open with a live key was altered: it reads as
TAMPERED, is counted and logged, and is never mistaken for an erasure.

Sealing is unconditional: a value from a user that looks like a ciphertext is sealed as
the text it is. Only `SealedText` -- made by the event store's mapper when it loads a
record without unsealing it -- passes through, and only back into its own place.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.checks import SubjectErased  # noqa: F401 - raised here, re-exported
from shared.keystore import KeyStore, PostgresKeyStore, SQLiteKeyStore  # noqa: F401 - re-exported
from shared.metrics import SEALED_VALUES_TAMPERED

# The blind index is defined with the person; re-exported for its users.
from shared.person import blind_index, normalise_name  # noqa: F401

SEAL_PREFIX = "pd2:"
LEGACY_PREFIX = "pd1:"  # bound to the subject only; still read, never written
ERASED = "[erased]"  # what a shredded field reads as: explicit, never an exception
TAMPERED = "[tampered]"  # what a ciphertext that fails authentication reads as
MARKERS = (ERASED, TAMPERED)
_KEY_CACHE_SECONDS = 5.0  # bounds how long another process may still read a shredded subject
_log = logging.getLogger("haven.crypto")


def seal_context(service: str, aggregate: str, field: str) -> str:
    """Where a sealed value belongs: part of its associated data."""
    return f"{service}/{aggregate}.{field}"


class SealedText(str):
    """A stored ciphertext as loaded, with the place it was loaded from. Never built from
    input: only the mapper makes one, so only a stored value can pass through sealing."""

    context: str

    def __new__(cls, value: str, context: str) -> SealedText:
        made = super().__new__(cls, value)
        made.context = context
        return made

    def __reduce__(self) -> Any:  # deep copies of aggregates keep the context
        return (SealedText, (str(self), self.context))


def master_key_id(key: bytes) -> str:
    """A master key's public name: a fingerprint, so an operator never has to invent one."""
    return "mk-" + hashlib.sha256(b"haven master key id\x00" + key).hexdigest()[:16]


class KeyVault:
    """Seals and unseals personal data with per-subject keys."""

    def __init__(self, store: KeyStore, master_key: bytes, previous: Sequence[bytes] = ()):
        self._store = store
        self.key_id = master_key_id(master_key)
        # The current master key wraps new keys; previous ones still unwrap until rotated.
        self._masters = {master_key_id(k): AESGCM(k) for k in (*previous, master_key)}
        self._cache: dict[str, tuple[float, bytes | None]] = {}
        self._cache_lock = threading.Lock()

    def close(self) -> None:
        """Close the key store (its connections); the vault is not used after this."""
        self._store.close()

    # -- keys --------------------------------------------------------------
    def _wrap(self, subject_id: str, key: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._masters[self.key_id].encrypt(nonce, key, subject_id.encode())

    def _unwrap(self, subject_id: str, wrapped: bytes, key_id: str | None) -> bytes:
        # Keys wrapped before key ids existed name none: try each master key we hold.
        candidates = [self._masters[key_id]] if key_id in self._masters else \
            [] if key_id is not None else list(self._masters.values())
        for master in candidates:
            try:
                return master.decrypt(wrapped[:12], wrapped[12:], subject_id.encode())
            except InvalidTag:
                continue
        raise RuntimeError(f"no master key held unwraps subject {subject_id}'s key"
                           f" (wrapped under {key_id}); is HAVEN_PREVIOUS_MASTER_KEYS set?")

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
        if new_key and self._store.insert(subject_id, self._wrap(subject_id, new_key),
                                          self.key_id):
            key = new_key
        else:
            found = self._store.load(subject_id)
            if found is None:
                return None
            key = None if found.shredded or found.wrapped is None else \
                self._unwrap(subject_id, found.wrapped, found.key_id)
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
        return bool(found and found.shredded)

    def rotate(self, batch: int = 500) -> int:
        """Re-wrap every live subject key under the current master key; the number done.
        Safe while services run: each row is replaced only if unchanged since read."""
        done = 0
        while rows := self._store.wrapped_elsewhere(self.key_id, batch):
            progressed = False
            for subject, wrapped, key_id in rows:
                key = self._unwrap(subject, wrapped, key_id)
                if self._store.rewrap(subject, wrapped, self._wrap(subject, key), self.key_id):
                    done += 1
                progressed = True
            if not progressed:
                break
        return done

    def key_ids(self) -> dict[str | None, int]:
        return self._store.key_ids()

    # -- the blind index: who a name and birth year lead to -----------------
    def claim_index(self, digest: str, holder: str) -> str:
        """Who holds the blind index `digest`: `holder` if no one did, else the holder."""
        return self._store.claim_index(digest, holder)

    def release_index(self, holder: str, digest: str | None = None) -> None:
        """The digest (or every digest) no longer leads to the holder. Rows are deleted,
        not marked: after an erasure the name leads nowhere, and nothing says it once did."""
        self._store.release_index(holder, digest)

    # -- values ------------------------------------------------------------
    def seal(self, subject_id: str | uuid.UUID, value: Any, context: str) -> Any:
        """Any JSON value -> an opaque string bound to its subject and its place."""
        if value is None or value in MARKERS:
            return value
        subject = str(subject_id)
        if isinstance(value, SealedText):
            if value.context == context and sealed_subject(value) == subject:
                return str(value)  # a stored value going back where it came from
            value = self.unseal(value)  # moved: re-sealed for its new place
            if value in MARKERS:
                return value
        key = self._key(subject, create=True)
        if key is None:
            raise SubjectErased(f"subject {subject} has been erased")
        nonce = os.urandom(12)
        plaintext = json.dumps(value, separators=(",", ":"), default=str).encode()
        ct = AESGCM(key).encrypt(nonce, plaintext, _aad(context, subject))
        return SEAL_PREFIX + subject + ":" + base64.b64encode(nonce + ct).decode()

    def unseal(self, sealed: Any, context: str | None = None) -> Any:
        """The original value; ERASED once its subject's key is shredded; TAMPERED if it
        does not open where it is read (altered, forged, or moved from elsewhere)."""
        if not is_sealed(sealed):
            return sealed
        where = sealed.context if isinstance(sealed, SealedText) else context
        if where is None and sealed.startswith(SEAL_PREFIX):
            raise TypeError("unseal needs the context the value was sealed in")
        try:
            subject, blob = sealed.split(":", 2)[1:]
            raw = base64.b64decode(blob, validate=True)
        except (ValueError, binascii.Error):
            return _tampered(sealed, where)
        key = self._key(subject, create=False)
        if key is None:
            # Never made is no erasure: a forged subject id reads as what it is.
            return ERASED if self.is_shredded(subject) else _tampered(sealed, where)
        aad = subject.encode() if sealed.startswith(LEGACY_PREFIX) else _aad(where or "", subject)
        try:
            return json.loads(AESGCM(key).decrypt(raw[:12], raw[12:], aad))
        except (InvalidTag, ValueError):
            return _tampered(sealed, where)


def _aad(context: str, subject: str) -> bytes:
    return f"{SEAL_PREFIX}{context}\x00{subject}".encode()


def _tampered(sealed: str, context: str | None) -> str:
    SEALED_VALUES_TAMPERED.inc()
    # Where, never what: the value may be someone's ciphertext or someone's text.
    _log.warning("a sealed value failed authentication (subject %s, in %s)",
                 sealed_subject(sealed), context or "?")
    return TAMPERED


def is_sealed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith((SEAL_PREFIX, LEGACY_PREFIX))


def sealed_subject(value: str) -> str:
    return value.split(":", 2)[1] if value.count(":") >= 2 else ""
