"""Raw baselines: what the bare libraries do on this machine, with none of Haven's layers.

The platform half of the benchmark compares Haven's figures with these. Each function
measures one thing, cleans up after itself and returns a dict whose keys say what they are.
Every loop is bounded both by a count and by a time budget.

Run: `python -m bench.raw [--seconds S]` prints the figures as JSON.

A process that calls `raw_nameko_rpc` (or `measure_baseline`) must have done, before any
other import: `os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")` and
`eventlet.monkey_patch()`. The `__main__` path below does both; the lead's bench runner
must do the same at its own top.
"""

if __name__ == "__main__":
    import os

    # psycopg picks its wait function at import time; eventlet cannot make the C one
    # cooperative (ARCHITECTURE.md, Known pitfalls). nameko needs a patched stdlib.
    os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")
    import eventlet

    eventlet.monkey_patch()

import argparse  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

from shared import testing  # noqa: E402
from shared.config import Settings  # noqa: E402

DEFAULT_SECONDS = 3.0
DEFAULT_MAX_OPS = 100_000


def _timed_loop(op: Callable[[int], object], seconds: float, max_ops: int) -> list[float]:
    """Run `op(i)` until `seconds` have passed or `max_ops` calls were made; return latencies."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds
    for i in range(max_ops):
        start = time.perf_counter()
        op(i)
        end = time.perf_counter()
        latencies.append(end - start)
        if end >= deadline:
            break
    return latencies


def _summary(latencies: list[float], unit: str) -> dict[str, Any]:
    """Rate and latency percentiles of one sequential loop."""
    if not latencies:
        return {unit: 0, "seconds": 0.0, f"{unit}_per_second": 0.0}
    total = sum(latencies)
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 3)

    return {
        unit: len(latencies),
        "seconds": round(total, 3),
        f"{unit}_per_second": round(len(latencies) / total, 1) if total else 0.0,
        "latency_ms_mean": round(statistics.fmean(latencies) * 1000, 3),
        "latency_ms_p50": pct(0.50),
        "latency_ms_p99": pct(0.99),
        "latency_ms_max": round(ordered[-1] * 1000, 3),
    }


def _throwaway_name(kind: str) -> str:
    return f"bench_{testing.new_run_id()}_{kind}"


def raw_postgres_insert(cfg: Settings, seconds: float = DEFAULT_SECONDS,
                        max_ops: int = DEFAULT_MAX_OPS) -> dict[str, Any]:
    """Single-row INSERT + COMMIT, one at a time, on one psycopg connection."""
    import psycopg
    from psycopg import sql

    from shared.eventstore import _conninfo, ensure_schema

    schema = _throwaway_name("pg")
    ensure_schema(cfg, schema)
    try:
        with psycopg.connect(_conninfo(cfg)) as conn:
            table = sql.Identifier(schema, "rows")
            conn.execute(sql.SQL(
                "CREATE TABLE {} (id bigint PRIMARY KEY, body bytea NOT NULL)").format(table))
            conn.commit()
            insert = sql.SQL("INSERT INTO {} (id, body) VALUES (%s, %s)").format(table)
            body = b"x" * 200  # about the size of a small stored event

            def insert_and_commit(i: int) -> None:
                conn.execute(insert, (i, body))
                conn.commit()

            figures = _summary(_timed_loop(insert_and_commit, seconds, max_ops), "commits")
            stored = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()
            conn.rollback()
        assert stored is not None and stored[0] == figures["commits"], "rows lost"
        sync = _postgres_setting(cfg, "synchronous_commit")
    finally:
        testing.drop_schemas(cfg, schema)
    return {"what": "psycopg single-row INSERT then COMMIT, sequential, one connection",
            "synchronous_commit": sync, **figures}


def _postgres_setting(cfg: Settings, name: str) -> str:
    import psycopg

    from shared.eventstore import _conninfo

    with psycopg.connect(_conninfo(cfg), autocommit=True) as conn:
        row = conn.execute("SELECT current_setting(%s)", (name,)).fetchone()
    return str(row[0]) if row else ""


def raw_rabbitmq_confirmed_publish(amqp_uri: str, seconds: float = DEFAULT_SECONDS,
                                   max_ops: int = DEFAULT_MAX_OPS) -> dict[str, Any]:
    """pika BlockingConnection, publisher confirms, persistent messages, one at a time."""
    import pika

    queue = _throwaway_name("mq")
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        channel.queue_declare(queue=queue, durable=True)
        channel.confirm_delivery()
        properties = pika.BasicProperties(delivery_mode=pika.DeliveryMode.Persistent,
                                          content_type="application/json")
        body = json.dumps({"event": "Bench", "n": 0, "pad": "x" * 150}).encode()

        def publish(i: int) -> None:
            # With confirms on, basic_publish returns once the broker has confirmed
            # and raises if it nacks or returns the message.
            channel.basic_publish("", queue, body, properties, mandatory=True)

        figures = _summary(_timed_loop(publish, seconds, max_ops), "publishes")
        queued = channel.queue_declare(queue=queue, passive=True).method.message_count
        assert queued == figures["publishes"], f"{queued} queued of {figures['publishes']}"
        channel.queue_delete(queue=queue)
    finally:
        if connection.is_open:
            connection.close()
    return {"what": "pika confirmed persistent publish to a durable classic queue, sequential",
            **figures}


@functools.cache
def _eventsourcing_classes() -> tuple[Any, Any]:
    """Made once per process: eventsourcing registers each class under its topic and
    refuses a second, different class for the same topic (a second call would fail)."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Tally(Aggregate):
        @event("Started")
        def __init__(self, label: str) -> None:
            self.label = label

    class BenchApplication(Application):
        pass

    return Tally, BenchApplication


def raw_eventsourcing_save(cfg: Settings, seconds: float = DEFAULT_SECONDS,
                           max_ops: int = DEFAULT_MAX_OPS) -> dict[str, Any]:
    """A plain eventsourcing Application on PostgreSQL: one new one-event aggregate per save."""
    from shared.eventstore import ensure_schema

    Tally, BenchApplication = _eventsourcing_classes()
    schema = _throwaway_name("es")
    ensure_schema(cfg, schema)
    p = cfg.postgres_params()
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": p["dbname"], "POSTGRES_HOST": p["host"], "POSTGRES_PORT": p["port"],
        "POSTGRES_USER": p["user"], "POSTGRES_PASSWORD": p["password"],
        "POSTGRES_SCHEMA": schema, "CREATE_TABLE": "y",
    }
    app = BenchApplication(env=env)
    try:
        last: list[Any] = []

        def save(i: int) -> None:
            tally = Tally(label=f"t{i}")
            app.save(tally)
            last[:] = [tally.id]

        figures = _summary(_timed_loop(save, seconds, max_ops), "saves")
        stored = app.recorder.max_notification_id()
        assert stored == figures["saves"], f"{stored} notifications of {figures['saves']} saves"
        assert app.repository.get(last[0]).label == f"t{figures['saves'] - 1}"
    finally:
        app.close()
        testing.drop_schemas(cfg, schema)
    return {"what": "eventsourcing Application.save of a new one-event Aggregate, PostgreSQL",
            **figures}


def raw_nameko_rpc(amqp_uri: str, seconds: float = DEFAULT_SECONDS,
                   max_ops: int = DEFAULT_MAX_OPS) -> dict[str, Any]:
    """A trivial nameko echo service in-process; sequential calls through ClusterRpcProxy."""
    import eventlet.patcher

    if not eventlet.patcher.is_monkey_patched("socket"):
        raise RuntimeError("nameko needs eventlet.monkey_patch() before any other import")
    from nameko.containers import ServiceContainer
    from nameko.rpc import rpc
    from nameko.standalone.rpc import ClusterRpcProxy

    service_name = _throwaway_name("echo")

    class Echo:
        name = service_name

        @rpc
        def echo(self, value: Any) -> Any:
            return value

    config = {"AMQP_URI": amqp_uri, "SERIALIZER": "json"}
    container = ServiceContainer(Echo, config)
    container.start()
    queues = [f"rpc-{service_name}"]
    try:
        proxy = ClusterRpcProxy(config, timeout=10)
        with proxy as cluster:
            queues.append(proxy._reply_listener.queue.name)  # would linger 5 min (x-expires)
            service = getattr(cluster, service_name)
            assert service.echo("warm-up") == "warm-up"  # declares the reply queue

            def call(i: int) -> None:
                if service.echo(i) != i:
                    raise AssertionError("echo answered something else")

            figures = _summary(_timed_loop(call, seconds, max_ops), "calls")
    finally:
        container.stop()
        _delete_queues(amqp_uri, queues)
    return {"what": "nameko RPC round trip to an in-process echo service, sequential", **figures}


def _delete_queues(amqp_uri: str, queues: list[str]) -> None:
    """nameko's queues outlive the benchmark; the shared `nameko-rpc` exchange stays."""
    import pika

    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        channel = connection.channel()
        for queue in queues:
            channel.queue_delete(queue=queue)
    finally:
        connection.close()


def machine(cfg: Settings, amqp_uri: str) -> dict[str, Any]:
    """What the figures were measured on: they vary with the load other processes put on it."""
    import platform

    import pika
    import psycopg

    from shared.eventstore import _conninfo

    with psycopg.connect(_conninfo(cfg)) as conn:
        postgres = conn.execute("SHOW server_version").fetchone()
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        rabbitmq = connection._impl.server_properties.get("version", b"")
    finally:
        connection.close()
    return {
        "cpus": os.cpu_count(),
        "load_average_1m_5m_15m": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "postgresql": postgres[0] if postgres else "",
        "rabbitmq": rabbitmq.decode() if isinstance(rabbitmq, bytes) else str(rabbitmq),
    }


def measure_baseline(cfg: Settings, amqp_uri: str,
                     seconds: float = DEFAULT_SECONDS) -> dict[str, Any]:
    """All raw baselines, each given at most `seconds` of measuring."""
    return {
        "machine": machine(cfg, amqp_uri),
        "postgres_insert_commit": raw_postgres_insert(cfg, seconds),
        "rabbitmq_confirmed_publish": raw_rabbitmq_confirmed_publish(amqp_uri, seconds),
        "eventsourcing_save": raw_eventsourcing_save(cfg, seconds),
        "nameko_rpc_echo": raw_nameko_rpc(amqp_uri, seconds),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                        help="time budget of each measuring loop (default %(default)s)")
    args = parser.parse_args(argv)
    cfg = Settings.from_env()
    vhost = f"bench-{testing.new_run_id()}"
    amqp_uri = testing.create_vhost(cfg.amqp_uri, vhost)
    try:
        figures = measure_baseline(cfg, amqp_uri, args.seconds)
    finally:
        testing.delete_vhost(cfg.amqp_uri, vhost)
    json.dump({"baseline": figures}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
