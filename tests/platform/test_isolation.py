"""The test plugin (shared/testing/plugin.py): servers only for the tests that need them."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared.audit import CommandContext
from shared.testing.plugin import eventually
from tests.platform.sample import Dossier, Dossiers

ROOT = Path(__file__).resolve().parents[2]
CLOSED = "127.0.0.1:1"  # nothing listens on port 1: any connection attempt fails


@pytest.mark.no_servers
def test_domain_tests_run_with_postgresql_and_rabbitmq_unreachable():
    domain_tests = [str(p.relative_to(ROOT)) for p in ROOT.glob("services/*/tests/test_domain.py")]
    env = {**os.environ, "HAVEN_POSTGRES_URL": f"postgresql://postgres@{CLOSED}/postgres",
           "HAVEN_AMQP_URI": f"amqp://guest:guest@{CLOSED}/"}
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          *domain_tests], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    passed = re.search(r"(\d+) passed", run.stdout)
    assert passed and int(passed.group(1)) > 0, run.stdout
    assert not re.search(r"\d+ (skipped|error)", run.stdout), run.stdout


@pytest.mark.no_servers
def test_eventually_returns_the_first_answer_that_holds_and_fails_with_the_last():
    answers = iter([None, [], ["row"]])
    assert eventually(lambda: next(answers)) == ["row"]
    with pytest.raises(AssertionError, match=r"still \[\] after"):
        eventually(list, timeout=0.05)


def test_each_app_from_the_factory_starts_from_an_empty_log_of_its_own(app_factory):
    first = app_factory(Dossiers)
    first.save(Dossier(full_name="Ana Popescu", birth_year=1999),
               ctx=CommandContext(actor_id="u-1", actor_role="caseworker", command="register"))
    second = app_factory(Dossiers)
    assert first.name.startswith("dossiers_") and second.name != first.name
    assert first.recorder.max_notification_id() == 1
    assert second.recorder.max_notification_id() is None
