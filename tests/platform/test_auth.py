from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from click.testing import CliRunner

from shared.auth import ROLES, issue_token, token_cli, verify_token
from shared.errors import Unauthorized

SECRET = "a-test-secret-that-is-long-enough-for-hs256-0001"


def _claims(**overrides):
    now = int(time.time())
    return {"sub": "u-17", "roles": ["caseworker"], "iat": now, "exp": now + 60,
            "jti": "j-1", **overrides}


def _without(claim: str) -> dict:
    return {k: v for k, v in _claims().items() if k != claim}


def _tamper(token: str, **claims) -> str:
    """Swap the payload of a signed token, keeping its header and signature."""
    header, payload, signature = token.split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**body, **claims}).encode()).rstrip(b"=")
    return ".".join([header, forged.decode(), signature])


def test_an_issued_token_names_its_user_and_roles():
    token = issue_token("u-17", ["caseworker", "auditor"], secret=SECRET)
    principal = verify_token(token, secret=SECRET)
    assert principal.user_id == "u-17"
    assert principal.roles == ("caseworker", "auditor")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert set(claims) == {"sub", "roles", "iat", "exp", "jti"}
    assert claims["exp"] - claims["iat"] == 8 * 3600


def test_a_bearer_prefix_is_accepted():
    token = issue_token("u-17", ["lawyer"], secret=SECRET)
    assert verify_token(f"Bearer {token}", secret=SECRET).roles == ("lawyer",)


def test_the_secret_comes_from_settings_by_default(monkeypatch):
    monkeypatch.setenv("HAVEN_TOKEN_SECRET", SECRET)
    token = issue_token("u-17", ["ops"])
    assert verify_token(token, secret=SECRET).user_id == "u-17"
    assert verify_token(token).user_id == "u-17"


def _signed(claims: dict, secret: str | None = SECRET, algorithm: str = "HS256") -> str:
    return jwt.encode(claims, secret, algorithm=algorithm)


# Tokens are made inside the test, not at collection: a long collection would expire them.
@pytest.mark.parametrize("token, message", [
    (lambda: None, "a valid bearer token is required"),
    (lambda: "", "a valid bearer token is required"),
    (lambda: "Bearer ", "a valid bearer token is required"),
    (lambda: _signed(_claims(exp=int(time.time()) - 60)), "the token has expired"),
    (lambda: issue_token("u-17", ["caseworker"], secret="some-other-secret-of-plenty-length-0002"),
     "the token is not valid"),
    (lambda: _tamper(issue_token("u-17", ["auditor"], secret=SECRET), roles=["admin"]),
     "the token is not valid"),
    (lambda: _signed(_claims(), None, algorithm="none"), "the token is not valid"),
    (lambda: _signed(_without("jti")), "the token is not valid"),
    (lambda: _signed(_without("roles")), "the token is not valid"),
    (lambda: _signed(_claims(roles="admin")), "the token is not valid"),
    (lambda: "not.a.jwt", "the token is not valid"),
], ids=["none", "empty", "bare-bearer", "expired", "wrong-secret", "tampered", "alg-none",
        "no-jti", "no-roles", "roles-not-a-list", "garbage"])
def test_missing_expired_forged_or_malformed_tokens_are_unauthorized(token, message):
    with pytest.raises(Unauthorized) as refused:
        verify_token(token(), secret=SECRET)
    assert refused.value.message == message
    assert refused.value.code == "UNAUTHORIZED"


def test_a_retired_role_in_an_old_token_grants_nothing():
    token = _signed(_claims(roles=["caseworker", "janitor"]))
    assert verify_token(token, secret=SECRET).roles == ("caseworker",)


@pytest.mark.parametrize("roles, ttl", [(["janitor"], 60), ([], 60), (["ops"], 0)])
def test_issuing_refuses_unknown_roles_and_empty_lifetimes(roles, ttl):
    with pytest.raises(ValueError):
        issue_token("u-17", roles, ttl_seconds=ttl, secret=SECRET)


def test_haven_token_issue_prints_a_token_that_verifies():
    result = CliRunner().invoke(token_cli, ["issue", "--user", "u-17",
                                            "--roles", "caseworker, supervisor", "--ttl", "600"],
                                env={"HAVEN_TOKEN_SECRET": SECRET})
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    principal = verify_token(token, secret=SECRET)
    assert (principal.user_id, principal.roles) == ("u-17", ("caseworker", "supervisor"))
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 600


def test_haven_token_issue_refuses_an_unknown_role_with_exit_code_2():
    result = CliRunner().invoke(token_cli, ["issue", "--user", "u-17",
                                            "--roles", "caseworker,janitor"])
    assert result.exit_code == 2
    assert "unknown role(s) janitor" in result.output
    assert ROLES[0] in result.output  # says which roles exist


def test_haven_token_issue_needs_a_user_and_a_positive_ttl():
    assert CliRunner().invoke(token_cli, ["issue", "--roles", "ops"]).exit_code == 2
    result = CliRunner().invoke(token_cli, ["issue", "--user", "u", "--roles", "ops",
                                            "--ttl", "0"])
    assert result.exit_code == 2
