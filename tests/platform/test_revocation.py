"""`haven token revoke`: a revoked token is refused everywhere within a minute, and every
refusal, the gateway's included, is recorded (auth_refusals and the metric).

The gateway and intake run here on the real broker and PostgreSQL, with the revocation
list cached for CACHE_SECONDS; the revocation is made by another process, as an operator
would, so only the cache's expiry can bring it here.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
import requests
from prometheus_client import REGISTRY
from psycopg import sql

from shared.auth import TokenRefused, authenticate, issue_token, revocation_check
from shared.config import MAX_REVOCATION_DELAY_SECONDS, Settings
from shared.eventstore import _conninfo
from shared.revocations import SCHEMA, RevocationList, RevocationsUnavailable, _Store
from shared.testing import haven_script
from shared.testing.plugin import eventually
from tests.gateway_fixtures import free_port
from tests.platform import tokens

CACHE_SECONDS = "1"
HAVEN = haven_script()


@pytest.fixture(scope="module")
def gateway(haven_run: Settings) -> Iterator[str]:
    """The gateway and intake in this process, every cache of the list CACHE_SECONDS old."""
    from nameko.runners import ServiceRunner

    from services.gateway.service import GatewayService
    from services.intake.service import IntakeService
    from shared.runner import nameko_config

    with pytest.MonkeyPatch.context() as env:
        env.setenv("HAVEN_TOKEN_REVOCATION_CACHE_SECONDS", CACHE_SECONDS)
        port = free_port()
        runner = ServiceRunner(nameko_config(Settings.from_env(),
                                             WEB_SERVER_ADDRESS=f"127.0.0.1:{port}"))
        runner.add_service(IntakeService)
        runner.add_service(GatewayService)
        runner.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            runner.stop()


def contacts(base: str, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.get(base + "/api/v1/contacts", headers=headers, timeout=60)


def refusals(cfg: Settings, reason: str, store: str = SCHEMA) -> list[tuple[Any, ...]]:
    """The recorded refusals for `reason`, oldest first: the gateway's (in the `auth`
    store), or a service's (in its own store)."""
    table = sql.Identifier(cfg.schema(store), "auth_refusals")
    with psycopg.connect(_conninfo(cfg)) as conn:
        return conn.execute(sql.SQL("SELECT service, method, reason, user_id FROM {}"
                                    " WHERE reason = %s ORDER BY id").format(table),
                            (reason,)).fetchall()


def counted(reason: str, service: str = "gateway") -> float:
    return REGISTRY.get_sample_value("haven_auth_refusals_total", {
        "service": service, "method": "list_contacts", "reason": reason}) or 0.0


def revoke_elsewhere(token: str) -> subprocess.CompletedProcess[str]:
    """`haven token revoke TOKEN` in a process of its own, on this run's store, with the
    default cache (an operator's shell does not share the services' settings)."""
    env = {k: v for k, v in os.environ.items() if k != "HAVEN_TOKEN_REVOCATION_CACHE_SECONDS"}
    return subprocess.run([HAVEN, "token", "revoke", token, "--by", "security-officer"],
                          env={**env, "HAVEN_ENV": "development"}, capture_output=True,
                          text=True, timeout=120)


def test_a_revoked_token_is_refused_at_the_gateway_within_a_minute_and_recorded(gateway, cfg):
    token = issue_token("u-revoked", ["helpline_operator"])
    other = issue_token("u-revoked", ["helpline_operator"])  # the same person's next shift
    assert contacts(gateway, token).status_code == 200  # the control: it worked until now
    before = counted("revoked", "gateway") + counted("revoked", "intake")
    rows_before = {store: len(refusals(cfg, "revoked", store)) for store in (SCHEMA, "intake")}

    revoked = revoke_elsewhere(token)
    assert revoked.returncode == 0, revoked.stderr
    assert f"revoked: {tokens.jti_of(token)}" in revoked.stdout

    def refused_now() -> list[requests.Response]:  # a 401 Response is falsy itself
        answer = contacts(gateway, token)
        return [answer] if answer.status_code == 401 else []

    (refused,) = eventually(refused_now, timeout=MAX_REVOCATION_DELAY_SECONDS)
    assert refused.json()["detail"] == "the token has been revoked"
    assert refused.json()["code"] == "UNAUTHORIZED"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert contacts(gateway, other).status_code == 200  # only that token
    # Recorded by whichever process's copy of the list was renewed first: the gateway's,
    # or intake's behind it (each renews on its own half-minute; CI saw both).
    # (The gateway records in the `auth` store, intake in its own.)
    recorded = [row for store, before_here in rows_before.items()
                for row in refusals(cfg, "revoked", store)[before_here:]]
    assert recorded and recorded[0] in (("gateway", "list_contacts", "revoked", "u-revoked"),
                                        ("intake", "list_contacts", "revoked", "u-revoked"))
    assert counted("revoked", "gateway") + counted("revoked", "intake") >= before + 1


GATEWAY_REFUSALS = [
    (lambda: None, "missing", None),
    (lambda: "not.a.jwt", "invalid", None),
    (lambda: issue_token("u-17", ["supervisor"], signing_key=tokens.SERVICE_SEED),
     "invalid", None),
    (lambda: tokens.hs256(tokens.claims()), "invalid", None),
    (lambda: tokens.signed(tokens.claims(aud="another-api")), "invalid", None),
    (lambda: tokens.signed(tokens.claims(exp=tokens.claims()["iat"] + 30 * 24 * 3600)),
     "lifetime", "u-17"),
    (lambda: tokens.signed(tokens.claims(iat=tokens.claims()["iat"] - 3600,
                                         exp=tokens.claims()["iat"] - 60)), "expired", "u-17"),
]


@pytest.mark.parametrize("token, reason, user_id", GATEWAY_REFUSALS,
                         ids=["no-token", "garbage", "a-service-key", "old-hs256-secret",
                              "wrong-audience", "beyond-max-lifetime", "expired"])
def test_every_refusal_at_the_gateway_is_recorded_and_counted(gateway, cfg, token, reason,
                                                              user_id):
    before, rows_before = counted(reason), len(refusals(cfg, reason))
    answer = contacts(gateway, token())
    assert answer.status_code == 401, answer.text
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert refusals(cfg, reason)[rows_before:] == [("gateway", "list_contacts", reason, user_id)]
    assert counted(reason) == before + 1


# -- the list itself -------------------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def own_cfg(cfg: Settings) -> Settings:
    """Settings naming an `auth` store of this test's own: it may be broken without harming
    the others (its schema goes with the run's, by prefix)."""
    return dataclasses.replace(cfg, schema_prefix=f"{cfg.schema_prefix}rv{uuid.uuid4().hex[:8]}_")


@pytest.fixture
def own_store(own_cfg: Settings) -> _Store:
    return _Store(own_cfg)


def test_another_process_s_revocation_is_seen_once_the_copy_is_older_than_the_cache(own_store):
    clock = Clock()
    here = RevocationList(own_store, cache_seconds=30, clock=clock)
    elsewhere = RevocationList(own_store, cache_seconds=30)
    assert not here.is_revoked("j-1")  # read now: the copy is fresh
    assert elsewhere.revoke("j-1", "security-officer", timedelta(hours=13))
    clock.now += 29
    assert not here.is_revoked("j-1"), "the copy is read at most once per cache period"
    clock.now += 1
    assert here.is_revoked("j-1")
    assert not elsewhere.revoke("j-1", "security-officer", timedelta(hours=13))  # already


def test_a_revocation_is_honoured_at_once_by_the_process_that_made_it(own_store):
    here = RevocationList(own_store, cache_seconds=30, clock=Clock())
    assert not here.is_revoked("j-2")
    here.revoke("j-2", "security-officer", timedelta(hours=13))
    assert here.is_revoked("j-2")


def test_a_revocation_is_forgotten_once_every_token_it_names_has_expired(own_store):
    here = RevocationList(own_store, cache_seconds=0)
    here.revoke("j-old", "security-officer", timedelta(seconds=-1))
    here.revoke("j-new", "security-officer", timedelta(hours=13))
    assert (here.is_revoked("j-old"), here.is_revoked("j-new")) == (False, True)


def test_an_unreadable_list_refuses_every_token_once_the_copy_is_too_old(own_store):
    clock = Clock()
    here = RevocationList(own_store, cache_seconds=30, clock=clock)
    assert not here.is_revoked("j-3")
    with own_store.datastore.transaction(commit=True) as curs:
        curs.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(own_store.schema)))
    clock.now += 45  # refresh fails, but the copy is young enough to keep using
    assert not here.is_revoked("j-3")
    clock.now += 15  # twice the cache period: nothing can be trusted any more
    with pytest.raises(RevocationsUnavailable):
        here.is_revoked("j-3")


def test_a_token_is_refused_as_unverifiable_while_the_list_cannot_be_read(own_cfg):
    check = revocation_check(dataclasses.replace(own_cfg, token_revocation_cache_seconds=0))
    token = tokens.signed(tokens.claims())
    assert authenticate(token, tokens.DEV_PUBLIC, check).user_id == "u-17"  # the control
    with psycopg.connect(_conninfo(own_cfg)) as conn:
        conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(
            sql.Identifier(own_cfg.schema(SCHEMA))))
    with pytest.raises(TokenRefused) as refused:
        authenticate(token, tokens.DEV_PUBLIC, check)
    assert refused.value.reason == "unverifiable"
    # Refused, but as "retry later" (503), not "sign in again" (401): nothing is wrong
    # with the token, and a desk that signs in again meets the same outage.
    answer = refused.value.as_error()
    assert (answer.http_status, answer.code) == (503, "UNAVAILABLE"), answer


def test_haven_token_revoke_takes_a_jti_or_the_token_and_says_how_soon(cfg):
    token = issue_token("u-18", ["caseworker"])
    by_token = revoke_elsewhere(token)
    assert by_token.returncode == 0, by_token.stderr
    assert by_token.stdout.startswith(f"revoked: {tokens.jti_of(token)}")
    assert "within 60 s" in by_token.stdout  # twice the default 30 s cache
    again = subprocess.run([HAVEN, "token", "revoke", tokens.jti_of(token)],
                           env={**os.environ, "HAVEN_ENV": "development"}, capture_output=True,
                           text=True, timeout=120)
    assert again.stdout.startswith("already revoked")
    fresh = dataclasses.replace(cfg, token_revocation_cache_seconds=0)  # read on every call
    with pytest.raises(TokenRefused) as refused:
        authenticate(token, tokens.DEV_PUBLIC, revocation_check(fresh))
    assert refused.value.reason == "revoked"
