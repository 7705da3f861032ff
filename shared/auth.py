"""Bearer tokens: who is calling, and in which roles.

Tokens are JWTs signed with Ed25519 (EdDSA): only the issuer holds the signing key
(HAVEN_TOKEN_SIGNING_KEY); the gateway and every service verify with the public key
(HAVEN_TOKEN_PUBLIC_KEY), so none of them can mint a token. A token carries `sub`,
`roles`, `iat`, `exp`, `jti`, `iss` and `aud`; it lives at most MAX_TTL, and one revoked
with `haven token revoke` is refused everywhere within a minute (shared.revocations).
`haven token issue --user U --roles r1,r2` mints one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import click
import jwt

from shared.config import Settings, settings
from shared.errors import Unauthorized, Unavailable
from shared.signing import new_pair, signer, verifier

ROLES = ("helpline_operator", "caseworker", "shelter_staff", "lawyer", "supervisor", "auditor",
         "ops", "admin")
DEFAULT_TTL = 8 * 3600  # one shift
MAX_TTL = 12 * 3600  # the longest shift: a token that outlives it is refused
ALGORITHM = "EdDSA"
ISSUER = "haven"
AUDIENCE = "haven-api"
CLAIMS = ("sub", "roles", "iat", "exp", "jti", "iss", "aud")
# Tolerates small clock drift between the pods that issue and check tokens.
LEEWAY_SECONDS = 5

# Safe to show the caller: telling "expired" or "revoked" from "invalid" lets a client
# sign in again, and says nothing about the key or whom the token named.
REFUSAL_MESSAGES = {
    "missing": "a valid bearer token is required",
    "expired": "the token has expired",
    "invalid": "the token is not valid",
    "lifetime": f"the token lives longer than {MAX_TTL // 3600} hours",
    "revoked": "the token has been revoked",
    "unverifiable": "tokens cannot be checked right now",
}

Revoked = Callable[[str], bool]


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: tuple[str, ...]


class TokenRefused(Exception):
    """Why a token was refused, as a label for metrics and the refusal log.

    `user_id` is known only when the signature was good (an expired or revoked token).
    """

    def __init__(self, reason: str, user_id: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.user_id = user_id

    def as_error(self) -> Unauthorized | Unavailable:
        if self.reason == "unverifiable":
            # Refused all the same (fail closed), but the token is not at fault: a 401
            # would send a desk to sign in again, when the database is what to wait for.
            return Unavailable(f"{REFUSAL_MESSAGES[self.reason]}; retry later")
        return Unauthorized(REFUSAL_MESSAGES[self.reason])


def check_roles(roles: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    unknown = [role for role in roles if role not in ROLES]
    if unknown:
        raise ValueError(f"unknown role(s) {', '.join(unknown)}; known: {', '.join(ROLES)}")
    if not roles:
        raise ValueError("at least one role is required")
    return tuple(roles)


def issue_token(user_id: str, roles: list[str], ttl_seconds: int = DEFAULT_TTL,
                signing_key: bytes | None = None) -> str:
    """A token signed with `signing_key` (default HAVEN_TOKEN_SIGNING_KEY; in development
    the public development key)."""
    if not user_id:
        raise ValueError("a token needs a user id")
    if not 0 < ttl_seconds <= MAX_TTL:
        raise ValueError(f"ttl_seconds must be between 1 and {MAX_TTL}")
    key = signing_key or settings().token_signing_key
    if key is None:
        raise ValueError("HAVEN_TOKEN_SIGNING_KEY is not set: only the token issuer signs")
    now = int(time.time())
    claims = {"sub": user_id, "roles": list(check_roles(roles)), "iat": now,
              "exp": now + ttl_seconds, "jti": uuid.uuid4().hex, "iss": ISSUER, "aud": AUDIENCE}
    return jwt.encode(claims, signer(key), algorithm=ALGORITHM)


def bearer(value: Any) -> str | None:
    """The raw token from an "authorization" value: "Bearer <jwt>" or the bare JWT."""
    if not isinstance(value, str) or not value.strip():
        return None
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip() or None
    return value.strip()


def authenticate(token: str | None, public_key: bytes | None = None,
                 revoked: Revoked | None = None) -> Principal:
    """The principal a token names; raises TokenRefused with the reason.

    `public_key` defaults to HAVEN_TOKEN_PUBLIC_KEY, `revoked` to this process's copy of
    the revocation list."""
    if not token:
        raise TokenRefused("missing")
    cfg = settings() if public_key is None or revoked is None else None
    key = public_key or (cfg.token_public_key if cfg else None)
    if key is None:  # nothing to check against: nothing is accepted
        raise TokenRefused("invalid")
    revoked = revoked or revocation_check(cfg or settings())
    claims = _verified(token, key)
    user_id = claims["sub"]
    roles = claims["roles"]
    if not isinstance(user_id, str) or not user_id.strip() or not isinstance(roles, list) \
            or not all(isinstance(role, str) for role in roles):
        raise TokenRefused("invalid")
    if not isinstance(claims["exp"], int | float) or not isinstance(claims["iat"], int | float) \
            or claims["exp"] - min(claims["iat"], time.time()) > MAX_TTL + LEEWAY_SECONDS:
        raise TokenRefused("lifetime", user_id)
    if revoked(str(claims["jti"])):
        raise TokenRefused("revoked", user_id)
    # A role retired from ROLES stops granting anything, even in tokens issued before.
    return Principal(user_id=user_id, roles=tuple(r for r in roles if r in ROLES))


def _verified(token: str, key: bytes) -> dict[str, Any]:
    options: Any = {"require": list(CLAIMS)}
    try:
        return dict(jwt.decode(token, verifier(key), algorithms=[ALGORITHM], audience=AUDIENCE,
                               issuer=ISSUER, leeway=LEEWAY_SECONDS, options=options))
    except jwt.ExpiredSignatureError:
        # PyJWT checks the signature before the expiry, so `sub` can be trusted here.
        stale = jwt.decode(token, verifier(key), algorithms=[ALGORITHM], audience=AUDIENCE,
                           issuer=ISSUER, options={"verify_exp": False})
        raise TokenRefused("expired", str(stale.get("sub") or "") or None) from None
    except jwt.InvalidTokenError:
        raise TokenRefused("invalid") from None


def revocation_check(cfg: Settings) -> Revoked:
    """This process's copy of the revocation list (shared.revocations), as a check that
    refuses every token while the list cannot be read."""
    from shared.revocations import RevocationsUnavailable, revocation_list

    def revoked(jti: str) -> bool:
        try:
            return revocation_list(cfg).is_revoked(jti)
        except RevocationsUnavailable:
            raise TokenRefused("unverifiable") from None

    return revoked


def verify_token(token: str | None, public_key: bytes | None = None,
                 revoked: Revoked | None = None) -> Principal:
    """The principal a token names; raises Unauthorized if missing, expired, forged,
    revoked or malformed."""
    try:
        return authenticate(bearer(token), public_key, revoked)
    except TokenRefused as refused:
        raise refused.as_error() from None


def cli_principal(token: str | None, roles: tuple[str, ...], exit_code: int) -> Principal:
    """For a command line: the caller's principal, or a refusal on stderr naming what is
    missing (a valid token, or one of `roles`) and exit with `exit_code`."""
    try:
        principal = authenticate(bearer(token))
    except TokenRefused as refused:
        click.echo(f"refused: {refused.as_error().message} (--token or HAVEN_TOKEN)", err=True)
        raise SystemExit(exit_code) from None
    if not set(roles) & set(principal.roles):
        click.echo(f"refused: this needs one of the roles {', '.join(roles)}", err=True)
        raise SystemExit(exit_code)
    return principal


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
@click.option("--ttl", type=click.IntRange(min=1, max=MAX_TTL), default=DEFAULT_TTL,
              show_default=True, help="Lifetime in seconds.")
def issue_command(user_id: str, roles: tuple[str, ...], ttl: int) -> None:
    """Print one signed token (HAVEN_TOKEN_SIGNING_KEY) to stdout, its id to stderr."""
    try:
        token = issue_token(user_id, list(roles), ttl)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(token)
    click.echo(f"jti {jwt.decode(token, options={'verify_signature': False})['jti']}"
               " (to revoke it: haven token revoke JTI)", err=True)


@token_cli.command("revoke")
@click.argument("jti_or_token")
@click.option("--by", "revoked_by", envvar="USER", default="operator", show_default=True,
              help="Who revokes it (kept with the revocation).")
def revoke_command(jti_or_token: str, revoked_by: str) -> None:
    """Refuse a token everywhere within a minute: give its jti, or the token itself."""
    from shared.revocations import revocation_list

    jti = jti_or_token.strip()
    if jti.count(".") == 2:  # a whole token: only its id is needed, its signature is not
        jti = str(jwt.decode(jti, options={"verify_signature": False}).get("jti") or "")
    if not jti:
        raise click.BadParameter("no token id (jti) in it", param_hint="JTI_OR_TOKEN")
    cfg = settings()
    added = revocation_list(cfg).revoke(jti, revoked_by, timedelta(seconds=MAX_TTL + 60))
    click.echo(f"{'revoked' if added else 'already revoked'}: {jti}; refused everywhere"
               f" within {int(2 * cfg.token_revocation_cache_seconds)} s")


@token_cli.command("keypair")
def keypair_command() -> None:
    """Print a new Ed25519 signing key and its public key (base64), for tokens or checkpoints."""
    private, public = new_pair()
    click.echo(f"signing key (secret, the signer only): {private}\npublic key: {public}")
