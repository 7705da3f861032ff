"""Processes the benchmark starts beside Haven's own `haven run` / `haven relay`.

    python -m bench.procs consumer ARRIVALS_FILE   # a nameko service consuming intake's events
    python -m bench.procs rebuild                  # rebuild intake's read models, JSON on stdout
    python -m bench.procs service NAME sample|cprofile OUT  # `haven run NAME`, profiled
    python -m bench.procs relay NAME SECONDS       # `haven relay NAME`, another poll interval
    python -m bench.procs app SECONDS prepared|plain  # Intake.log_contact, no RPC, no HTTP
    python -m bench.procs raw-prepared SECONDS     # bench/raw.py baselines that need eventlet

Each is prepared the way a production process is (`prepare_service_process()` first:
PSYCOPG_WAIT_FUNC and eventlet's monkey patch), before anything imports psycopg or nameko
-- except `app ... plain`, which shows what that preparation costs.
Settings come from the environment (HAVEN_SCHEMA_PREFIX, HAVEN_AMQP_URI, ...).
"""

from __future__ import annotations

import os
import sys
from typing import Any

CONSUMER_SERVICE = "bench_consumer"
READY = "READY"


def consumer_service(path: str) -> type:
    """A nameko service that appends "<contact_id> <CLOCK_MONOTONIC>" to `path` for every
    intake ContactLogged it is handed, the moment its worker starts."""
    import time

    from shared.consumers import event_handler

    out = open(path, "a", buffering=1)  # open as long as the service runs

    class BenchConsumer:
        name = CONSUMER_SERVICE

        @event_handler("intake", "ContactLogged")
        def on_contact_logged(self, body: dict[str, Any]) -> None:
            arrived = time.clock_gettime(time.CLOCK_MONOTONIC)
            out.write(f"{body['data']['contact_id']} {arrived:.6f}\n")

    return BenchConsumer


def consumer_queue() -> str:
    """The durable queue nameko declares for the consumer's handler."""
    return f"evt-intake-ContactLogged--{CONSUMER_SERVICE}.on_contact_logged"


def _run_until_signalled(runner: Any) -> None:
    import signal

    import eventlet

    stopping = eventlet.event.Event()

    def stop(signum: int, frame: Any) -> None:
        if not stopping.ready():
            stopping.send(True)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    stopping.wait()
    runner.stop()


def run_consumer(path: str) -> int:
    from nameko.runners import ServiceRunner

    from shared.config import settings
    from shared.runner import nameko_config

    runner = ServiceRunner(nameko_config(settings()))
    runner.add_service(consumer_service(path))
    runner.start()  # returns once the handler's queue is declared, bound and consumed
    with open(path, "a") as out:
        out.write(READY + "\n")
    _run_until_signalled(runner)
    return 0


def rebuild_intake() -> dict[str, Any]:
    """Drop, recreate and replay every intake read model over the whole stored log."""
    import time

    from services.intake.application import Intake
    from services.intake.projections import projections
    from shared.config import settings
    from shared.projections import ProjectionRunner

    app = Intake(settings())
    try:
        runner = ProjectionRunner(app, projections())
        try:
            head = app.recorder.max_notification_id() or 0
            started = time.perf_counter()
            read = runner.rebuild()
            seconds = time.perf_counter() - started
            rows = runner.store.query("SELECT count(*) AS n FROM {contact_log}")[0]["n"]
        finally:
            runner.close()
    finally:
        app.close()
    return {"events": read, "log_head": head, "contact_log_rows": rows,
            "seconds": round(seconds, 4),
            "events_per_s": round(read / seconds, 1) if seconds else 0.0,
            "peak_rss_mb": _own_peak_rss_mb()}


def application_log_contact(seconds: float, max_calls: int = 100_000) -> dict[str, Any]:
    """Intake.log_contact called directly, one after another: the application layer alone
    (audit, sealing, subject keys, hash chain) without nameko, RPC or HTTP."""
    import time

    from bench.load import CONTACT
    from services.intake.application import Intake
    from shared.audit import CommandContext
    from shared.config import settings

    app = Intake(settings())
    try:
        ctx = CommandContext(actor_id="bench-operator", actor_role="helpline_operator",
                             command="log_contact")
        for _ in range(5):  # connections, key cache, prepared statements
            app.log_contact(ctx, **CONTACT)
        latencies: list[float] = []
        cpu = time.process_time()
        deadline = time.perf_counter() + seconds
        for _ in range(max_calls):
            started = time.perf_counter()
            app.log_contact(ctx, **CONTACT)
            finished = time.perf_counter()
            latencies.append(finished - started)
            if finished >= deadline:
                break
        cpu = time.process_time() - cpu
    finally:
        app.close()
    ordered = sorted(latencies)
    total = sum(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 3)

    import eventlet.patcher

    return {"calls": len(latencies), "per_s": round(len(latencies) / total, 1),
            "p50_ms": pct(0.5), "p99_ms": pct(0.99),
            "cpu_ms_per_call": round(cpu * 1000 / len(latencies), 3),
            "eventlet_patched": eventlet.patcher.is_monkey_patched("socket"),
            "psycopg_wait": os.environ.get("PSYCOPG_WAIT_FUNC", "default")}


def raw_prepared(seconds: float) -> dict[str, Any]:
    """bench/raw.py's nameko RPC (nameko runs only on eventlet) and, for comparison, its
    eventsourcing save in the same prepared process: what eventlet and wait_select cost."""
    from bench.raw import raw_eventsourcing_save, raw_nameko_rpc
    from shared.config import settings

    cfg = settings()
    return {"nameko_rpc_echo": raw_nameko_rpc(cfg.amqp_uri, seconds),
            "eventsourcing_save": raw_eventsourcing_save(cfg, seconds)}


def _own_peak_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def run_profiled_service(name: str, how: str, out: str) -> int:
    """`haven run NAME` under a profiler until SIGTERM; `how` is "sample" (bench/sampler.py:
    CPU samples of real green-thread stacks, a few percent overhead) or "cprofile" (cProfile
    on the process's CPU clock; under eventlet its cumulative times cross greenlet switches
    and mislead, tottime per function is fine; doubles the CPU per request)."""
    import time

    from shared.runner import run_service

    if how == "sample":
        from bench.sampler import Sampler

        sampler = Sampler()
        sampler.start()
        try:
            run_service(name)
        finally:
            sampler.stop()
            sampler.dump(out)
        return 0
    import cProfile

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    try:
        run_service(name)
    finally:
        profiler.disable()
        profiler.dump_stats(out)
    return 0


def main(argv: list[str]) -> int:
    import json

    if argv[:1] == ["app"] and len(argv) == 3 and argv[2] == "plain":
        os.environ.pop("PSYCOPG_WAIT_FUNC", None)
        print(json.dumps(application_log_contact(float(argv[1]))))
        return 0

    from shared.process import prepare_service_process

    prepare_service_process()
    if argv[:1] == ["app"] and len(argv) == 3 and argv[2] == "prepared":
        print(json.dumps(application_log_contact(float(argv[1]))))
        return 0
    if argv[:1] == ["consumer"] and len(argv) == 2:
        return run_consumer(argv[1])
    if argv == ["rebuild"]:
        print(json.dumps(rebuild_intake()))
        return 0
    if argv[:1] == ["service"] and len(argv) == 4 and argv[2] in ("sample", "cprofile"):
        return run_profiled_service(argv[1], argv[2], argv[3])
    if argv[:1] == ["raw-prepared"] and len(argv) == 2:
        print(json.dumps(raw_prepared(float(argv[1]))))
        return 0
    if argv[:1] == ["relay"] and len(argv) == 3:
        from shared.outbox import run_relay

        run_relay(argv[1], poll_interval=float(argv[2]))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
