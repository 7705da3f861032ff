"""Read models: tables a service keeps from its own notification log.

A `Projection` names its tables and handles some event classes:

    class ContactLog(Projection):
        name, version = "contact_log", 1
        tables = {"contact_log": "contact_id text PRIMARY KEY, started_at {timestamp}"}

        @handles(Contact, "ContactLogged")
        def logged(self, event, cur):
            cur.execute("INSERT INTO {contact_log} VALUES (%s, %s)", (...))

SQL is written once with `%s` and `{table}` placeholders; the store renders it
for PostgreSQL (the service's own schema) or SQLite (the service's file in
embedded mode). The `ProjectionRunner` applies each batch of notifications and
the new positions in ONE transaction, under a lock on the position rows, so a
crash or a second replica never applies an event twice.

Events are decoded without unsealing: read models never hold personal data,
and decoding stays fast enough to rebuild thousands of events a second.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.utils import get_topic
from nameko.extensions import DependencyProvider

from shared.eventstore import HavenApplication, HavenMapper
from shared.metrics import PROJECTION_LAG
from shared.readstore import POSITIONS, Cursor, ReadModelStore, open_read_models
from shared.wakeup import EMBEDDED_IDLE_INTERVAL, store_signal

__all__ = ["Cursor", "Projection", "ProjectionRunner", "ReadModelSet", "ReadModelStore",
           "ReadModels", "handles", "month_of", "open_read_models", "stream_id"]

_log = logging.getLogger("haven.projections")
MAX_ERROR_BACKOFF = 5.0


def month_of(when: datetime) -> str:
    """The UTC calendar month "YYYY-MM" that read models count by."""
    return when.strftime("%Y-%m")


def stream_id(event: Any) -> str:
    """The id of the aggregate an event belongs to, as read models key their rows."""
    return str(event.originator_id)


def handles(aggregate: type, *event_names: str) -> Callable[[Callable[..., None]],
                                                              Callable[..., None]]:
    """Marks a projection method as the handler of these events of `aggregate`.

    By name, as the aggregate's `@event("...")` declares them: eventsourcing makes
    those classes at runtime, out of a type checker's sight. A misspelt name fails
    at import, not silently at runtime.
    """
    topics = tuple(get_topic(getattr(aggregate, name)) for name in event_names)

    def mark(method: Callable[..., None]) -> Callable[..., None]:
        method.handles = topics  # type: ignore[attr-defined]
        return method

    return mark


class Projection:
    """A read model: its tables (DDL per table) and handlers for the events it needs.

    Bump `version` whenever the tables or the handlers change meaning: the runner
    then rebuilds the projection from the start of the log.
    """

    name: ClassVar[str]
    version: ClassVar[int] = 1
    tables: ClassVar[dict[str, str]] = {}  # table -> column definitions
    indexes: ClassVar[tuple[str, ...]] = ()  # "CREATE INDEX ... ON {table} (...)"
    topics: ClassVar[dict[str, str]] = {}  # event topic -> method name

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Over the whole MRO, so a subclass (say, a new version) keeps its parent's handlers.
        cls.topics = {topic: name for klass in reversed(cls.__mro__)
                      for name, member in vars(klass).items()
                      for topic in getattr(member, "handles", ())}

    def apply(self, event: Any, cur: Cursor) -> None:
        getattr(self, self.topics[get_topic(type(event))])(event, cur)

    def create(self, cur: Cursor) -> None:
        for table, columns in self.tables.items():
            cur.execute(f"CREATE TABLE IF NOT EXISTS {{{table}}} ({columns})")
        for statement in self.indexes:
            cur.execute(statement)

    def drop(self, cur: Cursor) -> None:
        for table in self.tables:
            cur.execute(f"DROP TABLE IF EXISTS {{{table}}}")


class ProjectionRunner:
    """Feeds a service's projections from its notification log."""

    def __init__(self, app: HavenApplication, projections: Sequence[Projection],
                 store: ReadModelStore | None = None, *, batch_size: int = 500,
                 poll_interval: float = 0.03):
        self.app = app
        self.projections = list(projections)
        self.store = store or open_read_models(app.settings, app.name)
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        # Fired each time this process saves to the store (shared.wakeup). Embedded, every
        # writer is in this process: idle, the follower sleeps until it fires (or a long
        # interval, for a `haven` command writing from outside), and a read need not ask
        # the log for news while it has not fired since the runner last caught up.
        # Elsewhere another replica may write: the follower polls and every read looks.
        self._signal = store_signal(app.name)
        self._every_writer_here = app.settings.store == "sqlite"
        self.idle_interval = EMBEDDED_IDLE_INTERVAL if self._every_writer_here else poll_interval
        self._caught_up_at: int | None = None  # the signal's count before that step
        # A mapper of our own that leaves personal data sealed (the app's unseals).
        self._mapper = copy.copy(app.mapper)
        assert isinstance(self._mapper, HavenMapper)
        self._mapper.unseal_on_read = False
        self._known: dict[str, int] = {}
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.setup()

    # -- tables and positions -------------------------------------------------------
    def setup(self) -> None:
        """Create what is missing; rebuild any projection whose version changed."""
        stale = []
        with self.store.setup_transaction() as cur:
            cur.execute(f"CREATE TABLE IF NOT EXISTS {{{POSITIONS}}} (name text PRIMARY KEY,"
                        " version integer NOT NULL, position bigint NOT NULL)")
            for p in self.projections:
                cur.execute(f"INSERT INTO {{{POSITIONS}}} (name, version, position)"
                            " VALUES (%s, %s, 0) ON CONFLICT (name) DO NOTHING",
                            (p.name, p.version))
            found = self._lock(cur)
            for p in self.projections:
                if found[p.name][0] != p.version:
                    stale.append(p.name)  # its old tables may not take the new indexes
                else:
                    p.create(cur)
            self._known = {name: position for name, (_, position) in found.items()}
        if stale:
            self.rebuild(stale)

    def _lock(self, cur: Cursor) -> dict[str, tuple[int, int]]:
        """{name: (version, position)}, locked until the transaction ends."""
        names = [p.name for p in self.projections]
        rows = cur.fetch(f"SELECT name, version, position FROM {{{POSITIONS}}} WHERE name IN"
                         f" ({', '.join(['%s'] * len(names))}) ORDER BY name" + cur.for_update,
                         names)
        return {row["name"]: (row["version"], row["position"]) for row in rows}

    def positions(self) -> dict[str, int]:
        rows = self.store.query(f"SELECT name, position FROM {{{POSITIONS}}}")
        return {row["name"]: row["position"] for row in rows
                if row["name"] in {p.name for p in self.projections}}

    # -- applying --------------------------------------------------------------------------
    def step(self, limit: int | None = None, *, notice_resets: bool = True) -> int:
        """Apply the next batch; returns how many notifications it read."""
        limit = limit or self.batch_size
        start = min(self._known.values(), default=0)
        batch = self.app.recorder.select_notifications(  # type: ignore[attr-defined]
            start, limit, inclusive_of_start=False)
        if not batch:
            if notice_resets:
                # Idle: re-read the positions, in case another replica reset them (rebuild).
                self._known = self.positions()
            self._report_lag(start, start)
            return 0
        decoded: dict[int, Any] = {}
        last = batch[-1].id
        with self.store.transaction() as cur:
            found = self._lock(cur)
            for notification in batch:
                for p in self.projections:
                    if notification.id > found[p.name][1] and notification.topic in p.topics:
                        if notification.id not in decoded:
                            decoded[notification.id] = self._mapper.to_domain_event(notification)
                        p.apply(decoded[notification.id], cur)
            for p in self.projections:
                if last > found[p.name][1]:
                    cur.execute(f"UPDATE {{{POSITIONS}}} SET position = %s WHERE name = %s",
                                (last, p.name))
        self._known = {name: max(position, last) for name, (_, position) in found.items()}
        self._report_lag(last, None if len(batch) == limit else last)
        return len(batch)

    def catch_up(self, limit: int | None = None) -> int:
        """Apply everything recorded so far; returns how many notifications it read."""
        total = 0
        while True:
            read = self.step(limit)
            total += read
            if read < (limit or self.batch_size):
                return total

    def settle(self, max_batches: int = 4) -> None:
        """Best effort before a read, so a desk sees what it has just written.

        Bounded, and never raising: a long backlog is left to the follower, and a
        failing projection makes reads stale (the lag metric shows it), not broken.
        """
        seen = self._signal.seen
        if self._every_writer_here and seen == self._caught_up_at:
            return
        try:
            for _ in range(max_batches):
                # A reset by another replica's rebuild is the follower's to notice: a read
                # should not pay a second query for it.
                if self.step(notice_resets=False) < self.batch_size:
                    self._caught_up_at = seen
                    return
        except Exception as exc:  # noqa: BLE001 - see the docstring
            _log.error("projection settle failed in %s: %s", self.app.name, type(exc).__name__)

    def rebuild(self, names: Iterable[str] | None = None, *, batch_size: int = 2000) -> int:
        """Drop, recreate and replay the named projections (all by default) from zero.

        Committed in batches: while it runs, queries see a read model being refilled.
        """
        chosen = set(names) if names is not None else {p.name for p in self.projections}
        with self.store.transaction() as cur:
            self._lock(cur)
            for p in self.projections:
                if p.name in chosen:
                    p.drop(cur)
                    p.create(cur)
                    cur.execute(f"UPDATE {{{POSITIONS}}} SET position = 0, version = %s"
                                " WHERE name = %s", (p.version, p.name))
                    self._known[p.name] = 0
        return self.catch_up(batch_size)

    def _report_lag(self, position: int, head: int | None) -> None:
        if head is None:
            head = self.app.recorder.max_notification_id() or position  # type: ignore[attr-defined]
        for p in self.projections:
            PROJECTION_LAG.labels(self.app.name, p.name).set(
                max(0, head - self._known.get(p.name, 0)))

    # -- in the background --------------------------------------------------------------
    def start(self) -> None:
        """Follow the log in a (green, under eventlet) thread until `stop()`."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._follow, name=f"projections-{self.app.name}",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._signal.fire()  # out of an idle wait now
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _follow(self) -> None:
        delay = self.poll_interval
        signal = self._signal
        while not self._stopping.is_set():
            seen = signal.seen  # before looking: a save after it cuts the wait short
            started = time.monotonic()
            try:
                full = self.step() == self.batch_size
                delay = 0.0 if full else self.idle_interval
                if not full:
                    self._caught_up_at = seen
            except Exception as exc:  # noqa: BLE001 - keep following; the lag metric shows it
                delay = min(max(delay * 2, self.poll_interval), MAX_ERROR_BACKOFF)
                # Type only: a driver's message may quote a row. Read models hold no
                # personal data, but a bug could put some there; the log stays clean.
                _log.error("projection step failed in %s: %s", self.app.name,
                           type(exc).__name__)
            if delay == self.idle_interval:
                # Idle: until this process saves, or the interval. Woken by a save: under
                # load one comes every few ms, and a batch per save is a transaction per
                # event (a fifth of casework's CPU per referral); let a few gather, as the
                # relay does. A save after a quiet spell is applied at once.
                if signal.wait(seen, delay):
                    self._stopping.wait(max(0.0, started + self.poll_interval
                                            - time.monotonic()))
            else:
                self._stopping.wait(delay)

    def close(self) -> None:
        self.stop()
        self.store.close()


# -- a service's read models, as its manifest entry names them -------------------------
@dataclass(frozen=True)
class ReadModelSet:
    """A service's read models: its projections, and the queries asked of them.

    `views(store, settle)` makes the query object, where `settle()` applies what the log
    holds so far (so a desk sees what it has just written).
    """

    projections: Callable[[], Sequence[Projection]]
    views: Callable[[ReadModelStore, Callable[[], Any]], Any]


# -- inside a nameko service ---------------------------------------------------------
class ReadModels(DependencyProvider):
    """Runs a service's projections beside it and injects its read-model queries.

        read_models = ReadModels(projections, IntakeViews)

    `projections()` makes the Projection objects; `views(store, settle)` makes the
    query object, where `settle()` applies what the log holds so far. The runner
    reads through the service's own application (its ApplicationProvider), so the
    service opens no second event store.
    """

    def __init__(self, projections: Callable[[], Sequence[Projection]],
                 views: Callable[[ReadModelStore, Callable[[], Any]], Any]):
        self.make_projections, self.make_views = projections, views
        self.runner: ProjectionRunner | None = None
        self.views: Any = None

    def start(self) -> None:
        # In start, not setup: nameko sets every dependency up (the app too) first.
        apps = [d.app for d in self.container.dependencies
                if isinstance(getattr(d, "app", None), HavenApplication)]
        if len(apps) != 1:
            raise RuntimeError("ReadModels needs exactly one ApplicationProvider beside it")
        self.runner = ProjectionRunner(apps[0], self.make_projections())
        self.views = self.make_views(self.runner.store, self.runner.settle)
        self.runner.start()

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.close()
            self.runner = None

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.views
