"""Tampering with a store as an intruder with database access would: plain SQL."""

from __future__ import annotations

import psycopg
from click.testing import CliRunner, Result
from psycopg import sql

from shared import chain
from shared.audit_trail.checkpoints import TABLE as CHECKPOINTS
from shared.audit_trail.checkpoints import checkpoint_hash
from shared.audit_trail.cli import audit_cli
from shared.auth import issue_token
from shared.eventstore import HavenApplication, _conninfo


def tables(app: HavenApplication) -> dict[str, sql.Composable]:
    schema = app.settings.schema(app.name)
    return {"events": sql.Identifier(schema, f"{app.name}_events"),
            "chain": sql.Identifier(schema, f"{app.name}_events_chain"),
            "case_index": sql.Identifier(schema, f"{app.name}_events_names"),
            "checkpoints": sql.Identifier(schema, CHECKPOINTS)}


def tamper(app: HavenApplication, statement: str, *params: object) -> int:
    with psycopg.connect(_conninfo(app.settings), autocommit=True) as conn:
        return conn.execute(sql.SQL(statement).format(**tables(app)), params).rowcount


def rows(app: HavenApplication, statement: str, *params: object) -> list[tuple]:
    with psycopg.connect(_conninfo(app.settings)) as conn:
        return conn.execute(sql.SQL(statement).format(**tables(app)), params).fetchall()


def nid_of(app: HavenApplication, originator_id: object, version: int) -> int:
    found = rows(app, "SELECT notification_id FROM {events} WHERE originator_id = %s"
                      " AND originator_version = %s", originator_id, version)
    assert found, "no such record"
    return int(found[0][0])


def rechain_from(app: HavenApplication, first: int) -> int:
    """Recompute every chain entry from notification `first` on, from the stored records,
    as an intruder covering their tracks would; returns how many entries were rewritten."""
    records = rows(app, "SELECT e.notification_id, e.originator_id, e.originator_version,"
                        " e.topic, e.state FROM {events} e ORDER BY e.notification_id")
    before = rows(app, "SELECT log_hash FROM {chain} WHERE notification_id < %s"
                       " ORDER BY notification_id DESC LIMIT 1", first)
    prev_log = bytes(before[0][0]) if before else chain.GENESIS
    streams: dict[str, bytes] = {}
    rewritten = 0
    for nid, oid, version, topic, state in records:
        if nid < first:
            streams[oid.hex] = bytes(rows(app, "SELECT stream_hash FROM {chain}"
                                               " WHERE notification_id = %s", nid)[0][0])
            continue
        s_hash = chain.stream_hash(streams.get(oid.hex, chain.GENESIS), oid, version, topic,
                                   bytes(state))
        streams[oid.hex] = s_hash
        prev_log = chain.log_hash(prev_log, nid, s_hash)
        rewritten += tamper(app, "UPDATE {chain} SET stream_hash = %s, log_hash = %s"
                                 " WHERE notification_id = %s", s_hash, prev_log, nid)
    return rewritten


def cli(*args: str, roles: tuple[str, ...] = ("auditor",), user: str = "aud-1",
        env: dict[str, str] | None = None) -> Result:
    """`haven audit ...` in this process; a token with `roles` unless roles=()."""
    token = ["--token", issue_token(user, list(roles))] if roles else []
    command, *rest = args
    prefix = []
    if command == "--data-dir":  # a group option: keep it before the command
        prefix, (command, *rest) = [command, rest[0]], rest[1:]
    needs_token = command in ("history", "replay", "access", "export")
    return CliRunner().invoke(audit_cli, [*prefix, command, *rest,
                                          *(token if needs_token else [])],
                              env=env, catch_exceptions=False)


def drop_triggers(app: HavenApplication) -> list[str]:
    """Every user trigger on the events, chain and checkpoint tables, dropped: what their
    owner (or a superuser) can do. Returns the names dropped."""
    schema = app.settings.schema(app.name)
    found = rows(app, "SELECT t.tgname, c.relname FROM pg_trigger t JOIN pg_class c"
                      " ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
                      " WHERE NOT t.tgisinternal AND n.nspname = %s AND c.relname = ANY(%s)",
                 schema, [f"{app.name}_events", f"{app.name}_events_chain", CHECKPOINTS])
    for trigger, table in found:
        with psycopg.connect(_conninfo(app.settings), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP TRIGGER {} ON {}").format(
                sql.Identifier(trigger), sql.Identifier(schema, table)))
    return [name for name, _ in found]


def rewrite_checkpoint_table(app: HavenApplication) -> int:
    """Make every checkpoint in the table attest the (re-chained) log as it now stands, and
    re-chain the checkpoints themselves: the database then agrees with itself everywhere."""
    points = rows(app, "SELECT seq, recorded_at, position FROM {checkpoints} ORDER BY seq")
    prev = chain.GENESIS
    for seq, recorded_at, position in points:
        [(log_hash,)] = rows(app, "SELECT log_hash FROM {chain} WHERE notification_id = %s",
                             position)
        point_hash = checkpoint_hash(prev, position, bytes(log_hash), recorded_at)
        tamper(app, "UPDATE {checkpoints} SET log_hash = %s, prev_hash = %s,"
                    " checkpoint_hash = %s WHERE seq = %s", bytes(log_hash), prev, point_hash,
               seq)
        prev = point_hash
    return len(points)
