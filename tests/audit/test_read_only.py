"""The audit tools read with HAVEN_AUDIT_POSTGRES_URL: a role that can only SELECT is enough
for history, replay, access, export and verify (and that role cannot write)."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
from psycopg import sql

from shared.audit_trail.checkpoints import record_checkpoint
from shared.audit_trail.sources import audit_settings
from shared.eventstore import _conninfo
from tests.audit.tampering import cli


def test_audit_settings_prefer_the_audit_url():
    env = {"HAVEN_ENV": "development", "HAVEN_POSTGRES_URL": "postgresql://writer@db:5432/haven",
           "HAVEN_AUDIT_POSTGRES_URL": "postgresql://auditor@replica:5432/haven"}
    assert audit_settings(env).postgres_url == env["HAVEN_AUDIT_POSTGRES_URL"]
    del env["HAVEN_AUDIT_POSTGRES_URL"]
    assert audit_settings(env).postgres_url == env["HAVEN_POSTGRES_URL"]


@pytest.fixture
def reader_url(cfg, world):
    """A login role with USAGE and SELECT on the world's schemas and nothing else."""
    role = f"haven_audit_{uuid.uuid4().hex[:8]}"
    schemas = [cfg.schema(name) for name in world.services]
    with psycopg.connect(_conninfo(cfg), autocommit=True) as conn:
        # The test's user must be allowed to create roles (a superuser, as in `make test`).
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        for schema in schemas:
            # As in production: tables created later (checkpoints) are readable too.
            conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {s} TO {r};"
                                 " GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {r};"
                                 " ALTER DEFAULT PRIVILEGES IN SCHEMA {s}"
                                 " GRANT SELECT ON TABLES TO {r}").format(
                s=sql.Identifier(schema), r=sql.Identifier(role)))
    url = urlparse(cfg.postgres_url)
    yield urlunparse(url._replace(netloc=f"{role}@{url.hostname}:{url.port or 5432}"))
    with psycopg.connect(_conninfo(cfg), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP OWNED BY {r}; DROP ROLE {r}").format(r=sql.Identifier(role)))


def test_everything_an_auditor_does_works_with_select_only(world, reader_url, tmp_path):
    for app in world.apps:
        record_checkpoint(app)
    env = {"HAVEN_AUDIT_POSTGRES_URL": reader_url}
    with psycopg.connect(reader_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(
            world.intake.settings.schema(world.intake.name), f"{world.intake.name}_events")))
    services = [a for name in world.services for a in ("--service", name)]
    history = cli("history", world.reference, "--format", "json", *services, env=env)
    assert history.exit_code == 0, history.output
    assert len(json.loads(history.output)["events"]) == 8
    assert cli("replay", world.reference, "--as-of", "2100-01-01T00:00:00Z", *services,
               env=env).exit_code == 0
    assert cli("access", world.reference, *services, env=env).exit_code == 0
    verified = cli("verify", *services, "--no-progress", env=env)
    assert verified.exit_code == 0 and "3 store(s)" in verified.output, verified.output
    out = tmp_path / "b.jsonl"
    assert cli("export", world.reference, "--out", str(out), *services, env=env).exit_code == 0
    assert cli("verify-bundle", str(out)).exit_code == 0
