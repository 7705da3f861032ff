"""Bearer tokens: EdDSA, issuer and audience, a bounded lifetime, and nothing else accepted.

Only the issuer holds the signing key; everyone else checks with the public key. The
revocation check is passed in (`never`) where revocation is not the subject: the list
itself, and revocation through the gateway, are tests/platform/test_revocation.py.
"""

from __future__ import annotations

import time

import jwt
import pytest
from click.testing import CliRunner

from shared.auth import (
    ALGORITHM,
    AUDIENCE,
    CLAIMS,
    DEFAULT_TTL,
    ISSUER,
    MAX_TTL,
    ROLES,
    TokenRefused,
    authenticate,
    issue_token,
    token_cli,
    verify_token,
)
from shared.errors import Unauthorized
from shared.signing import new_pair, private_seed, public_raw, verifier
from tests.platform import tokens

pytestmark = pytest.mark.no_servers


def never(jti: str) -> bool:
    return False


def check(token: str | None, public_key: bytes = tokens.DEV_PUBLIC):
    return verify_token(token, public_key, never)


def test_an_issued_token_is_eddsa_and_names_user_roles_issuer_and_audience():
    token = issue_token("u-17", ["caseworker", "auditor"], signing_key=tokens.DEV_SEED)
    principal = check(token)
    assert (principal.user_id, principal.roles) == ("u-17", ("caseworker", "auditor"))
    assert jwt.get_unverified_header(token)["alg"] == ALGORITHM == "EdDSA"
    claims = jwt.decode(token, verifier(tokens.DEV_PUBLIC), algorithms=["EdDSA"],
                        audience=AUDIENCE, issuer=ISSUER)
    assert set(claims) == set(CLAIMS)
    assert (claims["iss"], claims["aud"]) == ("haven", "haven-api")
    assert claims["exp"] - claims["iat"] == DEFAULT_TTL


def test_a_bearer_prefix_is_accepted():
    token = issue_token("u-17", ["lawyer"], signing_key=tokens.DEV_SEED)
    assert check(f"Bearer {token}").roles == ("lawyer",)


def test_the_keys_come_from_settings_by_default(monkeypatch):
    signing, public = new_pair()
    monkeypatch.setenv("HAVEN_TOKEN_SIGNING_KEY", signing)
    monkeypatch.setenv("HAVEN_TOKEN_PUBLIC_KEY", public)
    token = issue_token("u-17", ["ops"])
    assert verify_token(token, revoked=never).user_id == "u-17"
    assert check(token, public_raw(public)).user_id == "u-17"
    with pytest.raises(Unauthorized):  # not signed with the development key
        check(token)


def test_a_process_without_the_signing_key_cannot_issue(monkeypatch):
    """A service in production holds the public key only: it cannot mint a token."""
    _, public = new_pair()
    monkeypatch.setenv("HAVEN_ENV", "production")
    monkeypatch.delenv("HAVEN_TOKEN_SIGNING_KEY", raising=False)
    monkeypatch.setenv("HAVEN_TOKEN_PUBLIC_KEY", public)
    with pytest.raises(ValueError, match="HAVEN_TOKEN_SIGNING_KEY is not set"):
        issue_token("u-17", ["supervisor"])


def _lifetime(seconds: int, issued_ago: int = 0) -> dict:
    now = int(time.time())
    return tokens.claims(iat=now - issued_ago, exp=now - issued_ago + seconds)


# Tokens are made inside the test, not at collection: a long collection would expire them.
REFUSED = [
    (lambda: None, "missing"),
    (lambda: "", "missing"),
    (lambda: "Bearer ", "missing"),
    (lambda: tokens.signed(tokens.claims(iat=int(time.time()) - 3600,
                                         exp=int(time.time()) - 60)), "expired"),
    (lambda: issue_token("u-17", ["supervisor"], signing_key=tokens.SERVICE_SEED), "invalid"),
    (lambda: tokens.hs256(tokens.claims()), "invalid"),
    # Algorithm confusion: HMAC keyed with the public key, which everyone may know.
    (lambda: tokens.hs256(tokens.claims(), tokens.DEV_PUBLIC), "invalid"),
    (lambda: tokens.tampered(issue_token("u-17", ["auditor"], signing_key=tokens.DEV_SEED),
                             roles=["admin"]), "invalid"),
    (lambda: tokens.unsigned(tokens.claims()), "invalid"),
    (lambda: tokens.signed(tokens.claims(aud="another-api")), "invalid"),
    (lambda: tokens.signed(tokens.claims(iss="someone-else")), "invalid"),
    (lambda: tokens.signed(tokens.without("aud")), "invalid"),
    (lambda: tokens.signed(tokens.without("iss")), "invalid"),
    (lambda: tokens.signed(tokens.without("jti")), "invalid"),
    (lambda: tokens.signed(tokens.without("iat")), "invalid"),
    (lambda: tokens.signed(tokens.without("roles")), "invalid"),
    (lambda: tokens.signed(tokens.claims(roles="admin")), "invalid"),
    (lambda: tokens.signed(tokens.claims(sub=" ")), "invalid"),
    (lambda: tokens.signed(tokens.claims(iat=int(time.time()) + 3600)), "invalid"),
    (lambda: "not.a.jwt", "invalid"),
    (lambda: tokens.signed(_lifetime(MAX_TTL + 60)), "lifetime"),
    (lambda: tokens.signed(_lifetime(40 * 365 * 24 * 3600)), "lifetime"),
    # Fresh-looking, but issued long ago: what counts is exp - iat.
    (lambda: tokens.signed(_lifetime(MAX_TTL + 3600, issued_ago=3600)), "lifetime"),
]
REFUSED_IDS = ["none", "empty", "bare-bearer", "expired", "a-service-key", "old-hs256-secret",
               "hs256-keyed-with-the-public-key", "tampered", "alg-none", "wrong-audience",
               "wrong-issuer", "no-aud", "no-iss", "no-jti", "no-iat", "no-roles",
               "roles-not-a-list", "blank-subject", "issued-in-the-future", "garbage",
               "beyond-max-lifetime", "forty-years", "old-iat-beyond-max-lifetime"]


@pytest.mark.parametrize("token, reason", REFUSED, ids=REFUSED_IDS)
def test_missing_expired_forged_malformed_or_too_long_tokens_are_refused(token, reason):
    raw = token()
    with pytest.raises(TokenRefused) as refused:
        authenticate(raw.removeprefix("Bearer ").strip() if raw else raw, tokens.DEV_PUBLIC,
                     never)
    assert refused.value.reason == reason
    with pytest.raises(Unauthorized) as unauthorized:
        check(raw)
    assert unauthorized.value.code == "UNAUTHORIZED"
    assert unauthorized.value.message == refused.value.as_error().message


def test_the_service_key_control_its_token_is_good_under_its_own_key():
    """The a-service-key refusal is about the key, not the token's form."""
    token = issue_token("u-17", ["supervisor"], signing_key=tokens.SERVICE_SEED)
    assert check(token, tokens.SERVICE_PUBLIC).roles == ("supervisor",)


def test_the_longest_shift_is_accepted():
    assert check(tokens.signed(_lifetime(MAX_TTL))).user_id == "u-17"


def test_an_expired_or_revoked_token_names_its_user_a_forged_one_nobody():
    expired = tokens.signed(tokens.claims(iat=int(time.time()) - 3600,
                                          exp=int(time.time()) - 60))
    with pytest.raises(TokenRefused) as refused:
        authenticate(expired, tokens.DEV_PUBLIC, never)
    assert (refused.value.reason, refused.value.user_id) == ("expired", "u-17")
    good = tokens.signed(tokens.claims())
    with pytest.raises(TokenRefused) as refused:
        authenticate(good, tokens.DEV_PUBLIC, lambda jti: jti == tokens.jti_of(good))
    assert (refused.value.reason, refused.value.user_id) == ("revoked", "u-17")
    forged = tokens.signed(tokens.claims(sub="u-admin"), tokens.SERVICE_SEED)
    with pytest.raises(TokenRefused) as refused:
        authenticate(forged, tokens.DEV_PUBLIC, never)
    assert (refused.value.reason, refused.value.user_id) == ("invalid", None)


def test_a_retired_role_in_an_old_token_grants_nothing():
    assert check(tokens.signed(tokens.claims(roles=["caseworker", "janitor"]))).roles == (
        "caseworker",)


@pytest.mark.parametrize("roles, ttl", [(["janitor"], 60), ([], 60), (["ops"], 0),
                                        (["ops"], MAX_TTL + 1)])
def test_issuing_refuses_unknown_roles_and_lifetimes_outside_one_shift(roles, ttl):
    with pytest.raises(ValueError):
        issue_token("u-17", roles, ttl_seconds=ttl, signing_key=tokens.DEV_SEED)


# -- haven token ... ---------------------------------------------------------------------------
def test_haven_token_issue_prints_a_token_that_verifies_with_the_public_key_only():
    signing, public = new_pair()
    result = CliRunner().invoke(token_cli, ["issue", "--user", "u-17",
                                            "--roles", "caseworker, supervisor", "--ttl", "600"],
                                env={"HAVEN_ENV": "production",
                                     "HAVEN_TOKEN_SIGNING_KEY": signing})
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    principal = check(token, public_raw(public))
    assert (principal.user_id, principal.roles) == ("u-17", ("caseworker", "supervisor"))
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 600
    assert f"jti {claims['jti']}" in result.stderr and "haven token revoke" in result.stderr


def test_haven_token_keypair_prints_a_pair_that_works_together():
    result = CliRunner().invoke(token_cli, ["keypair"])
    assert result.exit_code == 0, result.output
    signing = result.stdout.split("signing key (secret, the signer only): ")[1].split()[0]
    public = result.stdout.split("public key: ")[1].split()[0]
    token = issue_token("u-17", ["ops"], signing_key=private_seed(signing))
    assert check(token, public_raw(public)).user_id == "u-17"
    assert new_pair()[1] != public  # fresh every time


def test_haven_token_issue_refuses_an_unknown_role_with_exit_code_2():
    result = CliRunner().invoke(token_cli, ["issue", "--user", "u-17",
                                            "--roles", "caseworker,janitor"])
    assert result.exit_code == 2
    assert "unknown role(s) janitor" in result.output
    assert ROLES[0] in result.output  # says which roles exist


@pytest.mark.parametrize("ttl", ["0", str(MAX_TTL + 1)])
def test_haven_token_issue_needs_a_user_and_a_ttl_within_one_shift(ttl):
    assert CliRunner().invoke(token_cli, ["issue", "--roles", "ops"]).exit_code == 2
    result = CliRunner().invoke(token_cli, ["issue", "--user", "u", "--roles", "ops",
                                            "--ttl", ttl])
    assert result.exit_code == 2
