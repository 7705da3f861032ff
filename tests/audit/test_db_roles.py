"""`haven db grants`: a service connects as a role that can add to its history and read
it, never change or remove it; the audit tools as one that can only read (real PostgreSQL)."""

from __future__ import annotations

import dataclasses
import uuid
from urllib.parse import urlparse, urlunparse

import psycopg
import pytest
from click.testing import CliRunner
from psycopg import sql

from shared.audit_trail.checkpoints import load_checkpoints, record_checkpoint
from shared.db_roles import apply, db_cli, roles_for, service_env
from shared.eventstore import _conninfo
from tests.audit.casework_like import CaseworkLike
from tests.audit.conftest import ctx
from tests.audit.tampering import cli, tables


def url_as(cfg, role: str) -> str:
    url = urlparse(cfg.postgres_url)
    return urlunparse(url._replace(netloc=f"{role}@{url.hostname}:{url.port or 5432}"))


@pytest.fixture
def granted(cfg):
    """A store with history, then the project's own grants: (admin app, roles, writer app)."""
    name = f"rol_{uuid.uuid4().hex[:8]}"
    cls = type("Granted", (CaseworkLike,), {"name": name})
    admin = cls(cfg)
    case_id = admin.open_case(ctx("cw-1", "caseworker", "open_case"), "KC-2026-0001", "Ana")
    roles = roles_for(name, cfg, auditor=f"haven_audit_{uuid.uuid4().hex[:8]}")
    apply(roles, cfg)
    apply(roles, cfg)  # idempotent: a second deploy changes nothing
    writer_cfg = dataclasses.replace(cfg, postgres_url=url_as(cfg, roles.writer))
    # The service as it runs in production: its writer role, the owner's lock function.
    writer = cls(cfg, env={"POSTGRES_USER": roles.writer, "POSTGRES_PASSWORD": "",
                           **service_env()})
    yield admin, roles, writer, writer_cfg, case_id
    writer.close()
    admin.close()
    with psycopg.connect(_conninfo(cfg), autocommit=True) as conn:
        for role in (roles.writer, roles.auditor, roles.owner):
            conn.execute(sql.SQL("DROP OWNED BY {r} CASCADE; DROP ROLE {r}").format(
                r=sql.Identifier(role)))


@pytest.mark.parametrize("statement", [
    "UPDATE {events} SET topic = topic",
    "DELETE FROM {events}",
    "TRUNCATE {events}",
    "UPDATE {chain} SET log_hash = log_hash",
    "DELETE FROM {chain}",
    "TRUNCATE {chain}",
    "UPDATE {case_index} SET needle = needle",
    "DELETE FROM {case_index}",
    "TRUNCATE {case_index}",
    "UPDATE {checkpoints} SET position = position",
    "DELETE FROM {checkpoints}",
    "TRUNCATE {checkpoints}",
    "ALTER TABLE {checkpoints} DISABLE TRIGGER USER",
    "DROP TRIGGER append_only ON {checkpoints}",
    "LOCK TABLE {events} IN EXCLUSIVE MODE",
])
def test_the_service_role_cannot_change_or_remove_its_history(granted, statement):
    admin, roles, _, writer_cfg, _ = granted
    with psycopg.connect(_conninfo(writer_cfg)) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(sql.SQL(statement).format(**tables(admin)))


def test_the_service_role_adds_and_reads_events_and_records_checkpoints(granted):
    admin, roles, writer, writer_cfg, case_id = granted
    # INSERT and SELECT, through the application, under the serialising lock.
    writer.change(ctx("sup-1", "supervisor", "assign"), case_id, "assign", "cw-2")
    other = writer.open_case(ctx("cw-1", "caseworker", "open_case"), "KC-2026-0002", "Ion")
    assert writer.repository.get(other).reference == "KC-2026-0002"
    assert writer.recorder.max_notification_id() == 3
    with psycopg.connect(_conninfo(writer_cfg)) as conn:
        assert conn.execute(sql.SQL("SELECT count(*) FROM {events}").format(
            **tables(admin))).fetchone() == (3,)
        assert conn.execute("SELECT current_user").fetchone() == (roles.writer,)
    point = record_checkpoint(admin.name, writer_cfg)
    assert point is not None and point.position == 3
    assert [p.seq for p in load_checkpoints(admin.name, writer_cfg)] == [1]
    with psycopg.connect(_conninfo(writer_cfg)) as conn:
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = %s AND"
                             " tablename = %s", (roles.schema, f"{admin.name}_events")).fetchone()
    assert owner == (roles.owner,)


def test_the_audit_role_reads_and_verifies_but_cannot_write(granted):
    admin, roles, writer, _, case_id = granted
    writer.change(ctx("sup-1", "supervisor", "assign"), case_id, "assign", "cw-2")
    record_checkpoint(admin)
    auditor_url = url_as(admin.settings, roles.auditor)
    for statement in ("INSERT INTO {checkpoints} (seq) VALUES (99)", "DELETE FROM {events}",
                      "UPDATE {chain} SET log_hash = log_hash"):
        with psycopg.connect(_conninfo(admin.settings, auditor_url)) as conn, \
                pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(sql.SQL(statement).format(**tables(admin)))
    result = cli("verify", "--service", admin.name, "--no-progress",
                 env={"HAVEN_AUDIT_POSTGRES_URL": auditor_url})
    assert result.exit_code == 0, result.output
    assert "1 signed checkpoint(s), last #1 at position 2: intact" in result.output


def test_the_command_prints_the_grants_and_applies_them(cfg):
    name = f"rol_{uuid.uuid4().hex[:8]}"
    env = {"HAVEN_SCHEMA_PREFIX": cfg.schema_prefix}
    printed = CliRunner().invoke(db_cli, ["grants", name], env=env, catch_exceptions=False)
    assert printed.exit_code == 0, printed.output
    roles = roles_for(name, cfg)
    assert 'GRANT SELECT, INSERT ON %I.%I TO %I' in printed.output
    assert f'"{roles.writer}"' in printed.output and "SECURITY DEFINER" in printed.output
    assert "UPDATE ON" not in printed.output and "DELETE ON" not in printed.output
    applied = CliRunner().invoke(db_cli, ["grants", name, "--apply", "--audit-role",
                                          f"haven_audit_{name}"], env=env,
                                 catch_exceptions=False)
    assert applied.exit_code == 0 and f"connect the service as {roles.writer}" in applied.output
    try:
        with psycopg.connect(_conninfo(cfg)) as conn:
            privileges = conn.execute(
                "SELECT privilege_type FROM information_schema.role_table_grants WHERE"
                " grantee = %s AND table_schema = %s AND table_name = %s ORDER BY 1",
                (roles.writer, roles.schema, f"{name}_events")).fetchall()
        assert privileges == [("INSERT",), ("SELECT",)]
    finally:
        with psycopg.connect(_conninfo(cfg), autocommit=True) as conn:
            for role in (roles.writer, f"haven_audit_{name}", roles.owner):
                conn.execute(sql.SQL("DROP OWNED BY {r} CASCADE; DROP ROLE {r}").format(
                    r=sql.Identifier(role)))
