"""Tokens as an attacker or a careless client would make them, for the refusal tests."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import jwt

from shared.auth import ALGORITHM, AUDIENCE, ISSUER
from shared.config import DEVELOPMENT_KEYS
from shared.signing import private_seed, public_of, signer

DEV_SEED = DEVELOPMENT_KEYS["HAVEN_TOKEN_SIGNING_KEY"]
DEV_PUBLIC = DEVELOPMENT_KEYS["HAVEN_TOKEN_PUBLIC_KEY"]
# What every process held before tokens were signed asymmetrically.
OLD_HS256_SECRET = "haven-dev-token-secret-change-me-0123456789"
# A key of its own, as a compromised service could make one: it is not the issuer's.
SERVICE_SEED = private_seed("b3V0cmVhY2gtc2VydmljZS1vd24ta2V5LTAxMjM0NTY=")
SERVICE_PUBLIC = public_of(SERVICE_SEED)


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "u-17", "roles": ["caseworker"], "iat": now, "exp": now + 60,
            "jti": uuid.uuid4().hex, "iss": ISSUER, "aud": AUDIENCE, **overrides}


def without(claim: str) -> dict[str, Any]:
    return {k: v for k, v in claims().items() if k != claim}


def signed(payload: dict[str, Any], seed: bytes = DEV_SEED) -> str:
    return jwt.encode(payload, signer(seed), algorithm=ALGORITHM)


def hs256(payload: dict[str, Any], secret: str | bytes = OLD_HS256_SECRET) -> str:
    return jwt.encode(payload, secret, algorithm="HS256")


def unsigned(payload: dict[str, Any]) -> str:
    """alg "none": no signature at all."""
    return jwt.encode(payload, None, algorithm="none")


def tampered(token: str, **changes: Any) -> str:
    """The payload of a signed token changed, its header and signature kept."""
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**body, **changes}).encode()).rstrip(b"=")
    return ".".join([header, forged.decode(), signature])


def jti_of(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["jti"])
