"""The projection runner: exactly-once application, rebuilds, both backends."""

from __future__ import annotations

import dataclasses

import eventlet
import psycopg
import pytest
from eventsourcing.domain import Aggregate, event
from prometheus_client import REGISTRY
from psycopg import sql

from shared.audit import CommandContext
from shared.config import Settings
from shared.crypto import SEAL_PREFIX
from shared.eventstore import HavenApplication, _conninfo
from shared.projections import Cursor, Projection, ProjectionRunner, ReadModelStore, handles
from shared.testing.plugin import eventually
from shared.wakeup import store_signal

CTX = CommandContext(actor_id="u-1", actor_role="helpline_operator", command="count")


class Tally(Aggregate):
    """Personal data on every event, so a projection that unsealed would show it."""

    PERSONAL_DATA = {"owner": "id", "note": "id"}

    @event("Opened")
    def __init__(self, owner: str):
        self.owner = owner
        self.count = 0

    @event("Counted")
    def count_one(self, note: str, amount: int = 1) -> None:
        self.count += amount


class Tallies(HavenApplication):
    name = "tallies"  # type: ignore[misc]


class Totals(Projection):
    name = "totals"
    tables = {"totals": "tally_id text PRIMARY KEY, total integer NOT NULL, opened {timestamp}"}
    seen: list[object]

    def __init__(self, fail_on: int | None = None):
        self.fail_on, self.seen = fail_on, []

    @handles(Tally, "Opened")
    def opened(self, e, cur: Cursor) -> None:
        self.seen.append(e)
        cur.execute("INSERT INTO {totals} VALUES (%s, 0, %s)", (str(e.originator_id), e.timestamp))

    @handles(Tally, "Counted")
    def counted(self, e, cur: Cursor) -> None:
        self.seen.append(e)
        if e.amount == self.fail_on:
            raise RuntimeError("projection bug")
        cur.execute("UPDATE {totals} SET total = total + %s WHERE tally_id = %s",
                    (e.amount, str(e.originator_id)))


@pytest.fixture
def app(app_factory):
    """A store of its own per test: positions start from an empty log."""
    return app_factory(Tallies)


@pytest.fixture
def runner(app):
    made = []

    def make(*projections: Projection, store: ReadModelStore | None = None, **kwargs):
        made.append(ProjectionRunner(app, list(projections) or [Totals()], store, **kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


def record(app, counts: int, tallies: int = 1) -> list[Tally]:
    made = []
    for i in range(tallies):
        tally = Tally(owner=f"Ana Popescu {i}")
        for _ in range(counts):
            tally.count_one(note="lives at the old mill")
        made.append(tally)
    app.save(*made, ctx=CTX)
    return made


def totals(r: ProjectionRunner) -> dict[str, int]:
    return {row["tally_id"]: row["total"] for row in r.store.query("SELECT * FROM {totals}")}


def test_catching_up_applies_every_event_once_and_records_the_position(app, runner):
    tally = record(app, 3)[0]
    r = runner()
    assert r.catch_up() == 4
    assert totals(r) == {str(tally.id): 3}
    assert r.catch_up() == 0
    assert totals(r) == {str(tally.id): 3}
    assert r.positions() == {"totals": app.recorder.max_notification_id()}


def test_personal_data_reaches_a_projection_sealed_never_in_clear(app, runner):
    record(app, 1)
    projection = Totals()
    runner(projection).catch_up()
    opened, counted = projection.seen
    assert opened.owner.startswith(SEAL_PREFIX) and counted.note.startswith(SEAL_PREFIX)


def test_a_failing_batch_leaves_neither_rows_nor_position_behind(app, runner):
    tally = Tally(owner="Ana")
    tally.count_one(note="n", amount=1)
    tally.count_one(note="n", amount=7)  # the buggy projection fails here
    app.save(tally, ctx=CTX)
    r = runner(Totals(fail_on=7))
    with pytest.raises(RuntimeError):
        r.catch_up()
    assert totals(r) == {}  # the Opened and the first Counted rolled back with it
    assert r.positions() == {"totals": 0}
    fixed = runner(Totals())
    fixed.catch_up()
    assert totals(fixed) == {str(tally.id): 8}


def test_settling_before_a_read_is_bounded_and_leaves_a_broken_projection_stale(app, runner):
    tally = Tally(owner="Ana")
    for _ in range(29):
        tally.count_one(note="n")
    tally.count_one(note="n", amount=7)
    app.save(tally, ctx=CTX)
    bounded = runner(batch_size=5)
    bounded.settle(max_batches=2)
    assert bounded.positions() == {"totals": 10}  # the rest is the follower's job
    broken = runner(Totals(fail_on=7), batch_size=100)
    broken.settle()  # does not raise: the read goes ahead on what is there
    assert broken.positions() == {"totals": 10}


def test_two_runners_racing_on_one_store_never_apply_an_event_twice(app, runner):
    tallies = record(app, 50, tallies=4)
    first, second = runner(batch_size=7), runner(batch_size=5)
    pool = eventlet.GreenPool()
    for r in (first, second, first, second):
        pool.spawn(r.catch_up)
    pool.waitall()
    assert totals(first) == {str(t.id): 50 for t in tallies}


def test_rebuild_drops_and_replays_to_the_same_state(app, runner):
    tally = record(app, 5)[0]
    r = runner()
    r.catch_up()
    r.store.query("UPDATE {totals} SET total = -1 RETURNING tally_id")  # a damaged read model
    assert r.rebuild() == 6
    assert totals(r) == {str(tally.id): 5}


def test_a_new_projection_version_rebuilds_itself_on_start(app, runner):
    tally = record(app, 2)[0]
    runner().catch_up()

    class TotalsV2(Totals):
        version = 2
        tables = {"totals": "tally_id text PRIMARY KEY, total integer NOT NULL,"
                            " opened {timestamp}, extra text"}
        indexes = ("CREATE INDEX IF NOT EXISTS totals_extra ON {totals} (extra)",)

    r = runner(TotalsV2())
    assert totals(r) == {str(tally.id): 2}
    assert "extra" in r.store.query("SELECT * FROM {totals}")[0]


def test_a_runner_notices_when_another_replica_reset_the_positions(app, runner):
    tally = record(app, 2)[0]
    r = runner()
    r.catch_up()
    other = runner()
    with other.store.transaction() as cur:  # another replica's rebuild, crashed half-way
        Totals().drop(cur)
        Totals().create(cur)
        cur.execute("UPDATE {projection_positions} SET position = 0")
    assert r.step() == 0  # idle: nothing new after what it knew; it re-reads the positions
    r.catch_up()
    assert totals(r) == {str(tally.id): 2}


def test_the_background_follower_applies_new_events(app, runner):
    r = runner(poll_interval=0.02)
    r.start()
    tally = record(app, 1)[0]
    eventually(lambda: totals(r) == {str(tally.id): 1})
    r.stop()
    assert REGISTRY.get_sample_value("haven_projection_lag_events",
                                     {"service": app.name, "projection": "totals"}) == 0


def test_the_same_projection_runs_on_sqlite_in_embedded_mode(cfg, tmp_path):
    local = dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path)
    app = Tallies(local)
    try:
        tally = record(app, 3)[0]
        r = ProjectionRunner(app, [Totals()])
        assert r.catch_up() == 4
        assert totals(r) == {str(tally.id): 3}
        row = r.store.query("SELECT opened FROM {totals}")[0]
        assert r.store.when(row["opened"]) == tally.created_on
        assert r.rebuild() == 4 and totals(r) == {str(tally.id): 3}
        r.close()
        assert (tmp_path / "tallies.sqlite").exists()
    finally:
        app.close()


def test_an_idle_runner_sleeps_until_its_process_saves(cfg, tmp_path):
    """Embedded, an idle follower does not poll: it sleeps until this process records an
    event (shared.wakeup), and then applies it at once."""
    app = Tallies(dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path))
    r = ProjectionRunner(app, [Totals()])
    r.idle_interval = 3600.0  # polling, it would look again in an hour
    signal = store_signal(app.name)
    try:
        r.start()
        eventually(lambda: signal.waiting >= 1)  # asleep, the log read
        tally = record(app, 2)[0]
        eventually(lambda: totals(r) == {str(tally.id): 2})
    finally:
        r.close()
        app.close()


def test_an_embedded_read_asks_the_log_only_after_this_process_saved(cfg, tmp_path,
                                                                    monkeypatch):
    """Embedded, every writer is in this process: a read that follows no save does not
    query the log (it was a sixth of an idle `haven dev` GET), and one that follows a
    save still sees it."""
    app = Tallies(dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path))
    r = ProjectionRunner(app, [Totals()])
    asked = []
    select = app.recorder.select_notifications
    monkeypatch.setattr(app.recorder, "select_notifications",
                        lambda *a, **k: asked.append(a) or select(*a, **k))
    try:
        first = record(app, 1)[0]
        r.settle()
        assert totals(r) == {str(first.id): 1} and len(asked) == 1
        r.settle()
        r.settle()
        assert len(asked) == 1  # nothing saved since: the log was not asked
        second = record(app, 2)[0]
        r.settle()
        assert totals(r) == {str(first.id): 1, str(second.id): 2} and len(asked) == 2
    finally:
        r.close()
        app.close()


def test_a_read_on_postgres_always_looks_for_another_replicas_writes(app, runner,
                                                                     monkeypatch):
    """Elsewhere another replica may have written what the caller reads next, and its
    saves fire no signal in this process: every read asks the log."""
    r = runner()
    asked = []
    select = app.recorder.select_notifications
    monkeypatch.setattr(app.recorder, "select_notifications",
                        lambda *a, **k: asked.append(a) or select(*a, **k))
    r.settle()
    r.settle()
    assert len(asked) == 2


def test_read_model_tables_live_in_the_services_own_schema(app, runner, cfg: Settings):
    record(app, 1)
    runner().catch_up()
    with psycopg.connect(_conninfo(cfg)) as conn:
        found = conn.execute("SELECT table_schema FROM information_schema.tables"
                             " WHERE table_name = 'totals' AND table_schema = %s",
                             (cfg.schema(app.name),)).fetchall()
        assert found
        conn.execute(sql.SQL("SELECT 1 FROM {}.projection_positions")
                     .format(sql.Identifier(cfg.schema(app.name))))


def test_rebuild_replays_every_event_of_a_long_log(app, runner):
    # Several pages of the log; how fast is measured by `make bench`, not here.
    for _ in range(2):
        record(app, 2_500, tallies=2)  # 10,004 events with sealed personal data
    assert runner().rebuild() == 10_004
