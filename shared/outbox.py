"""The transactional outbox relay: a service's notification log -> its `<service>.events` exchange.

Integration events leave a service only here, never from the request path: a crash
between "save" and "publish" would otherwise lose the event. The relay reads the
notifications after its durably recorded position, publishes a batch with publisher
confirms, and only then records the new position. A crash in between republishes the
batch, which idempotent consumers (shared.consumers) absorb: at-least-once delivery,
exactly-once effect.

Personal data stays sealed: the relay decodes events with its own mapper whose
`unseal_on_read` is off, so what `to_integration_event` sees -- and what reaches the
broker -- is ciphertext ("pd1:..."), never plaintext.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sqlite3
import ssl
import threading
import time
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, cast
from uuid import UUID

import kombu
import pika
import psycopg
from eventsourcing.persistence import Notification
from psycopg import sql

from shared.config import Settings
from shared.eventstore import HavenApplication, HavenMapper, _conninfo, serialise_ddl
from shared.messaging import Envelope
from shared.metrics import OUTBOX_BACKLOG, OUTBOX_PUBLISHED
from shared.wakeup import Signal, store_signal

log = logging.getLogger(__name__)

Message = tuple[str, bytes]  # (routing key = event type, JSON body)
CONTENT_TYPE = "application/json"
PERSISTENT = 2


# -- publishers ----------------------------------------------------------------
class Publisher(Protocol):
    def publish(self, exchange: str, messages: Sequence[Message]) -> None:
        """Publish every message; return only once the broker has confirmed them all."""

    def keep_alive(self) -> None:
        """Called while there is nothing to publish: keep the connection alive."""

    def keep_alive_every(self) -> float:
        """How long the relay may sleep between two keep_alive() calls."""

    def close(self) -> None: ...


def _publisher_user(cfg: Settings | None, exchange: str) -> str:
    """Who publishes to `<service>.events`: the service's broker user. RabbitMQ refuses a
    user_id other than the connection's own user, and consumers refuse any other."""
    from shared.config import settings

    return (cfg or settings()).broker_user(exchange.removesuffix(".events"))


def tls_options(cfg: Settings, host: str) -> pika.SSLOptions:
    """amqps://: the broker's certificate checked against HAVEN_AMQP_CA_FILE (default: the
    system's CAs) and its host name; a client certificate if one is configured."""
    context = ssl.create_default_context(cafile=cfg.amqp_ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if cfg.amqp_cert_file:
        context.load_cert_chain(cfg.amqp_cert_file, cfg.amqp_key_file or None)
    return pika.SSLOptions(context, server_hostname=host)


class PikaPublisher:
    """RabbitMQ through pika with publisher confirms (BlockingChannel.confirm_delivery):
    basic_publish returns once the broker has taken responsibility for the message,
    and raises if it nacks. Each message carries the publishing service's broker user as
    its `user_id`, which RabbitMQ checks against the user this connection logged in as."""

    def __init__(self, amqp_uri: str, connection_name: str = "haven-relay",
                 cfg: Settings | None = None):
        self._cfg = cfg
        self._params = pika.URLParameters(amqp_uri)
        self._params.blocked_connection_timeout = 30  # a blocked broker must not hang us forever
        self._params.client_properties = {"connection_name": connection_name}  # for ops' eyes
        if self._params.ssl_options is not None and cfg is not None:
            self._params.ssl_options = tls_options(cfg, self._params.host)
        self._connection: pika.BlockingConnection | None = None
        self._channel: Any = None
        self._declared: set[str] = set()

    def _open(self) -> Any:
        if self._connection is None or not self._connection.is_open:
            self._connection = pika.BlockingConnection(self._params)
            self._channel = self._connection.channel()
            self._channel.confirm_delivery()
            self._declared.clear()
        return self._channel

    def publish(self, exchange: str, messages: Sequence[Message]) -> None:
        try:
            channel = self._open()
            if exchange not in self._declared:
                # The same declaration as nameko.events.get_event_exchange: a mismatch
                # would make RabbitMQ refuse one side with PRECONDITION_FAILED.
                channel.exchange_declare(exchange, exchange_type="topic", durable=True)
                self._declared.add(exchange)
            props = pika.BasicProperties(content_type=CONTENT_TYPE, content_encoding="utf-8",
                                         delivery_mode=PERSISTENT,
                                         user_id=_publisher_user(self._cfg, exchange))
            for routing_key, body in messages:
                channel.basic_publish(exchange, routing_key, body, properties=props)
        except Exception:
            self.close()  # next attempt starts from a fresh connection
            raise

    def keep_alive(self) -> None:
        """Answer the broker's heartbeats. A BlockingConnection does only while it is
        used: a relay idle for two heartbeat intervals (two minutes by default) was dropped
        by the broker, and its next batch failed once before it reconnected."""
        if self._connection is None or not self._connection.is_open:
            return
        try:
            self._connection.process_data_events(time_limit=0)
        except Exception:  # noqa: BLE001 - lost: the next publish opens a new connection
            self.close()

    def keep_alive_every(self) -> float:
        """Half the heartbeat asked for (RabbitMQ's 60 s when none is): an idle relay woken
        only by notifications must still answer the broker in time."""
        heartbeat = self._params.heartbeat
        return (heartbeat if isinstance(heartbeat, int | float) and heartbeat > 0
                else _BROKER_HEARTBEAT) / 2

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(Exception):
                connection.close()


class KombuPublisher:
    """Any kombu transport; embedded mode uses `memory://`, which pika cannot reach.
    The body is already JSON, so kombu sends it as is with its content type."""

    def __init__(self, amqp_uri: str, cfg: Settings | None = None):
        self._connection = kombu.Connection(amqp_uri)
        self._cfg = cfg

    def publish(self, exchange: str, messages: Sequence[Message]) -> None:
        # The declaration nameko.events.get_event_exchange makes for "<service>.events".
        target = kombu.Exchange(exchange, type="topic", durable=True, delivery_mode=PERSISTENT)
        producer = self._connection.Producer()
        for routing_key, body in messages:
            producer.publish(body, exchange=target, routing_key=routing_key, declare=[target],
                             content_type=CONTENT_TYPE, content_encoding="utf-8",
                             delivery_mode=PERSISTENT, retry=True,
                             user_id=_publisher_user(self._cfg, exchange))

    def keep_alive(self) -> None:
        """kombu's producer reconnects on publish (retry=True): nothing to keep."""

    def keep_alive_every(self) -> float:
        return float("inf")

    def close(self) -> None:
        self._connection.release()


def make_publisher(amqp_uri: str, connection_name: str = "haven-relay",
                   cfg: Settings | None = None) -> Publisher:
    if amqp_uri.startswith(("amqp://", "amqps://", "pyamqp://")):
        return PikaPublisher(amqp_uri.replace("pyamqp://", "amqp://", 1), connection_name, cfg)
    return KombuPublisher(amqp_uri, cfg)


# -- the relay's position, in the service's own store ----------------------------
class _PostgresPosition:
    """One row per relay, locked FOR UPDATE SKIP LOCKED for a whole batch: a second relay
    of the same service (rolling update, extra replica) skips the round instead of
    publishing the same notifications again. The lock dies with the connection."""

    def __init__(self, app: HavenApplication, name: str):
        self._conninfo = _conninfo(app.settings)
        self._schema = app.settings.schema(app.name)
        self._table = sql.Identifier(self._schema, "outbox_position")
        self._name = name
        self._conn: psycopg.Connection[Any] | None = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            # Bounded waits: a stuck statement fails the batch (and is retried) instead of
            # hanging the relay; the batch lock itself is never waited for (SKIP LOCKED).
            conn = psycopg.connect(self._conninfo,
                                   options="-c lock_timeout=10s -c statement_timeout=30s")
            try:
                self._create(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _create(self, conn: psycopg.Connection[Any]) -> None:
        # Replicas starting together would collide on CREATE TABLE IF NOT EXISTS (seen:
        # "duplicate key value violates unique constraint pg_type_typname_nsp_index").
        serialise_ddl(conn, self._schema)
        conn.execute(sql.SQL("CREATE TABLE IF NOT EXISTS {} (name text PRIMARY KEY,"
                             " position bigint NOT NULL,"
                             " updated_at timestamptz NOT NULL DEFAULT now())")
                     .format(self._table))
        conn.execute(sql.SQL("INSERT INTO {} (name, position) VALUES (%s, 0)"
                             " ON CONFLICT (name) DO NOTHING").format(self._table),
                     (self._name,))
        conn.commit()

    def peek(self) -> int:
        conn = self._connection()
        row = conn.execute(sql.SQL("SELECT position FROM {} WHERE name = %s")
                           .format(self._table), (self._name,)).fetchone()
        conn.rollback()
        return int(row[0]) if row else 0

    def begin(self) -> int | None:
        row = self._connection().execute(
            sql.SQL("SELECT position FROM {} WHERE name = %s FOR UPDATE SKIP LOCKED")
            .format(self._table), (self._name,)).fetchone()
        return None if row is None else int(row[0])

    def commit(self, position: int) -> None:
        conn = self._connection()
        conn.execute(sql.SQL("UPDATE {} SET position = %s, updated_at = now() WHERE name = %s")
                     .format(self._table), (position, self._name))
        conn.commit()

    def rollback(self) -> None:
        if self._conn is not None and not self._conn.closed:
            with contextlib.suppress(psycopg.Error):
                self._conn.rollback()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()


class _SQLitePosition:
    """Embedded mode: one process, one relay per service, so no lock is needed -- and none
    is taken, because holding a write lock on the service's file while publishing would
    stall the service's own writers."""

    def __init__(self, app: HavenApplication, name: str):
        self._path = str(app.settings.sqlite_path(app.name))
        self._name = name
        with self._connect() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS outbox_position (name TEXT PRIMARY KEY,"
                         " position INTEGER NOT NULL, updated_at TEXT NOT NULL)")
            conn.execute("INSERT OR IGNORE INTO outbox_position VALUES (?, 0, datetime('now'))",
                         (name,))

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=30, isolation_level=None)

    def peek(self) -> int:
        with contextlib.closing(self._connect()) as conn:
            row = conn.execute("SELECT position FROM outbox_position WHERE name = ?",
                               (self._name,)).fetchone()
        return int(row[0]) if row else 0

    def begin(self) -> int | None:
        return self.peek()

    def commit(self, position: int) -> None:
        with contextlib.closing(self._connect()) as conn:
            conn.execute("UPDATE outbox_position SET position = ?, updated_at = datetime('now')"
                         " WHERE name = ?", (position, self._name))

    def rollback(self) -> None:
        pass

    def close(self) -> None:
        pass


# At most 5 s between tries: a broker back after an outage is used within seconds (at
# 30 s, the first referral after a 23 s restart took 21 s to reach casework).
_INITIAL_DELAY, _MAX_DELAY = 0.5, 5.0
# With LISTEN/NOTIFY the relay looks again on each commit; this poll is only the fallback:
# a notification ever missed delays its event by at most this much, it never loses it.
FALLBACK_INTERVAL = 5.0
# Under load, the least time between the starts of two batches woken by commits: each batch
# is a round of queries, and a batch per commit cost the relay twice its CPU per event
# (measured at 8 clients: 1.5 -> 3.4 ms; a 30 ms gap still 2.1 ms). 50 ms batches as the old
# poll did; an event after a quiet spell still goes at once.
BATCH_GAP = 0.05
_LISTEN_TICK = 1.0  # how often a listener looks whether it was closed
_BROKER_HEARTBEAT = 60.0  # RabbitMQ's default, when the URI asks for none


# -- wake-ups from other processes' commits ---------------------------------------
class CommitListener:
    """LISTENs on a store's notification channel, which the recorder NOTIFYs in the same
    transaction as every event insert, and fires `signal` on each notification: a relay
    asleep on that signal wakes as soon as another process's events are committed.

    Its own connection in a thread of its own (green in a service process). After every
    (re)connection it fires once, for whatever was committed while it was not listening;
    while it is not listening, `listening` is clear and the relay polls as before.
    """

    def __init__(self, conninfo: str, channel: str, signal: Signal):
        self._conninfo, self._channel, self._signal = conninfo, channel, signal
        self.listening = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"listen {channel}",
                                        daemon=True)

    def start(self) -> CommitListener:
        self._thread.start()
        return self

    def _run(self) -> None:
        delay = _INITIAL_DELAY
        while not self._stop.is_set():
            try:
                self._listen()
                delay = _INITIAL_DELAY
            except psycopg.Error:
                log.warning("listening on %s failed, again in %.1fs", self._channel, delay,
                            exc_info=True)
                self._stop.wait(delay)
                delay = min(delay * 2, _MAX_DELAY)
            finally:
                self.listening.clear()

    def _listen(self) -> None:
        with psycopg.connect(self._conninfo, autocommit=True) as conn:
            conn.execute(sql.SQL("LISTEN {}").format(sql.Identifier(self._channel)))
            self.listening.set()
            self._signal.fire()  # commits made before LISTEN took effect are looked for now
            while not self._stop.is_set():
                # A bounded wait, so that close() is noticed within _LISTEN_TICK.
                for _ in conn.notifies(timeout=_LISTEN_TICK):
                    self._signal.fire()

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(_LISTEN_TICK * 5)


# -- the relay -----------------------------------------------------------------
class Relay:
    """Publishes one application's integration events, in notification order."""

    def __init__(self, app: HavenApplication, amqp_uri: str, batch_size: int = 100,
                 checkpoint_interval: float = 300.0,
                 publisher: Publisher | None = None,
                 fallback_interval: float = FALLBACK_INTERVAL,
                 batch_gap: float = BATCH_GAP):
        self.app = app
        self.service = app.name
        self.exchange = f"{app.name}.events"
        self.batch_size = batch_size
        self.fallback_interval = fallback_interval
        self.batch_gap = batch_gap
        self._publisher = publisher or make_publisher(amqp_uri, f"haven-relay {app.name}",
                                                      app.settings)
        self._store: _PostgresPosition | _SQLitePosition = (
            _PostgresPosition(app, self.exchange) if app.settings.store == "postgres"
            else _SQLitePosition(app, self.exchange))
        # Our own mapper, so the application's own reads keep unsealing.
        self._mapper = cast(HavenMapper, app.construct_mapper())
        self._mapper.unseal_on_read = False
        self._position: int | None = None
        self._listener: CommitListener | None = None  # while run_forever runs, on PostgreSQL
        self.drained = False  # the last batch reached the end of the log
        # The relay's loop already runs beside every store: it also records the head of the
        # log's hash chain now and then, so a rewritten and re-chained history is caught.
        from shared.audit_trail.checkpoints import Checkpointer

        self._checkpointer = Checkpointer(app, interval=checkpoint_interval)

    def position(self) -> int:
        """The last notification id durably recorded as published."""
        self._position = self._store.peek()
        return self._position

    def backlog(self) -> int:
        """Notifications not yet relayed; also exported as OUTBOX_BACKLOG."""
        position = self._position if self._position is not None else self.position()
        backlog = max(0, (self.app.recorder.max_notification_id() or 0) - position)
        OUTBOX_BACKLOG.labels(self.service).set(backlog)
        return backlog

    def run_once(self) -> int:
        """Relay one batch; returns how many messages were published."""
        position = self._store.begin()
        if position is None:  # another relay of this service holds the batch lock
            self._store.rollback()
            self.drained = True
            return 0
        try:
            notifications = self.app.recorder.select_notifications(
                position, self.batch_size, inclusive_of_start=False)
            messages = [m for n in notifications if (m := self._message(n)) is not None]
            if messages:
                self._publisher.publish(self.exchange, messages)
            if notifications:
                self._commit_position(notifications[-1].id)
                position = notifications[-1].id
            else:
                self._store.rollback()
        except BaseException:
            self._store.rollback()
            raise
        self._position = position
        self.drained = len(notifications) < self.batch_size
        for event_type, _body in messages:
            OUTBOX_PUBLISHED.labels(self.service, event_type).inc()
        if self.drained:  # the batch reached the head: nothing was left, no query needed
            OUTBOX_BACKLOG.labels(self.service).set(0)
        else:
            self.backlog()
        if messages:
            log.info("%s relay: published %d, position %d", self.service, len(messages), position)
        return len(messages)

    def _commit_position(self, position: int) -> None:
        # Only after every message of the batch is confirmed: a crash before this line
        # republishes the batch (consumers deduplicate), a crash after it loses nothing.
        self._store.commit(position)

    def _message(self, notification: Notification) -> Message | None:
        domain_event = self._mapper.to_domain_event(notification)
        integration = self.app.to_integration_event(domain_event)
        if integration is None:
            return None
        audit = self._mapper.audit_of(notification)
        occurred = getattr(domain_event, "timestamp", None)
        envelope = Envelope(
            source=self.service, notification_id=notification.id, type=integration.type,
            version=integration.version,
            occurred_at=occurred.isoformat() if isinstance(occurred, datetime)
            else str(audit.get("recorded_at")),
            correlation_id=audit.get("correlation_id"), causation_id=audit.get("causation_id"),
            data=integration.data)
        body = json.dumps(envelope.to_dict(), default=_json_default, separators=(",", ":"))
        return integration.type, body.encode()

    def run_forever(self, poll_interval: float = 0.5,
                    stop_event: threading.Event | None = None) -> None:
        """Relay until `stop_event` is set; broker or database loss -> bounded back-off."""
        stop = stop_event or threading.Event()
        with contextlib.suppress(Exception):
            self.backlog()
        signal = store_signal(self.service)
        listener = self._listener = self._listen(signal)
        try:
            self._follow(signal, listener, poll_interval, stop)
        finally:
            self._listener = None
            if listener is not None:
                listener.close()

    @property
    def listening(self) -> bool:
        """Whether other processes' commits wake this relay now (PostgreSQL LISTEN)."""
        return self._listener is not None and self._listener.listening.is_set()

    def _listen(self, signal: Signal) -> CommitListener | None:
        """PostgreSQL announces other processes' commits (shared.eventstore NOTIFYs in each
        insert's transaction); SQLite has no such thing, and embedded every writer is in
        this process anyway."""
        channel = getattr(self.app.recorder, "channel_name", None)
        if self.app.settings.store != "postgres" or not channel:
            return None
        return CommitListener(_conninfo(self.app.settings), channel, signal).start()

    def _follow(self, signal: Signal, listener: CommitListener | None, poll_interval: float,
                stop: threading.Event) -> None:
        delay = _INITIAL_DELAY
        while not stop.is_set():
            seen = signal.seen  # before looking: a save after it cuts the wait short
            started = time.monotonic()
            try:
                self.run_once()
            except Exception:
                log.warning("%s relay: batch failed, retrying in %.1fs", self.service, delay,
                            exc_info=True)
                self._reset()
                stop.wait(delay)
                delay = min(delay * 2, _MAX_DELAY)
                continue
            delay = _INITIAL_DELAY
            try:
                self._checkpointer.tick()
            except Exception:  # noqa: BLE001 - a missed checkpoint must not stop the relay
                log.warning("%s relay: checkpoint failed", self.service, exc_info=True)
            if self.drained:
                self._publisher.keep_alive()
                if signal.wait(seen, self._idle_wait(listener, poll_interval)):
                    # Woken by a commit: under load one arrives every few milliseconds, and
                    # a batch per commit would cost a round of queries each. Let a few gather.
                    stop.wait(max(0.0, started + self.batch_gap - time.monotonic()))

    def _idle_wait(self, listener: CommitListener | None, poll_interval: float) -> float:
        """The poll interval while nothing announces commits; with a listener, only a
        fallback, in case a notification is ever missed (a missed one delays an event,
        it never loses it), and short enough to answer the broker's heartbeats."""
        if listener is None or not listener.listening.is_set():
            return poll_interval
        return min(max(self.fallback_interval, poll_interval),
                   self._publisher.keep_alive_every())

    def _reset(self) -> None:
        self._publisher.close()
        self._store.close()
        self._position = None

    def close(self) -> None:
        self._publisher.close()
        self._store.close()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    raise TypeError(f"integration event payload holds a {type(value).__name__}")


def run_relay(service_name: str, poll_interval: float | None = None) -> None:
    """`haven relay SERVICE`: relay one service's outbox until SIGTERM or SIGINT."""
    from shared import registry
    from shared.config import settings
    from shared.observability import metrics_port, readiness, serve_observability
    from shared.process import configure_logging

    configure_logging()
    cfg = settings()
    cfg.require_production_secrets()
    app = registry.application_class(service_name)(cfg)
    relay = Relay(app, cfg.amqp_uri)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    # OUTBOX_BACKLOG lives in this process: serve /metrics here (HAVEN_METRICS_PORT).
    stop_observability = serve_observability(metrics_port(), readiness(cfg, service_name))
    log.info("%s relay: started", service_name)
    try:
        relay.run_forever(poll_interval or cfg.relay_poll_interval, stop)
    finally:
        relay.close()
        app.close()
        stop_observability()
        log.info("%s relay: stopped", service_name)
