"""Bearer tokens: who is calling, and in which roles.

Tokens are HS256 JWTs signed with HAVEN_TOKEN_SECRET and carry `sub`, `roles`,
`iat`, `exp` and `jti`. `haven token issue --user U --roles r1,r2` mints one.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from typing import Any

import click
import jwt

from shared.config import settings
from shared.errors import Unauthorized

ROLES = ("helpline_operator", "caseworker", "shelter_staff", "lawyer", "supervisor", "auditor",
         "ops", "admin")
DEFAULT_TTL = 8 * 3600  # one shift
ALGORITHM = "HS256"
# Tolerates small clock drift between the pods that issue and check tokens.
LEEWAY_SECONDS = 5

# Safe to show the caller: telling "expired" from "invalid" lets a client refresh
# its token, and says nothing about the secret or whom the token named.
REFUSAL_MESSAGES = {
    "missing": "a valid bearer token is required",
    "expired": "the token has expired",
    "invalid": "the token is not valid",
}


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: tuple[str, ...]


class TokenRefused(Exception):
    """Why a token was refused, as a label for metrics and the refusal log.

    `user_id` is known only when the signature was good (an expired token).
    """

    def __init__(self, reason: str, user_id: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.user_id = user_id

    def as_error(self) -> Unauthorized:
        return Unauthorized(REFUSAL_MESSAGES[self.reason])


def check_roles(roles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}; known: {', '.join(ROLES)}")
    if not roles:
        raise ValueError("at least one role is required")
    return tuple(roles)


def issue_token(user_id: str, roles: list[str], ttl_seconds: int = DEFAULT_TTL,
                secret: str | None = None) -> str:
    if not user_id:
        raise ValueError("a token needs a user id")
    if ttl_seconds <= 0:
        raise ValueError("ttl_seconds must be positive")
    now = int(time.time())
    claims = {"sub": user_id, "roles": list(check_roles(roles)), "iat": now,
              "exp": now + ttl_seconds, "jti": uuid.uuid4().hex}
    return jwt.encode(claims, secret or settings().token_secret, algorithm=ALGORITHM)


def bearer(value: Any) -> str | None:
    """The raw token from an "authorization" value: "Bearer <jwt>" or the bare JWT."""
    if not isinstance(value, str) or not value.strip():
        return None
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip() or None
    return value.strip()


def authenticate(token: str | None, secret: str | None = None) -> Principal:
    """The principal a token names; raises TokenRefused with the reason."""
    if not token:
        raise TokenRefused("missing")
    key = secret or settings().token_secret
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], leeway=LEEWAY_SECONDS,
                            options={"require": ["sub", "roles", "iat", "exp", "jti"]})
    except jwt.ExpiredSignatureError:
        # PyJWT checks the signature before the expiry, so `sub` can be trusted here.
        stale = jwt.decode(token, key, algorithms=[ALGORITHM], options={"verify_exp": False})
        raise TokenRefused("expired", str(stale.get("sub") or "") or None) from None
    except jwt.InvalidTokenError:
        raise TokenRefused("invalid") from None
    roles = claims["roles"]
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise TokenRefused("invalid")
    # A role retired from ROLES stops granting anything, even in tokens issued before.
    return Principal(user_id=claims["sub"], roles=tuple(r for r in roles if r in ROLES))


def verify_token(token: str | None, secret: str | None = None) -> Principal:
    """The principal a token names; raises Unauthorized if missing, expired, forged or malformed."""
    try:
        return authenticate(bearer(token), secret)
    except TokenRefused as refused:
        raise refused.as_error() from None


# -- haven token ... ---------------------------------------------------------
def _parse_roles(ctx: click.Context, param: click.Parameter, value: str) -> tuple[str, ...]:
    try:
        return check_roles([role.strip() for role in value.split(",") if role.strip()])
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.group("token")
def token_cli() -> None:
    """Bearer tokens for staff and internal apps."""


@token_cli.command("issue")
@click.option("--user", "user_id", required=True, help="The user id the token names.")
@click.option("--roles", required=True, callback=_parse_roles,
              help=f"Comma-separated roles, from: {', '.join(ROLES)}.")
@click.option("--ttl", type=click.IntRange(min=1), default=DEFAULT_TTL, show_default=True,
              help="Lifetime in seconds.")
def issue_command(user_id: str, roles: tuple[str, ...], ttl: int) -> None:
    """Print one signed token (HAVEN_TOKEN_SECRET) to stdout."""
    click.echo(issue_token(user_id, list(roles), ttl))
