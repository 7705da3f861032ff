"""Haven's event store: eventsourcing Applications with audit metadata,
per-subject encryption of personal data, hash chains and idempotent tracking.

One base class, `HavenApplication`, is all a service needs:

    class Intake(HavenApplication):
        name = "intake"

It stores in PostgreSQL (schema = service name) or, in embedded mode, in
SQLite under HAVEN_DATA_DIR.
"""

from __future__ import annotations

import atexit
import copy
import logging
import random
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from functools import cache, cached_property
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import psycopg
from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    Repository,
)
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import (
    EventStore,
    IntegrityError,
    InterfaceError,
    Mapper,
    OperationalError,
    StoredEvent,
    Tracking,
)
from eventsourcing.postgres import PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteProcessRecorder
from eventsourcing.utils import get_topic, resolve_topic, retry
from psycopg import sql

from shared import case_index, chain, deadline
from shared.audit import CommandContext, acting_as, current_context
from shared.config import Settings, settings
from shared.contracts import Publications
from shared.crypto import KeyVault, SealedText, is_sealed, seal_context
from shared.db_roles import service_env
from shared.errors import NotFound
from shared.keystore import PostgresKeyStore, SQLiteKeyStore
from shared.messaging import IntegrationEvent
from shared.wakeup import store_signal

log = logging.getLogger(__name__)
AUDIT_KEY = "_audit"
MAX_ATTEMPTS = 25  # concurrent writers each lose at most once per winner: 25 is ample
A = TypeVar("A")
T = TypeVar("T")


# -- personal data declarations ---------------------------------------------
@cache
def personal_data_of(event_cls: Any) -> dict[str, str]:
    """{field: subject attribute} declared by the aggregate that owns the event class.

    Aggregates declare `PERSONAL_DATA = {"summary": "id", "person": "person_subject_id"}`:
    each personal field and the attribute naming its data subject ("id" = the aggregate).
    """
    owner = _owner_of(event_cls)
    return dict(getattr(owner, "PERSONAL_DATA", {}) or {}) if owner is not None else {}


def _owner_of(event_cls: Any) -> Any:
    owner: Any = sys.modules[event_cls.__module__]
    for part in event_cls.__qualname__.split(".")[:-1]:
        owner = getattr(owner, part, None)
        if owner is None:
            return None
    return owner


@cache
def _declared(event_cls: Any, topic: str) -> tuple[str, dict[str, str]]:
    """(aggregate name, personal fields) of an event; a snapshot names its aggregate."""
    if issubclass(event_cls, Snapshot):
        if not topic:
            return "", {}
        aggregate = resolve_topic(topic)
        return aggregate.__qualname__, dict(getattr(aggregate, "PERSONAL_DATA", {}) or {})
    owner = _owner_of(event_cls)
    return getattr(owner, "__qualname__", ""), personal_data_of(event_cls)


def reason_context(service: str) -> str:
    """Where an audit reason's free text is sealed (under the subject of its event)."""
    return seal_context(service, AUDIT_KEY, "reason_detail")


def _subject(state: dict[str, Any], attribute: str, originator_id: Any) -> Any:
    if attribute == "id":
        return originator_id
    return state.get(attribute) or state.get("_" + attribute)


def _each(value: Any, seal: Any) -> Any:
    """Lists are sealed element by element, so an erased list still has its length and
    stays a list: aggregates that append to it keep working after erasure."""
    return [seal(v) for v in value] if isinstance(value, list) else seal(value)


# -- mapper ---------------------------------------------------------------
class HavenMapper(Mapper[UUID]):
    """Seals personal data and stamps audit metadata on the way in; the reverse on the way out.

    Each sealed value is bound (associated data) to this service, its aggregate, its field
    and its subject, so it opens only where it was written.
    """

    service: str = ""
    vault: KeyVault | None = None
    unseal_on_read: bool = True
    publishes: Publications | None = None  # checked before an event is stored

    def _seal(self, state: dict[str, Any], aggregate: str, fields: dict[str, str],
              originator_id: Any) -> None:
        vault = self.vault
        assert vault is not None
        for name, subject_attr in fields.items():
            for key in (name, "_" + name):
                if state.get(key) is not None:
                    subject = _subject(state, subject_attr, originator_id)
                    where = seal_context(self.service, aggregate, name)
                    state[key] = _each(state[key],
                                       lambda v, s=subject, w=where: vault.seal(s, v, w))

    def _unseal(self, state: dict[str, Any], aggregate: str, fields: dict[str, str]) -> None:
        for name in fields:
            where = seal_context(self.service, aggregate, name)
            for key in (name, "_" + name):
                if key in state:
                    state[key] = _each(state[key], lambda v, w=where: self._open(v, w))

    def _open(self, value: Any, where: str) -> Any:
        if not is_sealed(value):
            return value
        if self.unseal_on_read and self.vault is not None:
            return self.vault.unseal(value, where)
        return SealedText(value, where)  # still sealed, and knows where it belongs

    def _personal(self, event_cls: Any, state: dict[str, Any]) -> tuple[str, dict[str, str]]:
        topic = state.get("topic", "") if issubclass(event_cls, Snapshot) else ""
        return _declared(event_cls, topic)

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        ctx = current_context()  # refuses a command without an authenticated actor
        event_state = dict(vars(domain_event))
        originator_id = event_state.pop("originator_id")
        originator_version = event_state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            event_state["class_version"] = class_version
        aggregate, fields = self._personal(type(domain_event), event_state)
        personal = event_state
        if issubclass(type(domain_event), Snapshot):
            personal = event_state["state"] = dict(event_state["state"])
        if fields:
            self._seal(personal, aggregate, fields, originator_id)
        if self.publishes is not None:
            # As the relay will see it (sealed): what consumers cannot accept is refused
            # here, before anything is written, naming the field.
            self.publishes.check(domain_event, event_state)
        event_state[AUDIT_KEY] = self._audit(ctx, personal, fields, originator_id)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=self.transcoder.encode(event_state),
        )

    def _audit(self, ctx: CommandContext, state: dict[str, Any], fields: dict[str, str],
               originator_id: Any) -> dict[str, Any]:
        """Who, when and why. The why's free text may name the person: it is kept only
        sealed under the event's own data subject, and not at all where there is none."""
        audit = ctx.metadata(self.service)
        text = audit.pop("reason_detail", None)
        subjects = [_subject(state, attr, originator_id) for attr in fields.values()]
        subject = next((s for s in subjects if s), None)
        if text and subject and self.vault is not None:
            audit["reason_detail"] = self.vault.seal(subject, text,
                                                     reason_context(self.service))
        return audit

    def decode_state(self, stored: StoredEvent) -> dict[str, Any]:
        """The stored state as a dict, personal data still sealed, audit included."""
        return self.transcoder.decode(stored.state)

    def audit_of(self, stored: StoredEvent) -> dict[str, Any]:
        return dict(self.decode_state(stored).get(AUDIT_KEY) or {})

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        cls = resolve_topic(stored_event.topic)
        event_state = self.transcoder.decode(stored_event.state)
        event_state.pop(AUDIT_KEY, None)
        aggregate, fields = self._personal(cls, event_state)
        if fields:
            self._unseal(event_state["state"] if issubclass(cls, Snapshot) else event_state,
                         aggregate, fields)
        event_state["originator_id"] = stored_event.originator_id
        event_state["originator_version"] = stored_event.originator_version
        class_version = getattr(cls, "class_version", 1)
        from_version = event_state.pop("class_version", 1)
        while from_version < class_version:
            getattr(cls, f"upcast_v{from_version}_v{from_version + 1}")(event_state)
            from_version += 1
        domain_event = object.__new__(cls)
        object.__setattr__(domain_event, "__dict__", event_state)
        return domain_event


# -- recorders with hash chains -------------------------------------------
def chain_rows(
    prev_log: bytes,
    prev_streams: dict[str, bytes],
    stored_events: Sequence[StoredEvent],
    notification_ids: Sequence[int],
) -> list[tuple[int, str, int, bytes, bytes]]:
    rows = []
    for stored, nid in zip(stored_events, notification_ids, strict=True):
        oid = _oid(stored.originator_id)
        s_hash = chain.stream_hash(prev_streams.get(oid, chain.GENESIS), stored.originator_id,
                                   stored.originator_version, stored.topic, stored.state)
        prev_streams[oid] = s_hash
        prev_log = chain.log_hash(prev_log, nid, s_hash)
        rows.append((nid, oid, stored.originator_version, s_hash, prev_log))
    return rows


def _oid(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else str(originator_id)


class ChainedPostgresRecorder(PostgresProcessRecorder):
    """Writes each event's stream and log hashes in the same transaction, under the
    recorder's exclusive table lock, so the log chain follows commit order."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # eventsourcing NOTIFYs this channel in each insert's own transaction (the relay
        # LISTENs); its default, the table's name, is shared by every schema: one per store.
        self.channel_name = f"{self.datastore.schema}.{self.events_table_name}"[:63]

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent],
                      **kwargs: Any) -> Sequence[int] | None:
        """eventsourcing's own insert, except that an error raised while chaining or
        indexing rolls the transaction back. eventsourcing holds any exception until after
        its transaction block, which then commits: a database error had already aborted
        the transaction, but a Python one (a bug in chain_rows, say) stored the events
        without their chain rows."""
        if self.datastore.enable_db_functions or not stored_events:
            return super().insert_events(stored_events, **kwargs)
        failed: psycopg.Error | None = None
        ids: Sequence[int] | None = None
        with self.datastore.get_connection() as conn:
            with conn.pipeline() as pipeline, conn.transaction():
                try:
                    with conn.cursor() as curs:
                        self._insert_events(curs, stored_events, **kwargs)
                    with conn.cursor() as curs:
                        self._insert_stored_events(curs, stored_events, **kwargs)
                        pipeline.sync()  # a duplicate (id, version) or tracking raises here
                        ids = self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
                except psycopg.Error as exc:
                    failed = exc  # raised outside the pipeline, as eventsourcing does
                    # ... but first end the pipeline's aborted state. On a busy machine the
                    # error can arrive while a later statement is sent, before the sync
                    # above: the transaction's COMMIT then joined the aborted statements
                    # and raised PipelineAborted, an OperationalError, instead of this
                    # error (a redelivered message's tracking row: an IntegrityError).
                    with suppress(psycopg.Error):
                        pipeline.sync()
            if failed is not None:
                raise failed
        return ids

    @property
    def chain_table(self) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.datastore.schema),
                                       sql.Identifier(self.events_table_name + "_chain"))

    def create_table(self) -> None:
        super().create_table()
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (notification_id bigint PRIMARY KEY,"
                " originator_id text NOT NULL, originator_version bigint NOT NULL,"
                " stream_hash bytea NOT NULL, log_hash bytea NOT NULL)").format(self.chain_table))
            curs.execute(sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (originator_id,"
                                 " originator_version)").format(
                sql.Identifier(self.events_table_name + "_chain_stream_idx"), self.chain_table))
        case_index.create_postgres(self)  # filled from the events of a store older than it

    def _fetch_ids_after_insert_events(self, curs: Any, stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert ids is not None
        curs.execute(sql.SQL("SELECT log_hash FROM {} ORDER BY notification_id DESC LIMIT 1")
                     .format(self.chain_table))
        row = curs.fetchone()
        prev_log = bytes(row["log_hash"]) if row else chain.GENESIS
        # Streams that start in this batch have no previous hash: skip the query (and
        # its round trip under the table lock) when every event begins a stream.
        oids = sorted({_oid(s.originator_id) for s in stored_events
                       if s.originator_version != 1})
        prev_streams: dict[str, bytes] = {}
        if oids:
            # Each stream's last entry, straight from the end of its index: DISTINCT ON over
            # the same streams read and sorted every version first, so a long stream (the
            # year's numbering, 10,000 cases in: 15 ms under the table lock) slowed every
            # insert as it grew.
            curs.execute(sql.SQL(
                "SELECT o.id AS originator_id, c.stream_hash FROM unnest(%s::text[]) AS o(id)"
                " CROSS JOIN LATERAL (SELECT stream_hash FROM {} WHERE originator_id = o.id"
                " ORDER BY originator_version DESC LIMIT 1) c").format(self.chain_table),
                (oids,))
            prev_streams = {r["originator_id"]: bytes(r["stream_hash"]) for r in curs.fetchall()}
        rows = chain_rows(prev_log, prev_streams, stored_events, ids)
        curs.executemany(sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s)")
                         .format(self.chain_table), rows)
        case_index.write_postgres(curs, self, stored_events, ids)  # same transaction
        return ids


class ChainedSQLiteRecorder(SQLiteProcessRecorder):
    @property
    def chain_table(self) -> str:
        return self.events_table_name + "_chain"

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(),
                f"CREATE TABLE IF NOT EXISTS {self.chain_table} (notification_id INTEGER"
                " PRIMARY KEY, originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL,"
                " stream_hash BLOB NOT NULL, log_hash BLOB NOT NULL)",
                f"CREATE INDEX IF NOT EXISTS {self.chain_table}_stream_idx ON {self.chain_table}"
                " (originator_id, originator_version)",
                *case_index.sqlite_statements(self.events_table_name)]

    def create_table(self) -> None:
        existed = case_index.sqlite_index_existed(self)
        super().create_table()
        case_index.create_sqlite(self, existed)  # filled from the events of an older store

    def _insert_events(self, c: Any, stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        assert ids is not None
        c.execute(f"SELECT log_hash FROM {self.chain_table} ORDER BY notification_id DESC LIMIT 1")
        row = c.fetchone()
        prev_log = bytes(row[0]) if row else chain.GENESIS
        prev_streams: dict[str, bytes] = {}
        for oid in {_oid(s.originator_id) for s in stored_events}:
            c.execute(f"SELECT stream_hash FROM {self.chain_table} WHERE originator_id = ?"
                      " ORDER BY originator_version DESC LIMIT 1", (oid,))
            found = c.fetchone()
            if found:
                prev_streams[oid] = bytes(found[0])
        rows = chain_rows(prev_log, prev_streams, stored_events, ids)
        c.executemany(f"INSERT INTO {self.chain_table} VALUES (?, ?, ?, ?, ?)", rows)
        case_index.write_sqlite(c, self.events_table_name, stored_events, ids)  # same transaction
        return ids


# -- application -------------------------------------------------------------
_vaults: dict[tuple[str, str], KeyVault] = {}
_vaults_lock = threading.Lock()  # green under eventlet: services in one process set up at once


def key_vault(cfg: Settings) -> KeyVault:
    """One vault per store per process: the subject keys are shared by every service,
    so that shredding a subject once makes it unreadable everywhere."""
    where = _vault_place(cfg)
    with _vaults_lock:
        return _vault_for(cfg, where)


def close_key_vault(cfg: Settings) -> None:
    """Close this process's vault of `cfg`'s key store, if it opened one: for a store that
    ends before the process does (a test's own schemas), so that its pool of connections
    and threads does not stay open until exit. A later `key_vault(cfg)` opens a new one."""
    where = _vault_place(cfg)
    with _vaults_lock:
        vault = _vaults.pop((cfg.store, where), None)
    if vault is not None:
        vault.close()


def _vault_place(cfg: Settings) -> str:
    return _conninfo(cfg, cfg.keys_postgres_url) + "|" + cfg.schema("keys") \
        if cfg.store == "postgres" else str(cfg.sqlite_path("keys"))


def _vault_for(cfg: Settings, where: str) -> KeyVault:
    found = _vaults.get((cfg.store, where))
    if found is None:
        if cfg.store == "postgres":
            store: Any = PostgresKeyStore(_conninfo(cfg, cfg.keys_postgres_url),
                                          cfg.schema("keys"), cfg.postgres_pool_size)
        else:
            store = SQLiteKeyStore(cfg.sqlite_path("keys"))
        found = _vaults[(cfg.store, where)] = KeyVault(store, cfg.master_key,
                                                       cfg.previous_master_keys)
        atexit.register(store.close)  # before eventlet's hub goes away with the interpreter
    return found


def _conninfo(cfg: Settings, url: str | None = None) -> str:
    p = cfg.postgres_params(url)
    return (f"dbname={p['dbname']} host={p['host']} port={p['port']} user={p['user']}"
            + (f" password={p['password']}" if p["password"] else ""))


def store_env(service: str, cfg: Settings) -> dict[str, str]:
    """eventsourcing's environment for one service's store."""
    if cfg.store == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(cfg.sqlite_path(service)),
            "SQLITE_LOCK_TIMEOUT": "30",
            # One tracking row per handled message: messages arrive out of order
            # (retries, parallel workers), so "the highest id seen" is not enough.
            "SINGLE_ROW_TRACKING": "f",
            "PROCESS_RECORDER_TOPIC": get_topic(ChainedSQLiteRecorder),
        }
    p = cfg.postgres_params()
    least = service_env() if cfg.postgres_least_privilege else {}
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": p["dbname"], "POSTGRES_HOST": p["host"],
        "POSTGRES_PORT": p["port"], "POSTGRES_USER": p["user"],
        "POSTGRES_PASSWORD": p["password"], "POSTGRES_SCHEMA": cfg.schema(service),
        "POSTGRES_POOL_SIZE": str(cfg.postgres_pool_size),
        "POSTGRES_MAX_OVERFLOW": str(cfg.postgres_pool_size),
        "POSTGRES_LOCK_TIMEOUT": "10",
        "SINGLE_ROW_TRACKING": "f",
        "PROCESS_RECORDER_TOPIC": get_topic(ChainedPostgresRecorder),
        **least,  # a writer role: tables made by their owner, inserts locked through it
    }


def ensure_schema(cfg: Settings, schema: str) -> None:
    with schema_lock(cfg, schema) as conn:
        _create_schema(conn, schema)


def _create_schema(conn: Any, schema: str) -> None:
    """CREATE SCHEMA only where it is missing: PostgreSQL refuses even `IF NOT EXISTS`
    to a role without CREATE on the database, such as a service's writer role."""
    if conn.execute("SELECT to_regnamespace(%s)", (schema,)).fetchone()[0] is None:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def serialise_ddl(curs: Any, schema: str) -> None:
    """Inside a transaction: wait until no other process changes `schema`'s tables (the key
    `schema_lock` holds), until this transaction ends. CREATE ... IF NOT EXISTS alone still
    collides when two processes of a service start together."""
    curs.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (schema,))


@contextmanager
def schema_lock(cfg: Settings, schema: str) -> Iterator[Any]:
    """Serialise DDL on one schema across processes: a service and its relay start
    together, and two concurrent CREATE ... IF NOT EXISTS can still collide."""
    import psycopg

    with psycopg.connect(_conninfo(cfg), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (schema,))
        try:
            yield conn
        finally:
            conn.execute("SELECT pg_advisory_unlock(hashtext(%s))", (schema,))


_saved = threading.local()  # per worker (green under eventlet)


def last_saved_tracking() -> tuple[str, Tracking] | None:
    """(application, tracking row) this worker's last save recorded with its events: a
    consumer need not ask the database whether the message it just handled was recorded."""
    return getattr(_saved, "tracking", None)


class HavenApplication(Application[UUID]):
    """Base of every service's application: audited, sealed, chained, idempotent."""

    name = ""  # each service sets its own; it names its schema and tables
    env: ClassVar[dict[str, str]] = {"COMPRESSOR_TOPIC": ""}  # noqa: RUF012
    # The integration events it publishes, under their contracts (shared.contracts).
    publishes: ClassVar[Publications | None] = None
    views: Any = None  # its read models' queries, attached by shared.bootstrap
    # The one place a service reads the time: domains take it as an argument, and a test
    # replaces this to move time on.
    clock: Callable[[], datetime] = staticmethod(lambda: datetime.now(UTC))

    def __init__(self, cfg: Settings | None = None, env: dict[str, str] | None = None):
        self.settings = cfg or settings()
        self.vault = key_vault(self.settings)
        store = {**store_env(self.name, self.settings), **(env or {})}
        if self.settings.store != "postgres":
            super().__init__(store)
            return
        schema = self.settings.schema(self.name)
        with schema_lock(self.settings, schema) as conn:
            _create_schema(conn, schema)
            super().__init__(store)  # creates the tables

    def construct_recorder(self) -> Any:
        return self.factory.process_recorder()

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = HavenMapper(transcoder=self.construct_transcoder())
        mapper.service = self.name
        mapper.vault = self.vault
        mapper.publishes = self.publishes
        return mapper

    def save(self, *objs: Any, ctx: CommandContext | None = None,  # type: ignore[override]
             tracking: Tracking | None = None, **kwargs: Any) -> Any:
        """Store the aggregates' new events atomically, stamped with who, when and why.

        `tracking` records (source service, notification id) of the message being
        handled in the same transaction: a redelivered message cannot act twice.
        """
        if ctx is None:
            ctx = current_context()
        with acting_as(ctx):
            processing_event: ProcessingEvent[UUID] = ProcessingEvent(tracking=tracking)
            processing_event.collect_events(*objs, **kwargs)
            deadline.check()  # the caller was told "not carried out": store nothing
            recordings = self._record(processing_event)
            if tracking is not None:
                _saved.tracking = (self.name, tracking)
            self._take_snapshots(processing_event)
            self._notify(recordings)
        if recordings:
            store_signal(self.name).fire()  # this process's relay and projections look now
        return recordings

    # -- loading ---------------------------------------------------------------------
    @cached_property
    def sealed(self) -> Repository[UUID]:
        """A second way in that leaves personal data sealed: for writes and for readers
        without access, so that they never decrypt what they must not see."""
        mapper = copy.copy(self.mapper)
        assert isinstance(mapper, HavenMapper)
        mapper.unseal_on_read = False
        return Repository(EventStore(mapper, self.recorder))

    def find(self, kind: type[A], aggregate_id: UUID | str, *, sealed: bool = False) -> A | None:
        """The aggregate of that kind, or None (no such id, or an aggregate of another kind)."""
        repository = self.sealed if sealed else self.repository
        try:
            found: Any = repository.get(UUID(str(aggregate_id)))
        except (AggregateNotFoundError, ValueError):
            return None
        return found if isinstance(found, kind) else None

    def load(self, kind: type[A], aggregate_id: UUID | str, *, sealed: bool = False) -> A:
        found = self.find(kind, aggregate_id, sealed=sealed)
        if found is None:
            raise NotFound(f"no {kind.__name__} {aggregate_id}")
        return found

    def retrying(self, attempt: Callable[[], T], tracking: Tracking | None = None) -> T:
        """Run `attempt` (load, decide, save) again on a concurrent change, a bounded
        number of times, from fresh state: the losing transaction stored nothing."""
        for n in range(1, MAX_ATTEMPTS + 1):
            try:
                return attempt()
            except IntegrityError:
                if n == MAX_ATTEMPTS or (tracking is not None and self.has_handled(
                        tracking.application_name, tracking.notification_id)):
                    raise
                # Expected when replicas change one aggregate at once: the store refused the
                # later save, nothing was stored, and the attempt runs again from fresh state.
                log.info("%s: concurrent change, attempt %d of %d starts over",
                         self.name, n, MAX_ATTEMPTS)
                time.sleep(random.uniform(0, 0.004 * n))  # noqa: S311 - jitter, not secrets
        raise AssertionError("unreachable")

    def to_integration_event(self, domain_event: Any) -> IntegrationEvent | None:
        """The integration event this domain event publishes, or None if it stays inside.

        `domain_event` arrives with personal data still sealed (the relay never unseals).
        """
        return None if self.publishes is None else self.publishes.integration_event(domain_event)

    def has_handled(self, source: str, notification_id: int) -> bool:
        """Whether exactly this message was handled (not merely a later one)."""
        from shared.consumers import has_handled

        return has_handled(self, Tracking(source, notification_id))
