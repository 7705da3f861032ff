"""The Idempotency-Key answer log itself, on PostgreSQL and on SQLite: one statement claims
a new key, and a key older than KEPT_FOR is taken over in place (no DELETE per command)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from shared.idempotency import KEPT_FOR, AnswerLog, fingerprint
from tests.platform.msg_apps import source_app

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["postgres", "sqlite"])
def answers(request, cfg, tmp_path):
    store = cfg if request.param == "postgres" else replace(cfg, store="sqlite",
                                                             data_dir=tmp_path)
    app = source_app("idem" + uuid.uuid4().hex[:8])(store)
    yield AnswerLog(app.recorder.datastore)
    app.close()


def test_a_new_key_is_claimed_and_its_answer_is_replayed(answers):
    print_ = fingerprint("register", {"name": "x"})
    assert answers.claim("u-1", "k-1", print_, NOW) is None
    pending = answers.claim("u-1", "k-1", print_, NOW)
    assert pending is not None and pending.answer is None  # still running
    answers.answer("u-1", "k-1", {"id": 7})
    replayed = answers.claim("u-1", "k-1", print_, NOW)
    assert replayed is not None and replayed.answer == '{"id": 7}'
    assert answers.claim("u-2", "k-1", print_, NOW) is None, "keys are per caller"


def test_an_expired_key_is_taken_over_by_its_next_claim(answers):
    first, second = fingerprint("register", {"n": 1}), fingerprint("register", {"n": 2})
    assert answers.claim("u-1", "k-2", first, NOW) is None
    answers.answer("u-1", "k-2", {"id": 1})
    later = NOW + KEPT_FOR + KEPT_FOR / 24
    assert answers.claim("u-1", "k-2", second, later) is None
    again = answers.claim("u-1", "k-2", second, later)
    assert again is not None and (again.fingerprint, again.answer) == (second, None)


def test_a_released_key_may_be_claimed_again(answers):
    print_ = fingerprint("register", {})
    assert answers.claim("u-1", "k-3", print_, NOW) is None
    answers.release("u-1", "k-3")
    assert answers.claim("u-1", "k-3", print_, NOW) is None
