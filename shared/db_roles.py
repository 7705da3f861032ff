"""Least-privilege PostgreSQL roles for a service's store, as code: `haven db grants SERVICE`.

Three roles per store, so that no process that runs a service or an audit can rewrite history:

    owner   haven_<schema>_owner, NOLOGIN: owns the schema and the record of what happened --
            the events table, its chain, the tracking table, the checkpoint table, their
            sequences, types and functions. Nobody logs in as it; migrations `SET ROLE` to it.
    writer  haven_<schema>, LOGIN: what the service and its relay connect as. SELECT and
            INSERT on those tables, never UPDATE, DELETE or TRUNCATE (PostgreSQL refuses with
            InsufficientPrivilege), and it cannot drop or disable their triggers (it does not
            own them). It owns what it derives (read models, relay positions, idempotency):
            those it may change and rebuild.
    auditor haven_audit (one for every store), LOGIN: USAGE and SELECT only, also on tables
            created later (default privileges) -- HAVEN_AUDIT_POSTGRES_URL.

eventsourcing serialises inserts with `LOCK TABLE ... IN EXCLUSIVE MODE`, which PostgreSQL
allows only to roles with UPDATE, DELETE or TRUNCATE. The owner therefore provides
`<schema>.haven_lock_events()`, SECURITY DEFINER, that takes exactly that lock and nothing
else, executable by the writer only; `LeastPrivilegeRecorder` calls it instead. A service
connecting as its writer runs with `service_env()` (CREATE_TABLE off: the tables are
created here, by their owner, and the writer could not replace their functions anyway).

Run it as a superuser (or a role with CREATEROLE that is a member of the owner roles), once
per service at deploy and again after an upgrade that adds tables; it is idempotent:

    haven db grants casework            # print the SQL (review it, or feed it to psql)
    haven db grants casework --apply    # create the store's tables and apply it

Passwords are not set here: `ALTER ROLE haven_casework PASSWORD ...` from the secret store.
The superuser itself can of course still do anything: against it, the signed checkpoints
outside the database (shared.audit_trail.checkpoints).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from psycopg import sql

# Imports of psycopg and the event store are deferred: `haven` registers `db_cli` at
# start-up, before a service process is prepared (shared.process).

LOCK_FUNCTION = "haven_lock_events"
CHECKPOINT_TABLE = "audit_checkpoints"  # shared.audit_trail.checkpoints.TABLE
CHECKPOINT_GUARD = "haven_audit_checkpoints_append_only"
AUDIT_ROLE = "haven_audit"


@dataclass(frozen=True)
class Roles:
    service: str
    schema: str
    database: str
    owner: str
    writer: str
    auditor: str

    @property
    def append_only(self) -> tuple[str, ...]:
        """The tables that hold what happened, and the case index written with them: the
        writer may only add to them."""
        from shared import case_index  # not at import: it imports psycopg (shared.process)

        return (f"{self.service}_events", f"{self.service}_events_chain",
                f"{self.service}_events{case_index.SUFFIX}", f"{self.service}_tracking",
                CHECKPOINT_TABLE)


def roles_for(service: str, cfg: Any, auditor: str = AUDIT_ROLE) -> Roles:
    schema = cfg.schema(service)
    return Roles(service, schema, cfg.postgres_params()["dbname"], f"haven_{schema}_owner",
                 f"haven_{schema}", auditor)


def grant_statements(roles: Roles) -> list[sql.Composed]:
    """The SQL, in order; every statement can run again without harm."""
    from psycopg import sql

    s, owner, writer, auditor = (sql.Identifier(roles.schema), sql.Identifier(roles.owner),
                                 sql.Identifier(roles.writer), sql.Identifier(roles.auditor))
    literal = {"schema": sql.Literal(roles.schema), "owner": sql.Literal(roles.owner),
               "writer": sql.Literal(roles.writer),
               "append_only": sql.SQL("ARRAY[{}]::text[]").format(
                   sql.SQL(", ").join(sql.Literal(t) for t in roles.append_only))}
    events = sql.Identifier(roles.schema, f"{roles.service}_events")
    lock = sql.Identifier(roles.schema, LOCK_FUNCTION)
    statements = [sql.SQL(
        "DO $roles$ BEGIN\n"
        "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {o}) THEN\n"
        "    CREATE ROLE {owner} NOLOGIN; END IF;\n"
        "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {w}) THEN\n"
        "    CREATE ROLE {writer} LOGIN; END IF;\n"
        "  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {a}) THEN\n"
        "    CREATE ROLE {auditor} LOGIN; END IF;\n"
        "END $roles$").format(o=sql.Literal(roles.owner), w=sql.Literal(roles.writer),
                              a=sql.Literal(roles.auditor), owner=owner, writer=writer,
                              auditor=auditor),
        # The writer needs CREATE on the database only because shared.eventstore runs
        # CREATE SCHEMA IF NOT EXISTS at start-up (the schema exists: nothing is created).
        sql.SQL("GRANT CONNECT, CREATE ON DATABASE {} TO {}").format(
            sql.Identifier(roles.database), writer),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            sql.Identifier(roles.database), auditor),
        sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(s),
        sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(s, owner),
        sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(s),
        # Ownership: the record of what happened to the owner, everything else to the writer.
        sql.SQL(
            "DO $owners$ DECLARE r record; BEGIN\n"
            "  FOR r IN SELECT c.relname, c.relkind FROM pg_class c\n"
            "      JOIN pg_namespace n ON n.oid = c.relnamespace\n"
            "      WHERE n.nspname = {schema} AND c.relkind IN ('r', 'p', 'v', 'm')\n"
            "  LOOP\n"
            "    EXECUTE format('ALTER %s %I.%I OWNER TO %I',\n"
            "      CASE r.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'\n"
            "        ELSE 'TABLE' END, {schema}, r.relname,\n"
            "      CASE WHEN r.relname = ANY({append_only}) THEN {owner} ELSE {writer} END);\n"
            "  END LOOP;\n"
            "  FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p\n"
            "      JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = {schema}\n"
            "  LOOP EXECUTE format('ALTER FUNCTION %s OWNER TO %I', r.f, {owner}); END LOOP;\n"
            "  FOR r IN SELECT t.typname FROM pg_type t JOIN pg_namespace n\n"
            "      ON n.oid = t.typnamespace LEFT JOIN pg_class c ON c.oid = t.typrelid\n"
            "      WHERE n.nspname = {schema} AND t.typtype = 'c' AND c.relkind = 'c'\n"
            "  LOOP EXECUTE format('ALTER TYPE %I.%I OWNER TO %I', {schema}, r.typname,\n"
            "    {owner}); END LOOP;\n"
            "END $owners$").format(**literal),
        sql.SQL("CREATE OR REPLACE FUNCTION {lock}() RETURNS void LANGUAGE plpgsql"
                " SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS"
                " $lock$BEGIN LOCK TABLE {events} IN EXCLUSIVE MODE; END$lock$").format(
            lock=lock, events=events),
        sql.SQL("ALTER FUNCTION {}() OWNER TO {}").format(lock, owner),
        sql.SQL("REVOKE ALL ON FUNCTION {}() FROM PUBLIC").format(lock),
        sql.SQL("GRANT EXECUTE ON FUNCTION {}() TO {}").format(lock, writer),
        sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(s, writer),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(s, auditor),
        # Append-only for the writer, whatever was granted before.
        sql.SQL(
            "DO $grants$ DECLARE t text; BEGIN\n"
            "  FOREACH t IN ARRAY {append_only} LOOP\n"
            "    IF to_regclass(format('%I.%I', {schema}, t)) IS NOT NULL THEN\n"
            "      EXECUTE format('REVOKE ALL ON %I.%I FROM PUBLIC, %I', {schema}, t,\n"
            "        {writer});\n"
            "      EXECUTE format('GRANT SELECT, INSERT ON %I.%I TO %I', {schema}, t,\n"
            "        {writer});\n"
            "    END IF;\n"
            "  END LOOP;\n"
            "END $grants$").format(**literal),
        sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(s, writer),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(s, auditor),
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES"
                " TO {}").format(writer, s, auditor),
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES"
                " TO {}").format(owner, s, auditor),
    ]
    return statements


def script(roles: Roles, conn: Any) -> str:
    """The statements as one SQL script (what `haven db grants` prints)."""
    body = ";\n\n".join(statement.as_string(conn) for statement in grant_statements(roles))
    return (f"-- haven db grants {roles.service}: owner {roles.owner}, writer {roles.writer},"
            f" auditor {roles.auditor}\n-- run after the store's tables exist\n{body};\n")


def create_store(service: str, cfg: Any) -> None:
    """Create the service's event store and checkpoint table (as whoever runs this), so
    that the grants can hand them to the owner before the writer ever connects."""
    import psycopg

    from shared.audit_trail.checkpoints import create_postgres_table
    from shared.eventstore import HavenApplication, _conninfo

    store = type("Store", (HavenApplication,), {"name": service})(cfg)
    store.close()
    with psycopg.connect(_conninfo(cfg)) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))",
                     (f"{cfg.schema(service)}.{CHECKPOINT_TABLE}",))
        create_postgres_table(conn, cfg.schema(service))


def apply(roles: Roles, cfg: Any) -> None:
    """Create the store (if missing) and apply the grants, in one transaction."""
    import psycopg

    from shared.eventstore import _conninfo

    create_store(roles.service, cfg)
    with psycopg.connect(_conninfo(cfg)) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (roles.schema,))
        for statement in grant_statements(roles):
            conn.execute(statement)


@cache
def _least_privilege_recorder() -> type:
    from psycopg import sql

    from shared.eventstore import ChainedPostgresRecorder

    class LeastPrivilegeRecorder(ChainedPostgresRecorder):
        """Takes the insert lock through the owner's `haven_lock_events()`: the writer holds
        no privilege that allows the EXCLUSIVE lock by itself (they would allow UPDATE)."""

        def __init__(self, *args: Any, **kwargs: Any):
            super().__init__(*args, **kwargs)
            self.lock_table_statements = [
                *self.lock_table_statements[:-1],
                sql.SQL("SELECT {}()").format(sql.Identifier(self.datastore.schema,
                                                             LOCK_FUNCTION)),
            ]

    LeastPrivilegeRecorder.__module__ = __name__
    LeastPrivilegeRecorder.__qualname__ = "LeastPrivilegeRecorder"
    return LeastPrivilegeRecorder


def __getattr__(name: str) -> Any:
    """`shared.db_roles:LeastPrivilegeRecorder` (eventsourcing's topic), made on first use."""
    if name == "LeastPrivilegeRecorder":
        return _least_privilege_recorder()
    raise AttributeError(name)


def service_env() -> dict[str, str]:
    """eventsourcing settings for a service that connects as its writer role."""
    return {"CREATE_TABLE": "n",
            "PROCESS_RECORDER_TOPIC": f"{__name__}:LeastPrivilegeRecorder"}


# -- the command line -------------------------------------------------------------------
@click.group("db")
def db_cli() -> None:
    """PostgreSQL roles and grants: services cannot rewrite their own history."""


@db_cli.command()
@click.argument("service")
@click.option("--apply", "do_apply", is_flag=True,
              help="Create the store's tables and apply the grants (superuser credentials"
                   " in HAVEN_POSTGRES_URL); without it, print the SQL.")
@click.option("--audit-role", default=AUDIT_ROLE, show_default=True,
              help="The read-only role of the audit tools.")
def grants(service: str, do_apply: bool, audit_role: str) -> None:
    """Roles and grants for SERVICE's store: owner, writer (append-only), auditor."""
    import psycopg

    from shared.config import settings
    from shared.eventstore import _conninfo

    cfg = settings()
    if cfg.store != "postgres":
        raise click.UsageError("roles are PostgreSQL's: HAVEN_STORE is not postgres")
    roles = roles_for(service, cfg, audit_role)
    if do_apply:
        apply(roles, cfg)
        click.echo(f"{service}: schema {roles.schema} owned by {roles.owner}; connect the"
                   f" service as {roles.writer} (append-only), the audit tools as"
                   f" {roles.auditor} (read-only)")
        return
    with psycopg.connect(_conninfo(cfg)) as conn:
        click.echo(script(roles, conn))
