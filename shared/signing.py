"""Ed25519 keys, for the two things Haven signs: bearer tokens and audit checkpoints.

A signing key is given as PEM (`-----BEGIN PRIVATE KEY-----`) or as the base64 of its
32-byte seed; a public key as PEM or the base64 of its 32 raw bytes. `haven token keypair`
prints a fresh pair. Whoever holds only the public key can check a signature, never make
one: the services check tokens, the auditors check checkpoints, and neither can forge.

The development pairs are derived from public strings: anyone can sign with them, which
is why production refuses them (shared.secret_checks).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SEED_BYTES = 32


def decode_base64(value: str) -> bytes:
    """Standard or url-safe base64, padded or not."""
    text = value.strip().replace("-", "+").replace("_", "/")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def private_seed(value: str) -> bytes:
    """The 32-byte seed of a signing key given as PEM or base64; ValueError otherwise."""
    if value.lstrip().startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(value.strip().encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        return key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    return _raw(value)


def public_raw(value: str) -> bytes:
    """The 32 raw bytes of a public key given as PEM or base64; ValueError otherwise."""
    if value.lstrip().startswith("-----BEGIN"):
        key = serialization.load_pem_public_key(value.strip().encode())
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return _raw(value)


def _raw(value: str) -> bytes:
    try:
        raw = decode_base64(value)
    except (binascii.Error, ValueError):
        raise ValueError("neither PEM nor base64") from None
    if len(raw) != SEED_BYTES:
        raise ValueError(f"an Ed25519 key is {SEED_BYTES} bytes, this one {len(raw)}")
    return raw


def signer(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed)


def verifier(public: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public)


def public_of(seed: bytes) -> bytes:
    return signer(seed).public_key().public_bytes(serialization.Encoding.Raw,
                                                  serialization.PublicFormat.Raw)


def key_id(public: bytes) -> str:
    """A short, stable name for a public key: which key signed, without showing it."""
    return hashlib.sha256(public).hexdigest()[:16]


def verifies(public: bytes, data: bytes, signature: bytes) -> bool:
    try:
        verifier(public).verify(signature, data)
    except InvalidSignature:
        return False
    return True


def development_seed(purpose: str) -> bytes:
    """The public development signing key for `purpose` ("token", "checkpoint")."""
    return hashlib.sha256(f"haven-dev-{purpose}-signing".encode()).digest()


def new_pair() -> tuple[str, str]:
    """(signing key, public key), base64: what `haven token keypair` prints."""
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    return base64.b64encode(seed).decode(), base64.b64encode(public_of(seed)).decode()
