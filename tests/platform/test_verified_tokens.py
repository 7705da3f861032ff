"""A token's signature is checked once per process; its expiry and revocation every time."""

from __future__ import annotations

import time
from datetime import datetime

import jwt
import pytest

from shared.auth import LEEWAY_SECONDS, TokenRefused, issue_token
from shared.config import settings
from shared.shell import verified

pytestmark = pytest.mark.no_servers


def never_revoked(jti: str) -> bool:
    return False


def test_a_token_seen_before_is_still_refused_once_revoked():
    key, token = settings().token_public_key, issue_token("u-41", ["caseworker"])
    assert verified(token, key, never_revoked).user_id == "u-41"
    assert verified(token, key, never_revoked).roles == ("caseworker",)
    with pytest.raises(TokenRefused) as refused:
        verified(token, key, lambda jti: True)
    assert refused.value.reason == "revoked"


def test_a_token_seen_before_is_refused_as_expired_once_it_expires(monkeypatch):
    key, token = settings().token_public_key, issue_token("u-42", ["caseworker"], 60)
    assert verified(token, key, never_revoked).user_id == "u-42"
    later = time.time() + 60 + LEEWAY_SECONDS + 1

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(later, tz)

    # Both clocks move on: this process's copy and PyJWT's full check.
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(jwt.api_jwt, "datetime", Later)
    with pytest.raises(TokenRefused) as refused:
        verified(token, key, never_revoked)
    assert refused.value.reason == "expired"


def test_a_token_checked_under_one_key_is_checked_again_under_another():
    token = issue_token("u-43", ["caseworker"])
    assert verified(token, settings().token_public_key, never_revoked).user_id == "u-43"
    with pytest.raises(TokenRefused) as refused:
        verified(token, b"\x01" * 32, never_revoked)
    assert refused.value.reason == "invalid"
