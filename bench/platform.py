"""The platform half of the benchmark: Haven as production runs it, measured from outside.

`measure_platform(cfg, amqp_uri, ...)` starts, each as its own OS process,

    haven run intake     haven run gateway     haven relay intake
    python -m bench.procs consumer FILE
        (a nameko service with shared.consumers.event_handler("intake", "ContactLogged"))

on `cfg.schema_prefix` (throwaway schemas) and `amqp_uri` (a throwaway vhost), then measures

1. POST /api/v1/contacts through the gateway, 1 and 8 closed-loop clients: throughput,
   p50, p99 (bench/load.py: OS threads, one requests.Session each, no eventlet);
2. propagation at half the 8-client throughput (open loop): from reading the 201 until
   the event (a) reached the consumer's handler, (b) is a row in intake's contact_log
   table (polled directly every POLL_INTERVAL: a GET /api/v1/contacts would make intake
   catch its projections up on the spot and hide the lag being measured);
3. peak RSS (VmHWM) and CPU time per request of every process, then stops them;
4. relay throughput: a fresh `haven relay intake` against the whole stored log (its
   position reset to 0), timed from its first published batch to the log head;
5. projection rebuild: `python -m bench.procs rebuild` (intake's ProjectionRunner.rebuild
   over every stored event), timed inside that process.

Every loop is bounded by a count and a deadline; processes are stopped (SIGTERM, then
SIGKILL) even on failure. The caller owns the schemas and the vhost.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import requests

from bench.load import CONTACT, LoadRun, now, percentiles_ms, post_contacts
from bench.procs import READY, consumer_queue
from shared.config import Settings

REPO = Path(__file__).resolve().parent.parent
POLL_INTERVAL = 0.005  # read-model polling: the resolution of propagation (b)
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
SERVICE_PROCESSES = ("intake", "gateway", "relay", "consumer")


# -- processes ---------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def haven_command(*args: str) -> list[str]:
    """The `haven` console script of this interpreter's environment, as production runs it."""
    script = Path(sys.executable).with_name("haven")
    if script.exists():
        return [str(script), *args]
    return [sys.executable, "-c", "import sys; from shared.cli import main; sys.exit(main())",
            *args]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the child gets SIGTERM if the benchmark dies without cleaning up."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def relay_command(poll_interval: float | None = None) -> list[str]:
    """`haven relay intake` (its poll interval is fixed at 0.5 s), or the same `run_relay`
    with another interval: a what-if that production cannot be configured for today."""
    if poll_interval is None:
        return haven_command("relay", "intake")
    return [sys.executable, "-m", "bench.procs", "relay", "intake", str(poll_interval)]


def platform_env(cfg: Settings, amqp_uri: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    env.update({
        "HAVEN_STORE": "postgres", "HAVEN_POSTGRES_URL": cfg.postgres_url,
        "HAVEN_SCHEMA_PREFIX": cfg.schema_prefix, "HAVEN_AMQP_URI": amqp_uri,
        "HAVEN_ENV": "development",  # the development keys: tokens below are signed with them
        "HAVEN_BROKER_USER_PREFIX": cfg.broker_user_prefix, "HAVEN_METRICS_PORT": "0",
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p),
        **extra,
    })
    return env


class Process:
    """One child process with its output in a log file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], logdir: Path):
        self.name, self.command = name, command
        self.log_path = logdir / f"{name}.log"
        self._terminated_at: float | None = None
        self.stopped_in: float | None = None  # seconds from SIGTERM to exit
        self._log: IO[bytes] = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            command, env=env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)  # noqa: PLW1509

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def check(self) -> None:
        if not self.alive():
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n"
                               f"{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def terminate(self) -> None:
        """SIGTERM: what Kubernetes sends; the process stops gracefully."""
        if self.alive():
            self._terminated_at = time.monotonic()
            with contextlib.suppress(ProcessLookupError):
                self.popen.send_signal(signal.SIGTERM)

    def note_exit(self) -> None:
        if self.stopped_in is None and self._terminated_at is not None and not self.alive():
            self.stopped_in = round(time.monotonic() - self._terminated_at, 2)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """Terminate, wait up to `timeout`, then SIGKILL. Returns the exit code."""
        self.terminate()
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)
        self.note_exit()
        self._log.close()
        return self.popen.returncode


# -- /proc -------------------------------------------------------------------------
_CLK_TCK = os.sysconf("SC_CLK_TCK")


def peak_rss_mb(pid: int | str = "self") -> float | None:
    """VmHWM: the resident set's high-water mark over the process's life so far."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cpu_seconds(pid: int | str = "self", children: bool = False) -> float:
    """utime + stime (+ reaped children's) of one process, in seconds; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _CLK_TCK


def _command_cpu(names: tuple[str, ...]) -> float:
    """CPU seconds of every process on the machine with one of these names (servers)."""
    total = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/comm") as comm:
                if comm.read().strip() not in names:
                    continue
        except OSError:
            continue
        total += cpu_seconds(entry.name, children=True)
    return total


def _machine_ticks() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return sum(values[:8]) - idle, sum(values[:8])


class CpuMeter:
    """CPU time each process spent during a phase, per request served: where time goes.

    PostgreSQL and RabbitMQ are counted over all their processes on the machine, so
    other users' load shows up there too; `machine_busy_pct` says how loaded it was.
    """

    SERVERS = {"postgres": ("postgres",), "rabbitmq": ("beam.smp",)}

    def __init__(self, pids: dict[str, int]):
        self.pids = pids

    def snapshot(self) -> dict[str, Any]:
        cpu = {name: cpu_seconds(pid) for name, pid in self.pids.items()}
        cpu["bench_load_generator"] = cpu_seconds()
        for name, commands in self.SERVERS.items():
            cpu[name] = _command_cpu(commands)
        return {"cpu": cpu, "machine": _machine_ticks()}

    @staticmethod
    def per_request(before: dict[str, Any], after: dict[str, Any], requests_: int
                    ) -> dict[str, Any]:
        n = max(requests_, 1)
        busy = after["machine"][0] - before["machine"][0]
        total = max(after["machine"][1] - before["machine"][1], 1)
        per = {name: round((after["cpu"][name] - before["cpu"][name]) * 1000 / n, 3)
               for name in after["cpu"]}
        per["platform_total"] = round(sum(v for k, v in per.items()
                                          if k != "bench_load_generator"), 3)
        return {"cpu_ms_per_request": per, "machine_busy_pct": round(100 * busy / total, 1)}


# -- what arrived where --------------------------------------------------------------
class Arrivals:
    """The consumer's file of "<contact_id> <CLOCK_MONOTONIC>" lines, read incrementally."""

    def __init__(self, path: Path):
        self.path = path
        self.seen: dict[str, float] = {}
        self.ready = False
        self._offset = 0

    def poll(self) -> dict[str, float]:
        with contextlib.suppress(FileNotFoundError), open(self.path, "rb") as f:
            f.seek(self._offset)
            chunk = f.read()
            complete = chunk.rfind(b"\n") + 1  # a line still being written waits
            self._offset += complete
            for line in chunk[:complete].decode().splitlines():
                if line == READY:
                    self.ready = True
                    continue
                contact_id, _, stamp = line.partition(" ")
                self.seen.setdefault(contact_id, float(stamp))
        return self.seen


class ReadModelWatch:
    """Polls intake's contact_log table for the ids it is told to expect."""

    def __init__(self, cfg: Settings, interval: float = POLL_INTERVAL):
        import psycopg
        from psycopg import sql

        from shared.eventstore import _conninfo

        self._conn = psycopg.connect(_conninfo(cfg), autocommit=True)
        self._query = sql.SQL("SELECT contact_id FROM {} WHERE contact_id = ANY(%s)").format(
            sql.Identifier(cfg.schema("intake"), "contact_log"))
        self.interval = interval
        self.seen: dict[str, float] = {}
        self.polls = 0
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-read-model", daemon=True)
        self._thread.start()

    def expect(self, contact_id: str) -> None:
        with self._lock:
            self._pending.add(contact_id)

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                pending = list(self._pending)
            if pending:
                rows = self._conn.execute(self._query, (pending,)).fetchall()
                stamp = now()
                self.polls += 1
                with self._lock:
                    for (contact_id,) in rows:
                        self.seen.setdefault(contact_id, stamp)
                        self._pending.discard(contact_id)
            self._stop.wait(self.interval)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._conn.close()


# -- the running platform --------------------------------------------------------------
def create_store(cfg: Settings) -> None:
    """Create intake's tables (events, chain, keys) before any process starts.

    Started together on an empty schema, `haven run intake` and `haven relay intake` race
    on CREATE TABLE IF NOT EXISTS and one of them can die with "duplicate key value violates
    unique constraint pg_type_typname_nsp_index" (seen here). Production would restart it;
    the benchmark creates the tables first, as a migration step would.
    """
    from services.intake.application import Intake

    Intake(cfg).close()


class Platform:
    """intake, gateway, relay and consumer, each its own OS process, on one store and vhost."""

    def __init__(self, cfg: Settings, amqp_uri: str, logdir: Path,
                 profile_dir: Path | None = None, relay_poll_interval: float | None = None,
                 profiler: str = "sample"):
        self.cfg, self.amqp_uri, self.logdir = cfg, amqp_uri, logdir
        self.profiler = profiler
        self.relay_poll_interval = relay_poll_interval
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.metrics_ports = {name: free_port() for name in SERVICE_PROCESSES}
        self.arrivals = Arrivals(logdir / "arrivals.txt")
        self.processes: dict[str, Process] = {}
        self._profile_dir = profile_dir

    def _env(self, name: str) -> dict[str, str]:
        return platform_env(self.cfg, self.amqp_uri, HAVEN_HTTP_PORT=str(self.port),
                            HAVEN_METRICS_PORT=str(self.metrics_ports[name]))

    def _service_command(self, name: str) -> list[str]:
        if self._profile_dir is None:
            return haven_command("run", name)
        suffix = "stacks" if self.profiler == "sample" else "pstats"
        return [sys.executable, "-m", "bench.procs", "service", name, self.profiler,
                str(self._profile_dir / f"{name}.{suffix}")]

    def profiles(self) -> dict[str, Any]:
        """Where intake's and gateway's CPU went (sampling profiler only)."""
        if self._profile_dir is None or self.profiler != "sample":
            return {}
        from bench.sampler import summarize

        return {name: summarize(self._profile_dir / f"{name}.stacks")
                for name in ("intake", "gateway")
                if (self._profile_dir / f"{name}.stacks").exists()}

    def start(self) -> None:
        create_store(self.cfg)
        commands = {
            "consumer": [sys.executable, "-m", "bench.procs", "consumer",
                         str(self.arrivals.path)],
            "intake": self._service_command("intake"),
            "gateway": self._service_command("gateway"),
            "relay": relay_command(self.relay_poll_interval),
        }
        for name, command in commands.items():
            self.processes[name] = Process(name, command, self._env(name), self.logdir)

    def pids(self) -> dict[str, int]:
        return {name: p.pid for name, p in self.processes.items()}

    def check(self) -> None:
        for process in self.processes.values():
            process.check()

    def wait_ready(self, token: str, timeout: float = START_TIMEOUT, warm_up: int = 5) -> None:
        """Gateway answers, the consumer's queue is bound, and a few contacts went all the
        way through (gateway -> intake -> store -> relay -> broker -> consumer)."""
        deadline = time.monotonic() + timeout
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"

        def until(what: str, ready: Callable[[], bool]) -> None:
            while not ready():
                self.check()
                if time.monotonic() > deadline:
                    raise TimeoutError(f"platform not ready within {timeout}s: {what}")
                time.sleep(0.05)

        def gateway_up() -> bool:
            with contextlib.suppress(requests.RequestException):
                return session.get(self.url + "/health", timeout=2).status_code == 200
            return False

        def consumer_up() -> bool:
            self.arrivals.poll()
            return self.arrivals.ready

        until("consumer queue", consumer_up)
        until("gateway /health", gateway_up)
        created: list[str] = []

        def contact_created() -> bool:
            with contextlib.suppress(requests.RequestException, ValueError):
                response = session.post(self.url + "/api/v1/contacts", json=CONTACT,
                                        timeout=10)
                if response.status_code == 201:
                    created.append(response.json()["id"])
                    return True
            return False

        for _ in range(warm_up):
            until("intake answering POST /api/v1/contacts", contact_created)
        until("warm-up contacts at the consumer",
              lambda: all(c in self.arrivals.poll() for c in created))
        session.close()

    def peak_rss_mb(self) -> dict[str, float | None]:
        return {name: peak_rss_mb(p.pid) for name, p in self.processes.items()}

    def scrape_rpc_latency(self, method: str = "log_contact") -> tuple[float, float]:
        """(count, sum of seconds) of intake's own RPC latency histogram (server side)."""
        from prometheus_client.parser import text_string_to_metric_families

        count = total = 0.0
        with contextlib.suppress(requests.RequestException):
            text = requests.get(f"http://127.0.0.1:{self.metrics_ports['intake']}/metrics",
                                timeout=5).text
            for family in text_string_to_metric_families(text):
                if family.name != "haven_rpc_latency_seconds":
                    continue
                for sample in family.samples:
                    if sample.labels.get("method") != method:
                        continue
                    if sample.name.endswith("_count"):
                        count += sample.value
                    elif sample.name.endswith("_sum"):
                        total += sample.value
        return count, total

    def stop(self) -> dict[str, Any]:
        """SIGTERM to every process at once, then wait for each; exit codes and the
        seconds each took to stop."""
        for process in self.processes.values():
            process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline and any(p.alive() for p in self.processes.values()):
            for process in self.processes.values():
                process.note_exit()
            time.sleep(0.02)
        codes = {name: p.stop() for name, p in self.processes.items()}
        return {"exit_codes": codes,
                "seconds_to_stop": {name: p.stopped_in for name, p in self.processes.items()}}


def operator_token(cfg: Settings) -> str:
    from shared.auth import issue_token

    return issue_token("bench-operator", ["helpline_operator"], ttl_seconds=3600)


# -- measurements --------------------------------------------------------------------
def measure_idle(platform: Platform, seconds: float) -> dict[str, float]:
    """CPU each platform process burns with no requests at all (pollers, heartbeats), in
    percent of one core."""
    before = {name: cpu_seconds(pid) for name, pid in platform.pids().items()}
    started = now()
    time.sleep(seconds)
    elapsed = now() - started
    platform.check()
    return {name: round(100 * (cpu_seconds(pid) - before[name]) / elapsed, 1)
            for name, pid in platform.pids().items()}


def measure_gateway(platform: Platform, token: str, clients: int, seconds: float,
                    max_requests: int) -> dict[str, Any]:
    """Closed-loop POST /api/v1/contacts: throughput and latency, plus CPU per request."""
    meter = CpuMeter(platform.pids())
    rpc_before = platform.scrape_rpc_latency()
    before = meter.snapshot()
    run = post_contacts(platform.url + "/api/v1/contacts", token, clients=clients,
                        seconds=seconds, max_requests=max_requests)
    after = meter.snapshot()
    rpc_after = platform.scrape_rpc_latency()
    summary = run.summary()
    calls = rpc_after[0] - rpc_before[0]
    summary["intake_log_contact_rpc_mean_ms"] = (
        round((rpc_after[1] - rpc_before[1]) * 1000 / calls, 2) if calls else None)
    summary.update(CpuMeter.per_request(before, after, summary["created"]))
    platform.check()
    return summary


def measure_propagation(platform: Platform, token: str, rate: float, seconds: float,
                        max_requests: int, settle_seconds: float) -> dict[str, Any]:
    """Open-loop load at `rate`/s; how long after each 201 the event reached the consumer
    and intake's read model. Events still missing after `settle_seconds` are counted."""
    watch = ReadModelWatch(platform.cfg)
    created_at: dict[str, float] = {}

    def on_created(contact_id: str, finished: float) -> None:
        created_at[contact_id] = finished
        watch.expect(contact_id)

    try:
        run: LoadRun = post_contacts(platform.url + "/api/v1/contacts", token, clients=8,
                                     seconds=seconds, max_requests=max_requests, rate=rate,
                                     on_created=on_created)
        deadline = time.monotonic() + settle_seconds
        while time.monotonic() < deadline:
            consumed = platform.arrivals.poll()
            if all(c in consumed and c in watch.seen for c in created_at):
                break
            platform.check()
            time.sleep(0.05)
    finally:
        watch.close()
    consumed = platform.arrivals.poll()
    to_consumer = [consumed[c] - t for c, t in created_at.items() if c in consumed]
    to_read_model = [watch.seen[c] - t for c, t in created_at.items() if c in watch.seen]
    load = run.summary()
    return {
        "offered_per_s": round(rate, 1), "achieved_per_s": load["per_s"],
        "created": load["created"], "errors": load["errors"],
        "post_p50_ms": load["p50_ms"], "post_p99_ms": load["p99_ms"],
        "to_consumer": {"arrived": len(to_consumer),
                        "missing": len(created_at) - len(to_consumer),
                        **percentiles_ms(to_consumer)},
        "to_read_model": {"arrived": len(to_read_model),
                          "missing": len(created_at) - len(to_read_model),
                          "poll_interval_ms": POLL_INTERVAL * 1000, "polls": watch.polls,
                          **percentiles_ms(to_read_model)},
    }


def fill_log(cfg: Settings, min_events: int, max_seconds: float, batch: int = 50) -> int:
    """Top intake's log up to `min_events` with more contacts (same body as the load),
    saved through the Intake application in batches; bounded by `max_seconds`."""
    from datetime import UTC, datetime

    from services.intake.application import Intake
    from services.intake.domain import Contact
    from shared.audit import CommandContext

    app = Intake(cfg)
    added = 0
    try:
        ctx = CommandContext(actor_id="bench-filler", actor_role="helpline_operator",
                             command="log_contact")
        deadline = time.monotonic() + max_seconds
        head = app.recorder.max_notification_id() or 0
        while head + added < min_events and time.monotonic() < deadline:
            n = min(batch, min_events - head - added)
            contacts = [Contact.log(operator_id=ctx.actor_id, started_at=datetime.now(UTC),
                                    **CONTACT) for _ in range(n)]
            app.save(*contacts, ctx=ctx)
            added += n
    finally:
        app.close()
    return added


def measure_relay(cfg: Settings, amqp_uri: str, logdir: Path, max_seconds: float,
                  poll_interval: float | None = None) -> dict[str, Any]:
    """A fresh `haven relay intake` publishing the whole stored log (position reset to 0).

    Timed from the first batch it records until it reaches the head: the process's start-up
    (imports, connections) is left out, so is its first batch -- a log of one batch (100)
    or less gives no rate (None).
    """
    import pika
    import psycopg
    from psycopg import sql

    from services.intake.application import Intake
    from shared.eventstore import _conninfo

    app = Intake(cfg)
    try:
        head = app.recorder.max_notification_id() or 0
    finally:
        app.close()
    table = sql.Identifier(cfg.schema("intake"), "outbox_position")
    name = "intake.events"
    queue_before = _queue_depth(pika, amqp_uri, consumer_queue())
    samples: list[tuple[float, int]] = []
    with psycopg.connect(_conninfo(cfg), autocommit=True) as conn:
        conn.execute(sql.SQL("UPDATE {} SET position = 0 WHERE name = %s").format(table), (name,))
        relay = Process("relay-backlog", relay_command(poll_interval),
                        platform_env(cfg, amqp_uri), logdir)
        try:
            deadline = time.monotonic() + max_seconds
            position = 0
            while position < head and time.monotonic() < deadline:
                relay.check()
                row = conn.execute(sql.SQL("SELECT position FROM {} WHERE name = %s")
                                   .format(table), (name,)).fetchone()
                position = int(row[0]) if row else 0
                if position and (not samples or samples[-1][1] != position):
                    samples.append((now(), position))
                time.sleep(0.005)
            rss = peak_rss_mb(relay.pid)
        finally:
            relay.stop()
    queued = _queue_depth(pika, amqp_uri, consumer_queue()) - queue_before
    first, last = (samples[0], samples[-1]) if samples else ((0.0, 0), (0.0, 0))
    timed = last[1] - first[1]
    seconds = last[0] - first[0]
    return {"log_head": head, "published_position": last[1], "timed_events": timed,
            "seconds": round(seconds, 3),
            "events_per_s": round(timed / seconds, 1) if seconds > 0 else None,
            "batches_seen": len(samples), "queued_for_consumer": queued,
            "peak_rss_mb": rss}


def _queue_depth(pika: Any, amqp_uri: str, queue: str) -> int:
    connection = pika.BlockingConnection(pika.URLParameters(amqp_uri))
    try:
        return int(connection.channel().queue_declare(queue, passive=True)
                   .method.message_count)
    finally:
        connection.close()


def procs_json(cfg: Settings, amqp_uri: str, *args: str, timeout: float) -> dict[str, Any]:
    """Run `python -m bench.procs ARGS` and return the JSON it prints last."""
    import json

    out = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.procs", *args], env=platform_env(cfg, amqp_uri),
        cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"bench.procs {' '.join(args)} failed ({out.returncode}):\n"
                           f"{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def measure_rebuild(cfg: Settings, amqp_uri: str, timeout: float = 120.0) -> dict[str, Any]:
    """intake's ProjectionRunner.rebuild over the whole log, in a prepared process of its own."""
    return procs_json(cfg, amqp_uri, "rebuild", timeout=timeout)


def measure_application(cfg: Settings, amqp_uri: str, seconds: float) -> dict[str, Any]:
    """Intake.log_contact without nameko, RPC or HTTP: in a process prepared as a service
    process is (eventlet, PSYCOPG_WAIT_FUNC=wait_select) and in a plain one."""
    return {mode: procs_json(cfg, amqp_uri, "app", str(seconds), mode, timeout=seconds + 60)
            for mode in ("prepared", "plain")}


@contextlib.contextmanager
def _logdir(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="haven-bench-"))
    failed = True
    try:
        yield path
        failed = False
    finally:
        if failed or keep:
            print(f"bench: process logs kept in {path}", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


@dataclasses.dataclass(frozen=True)
class Bounds:
    """How long and how much each measurement may take."""

    seconds: float = 8.0  # each closed-loop load and the paced load
    max_requests: int = 20_000  # per load
    clients: tuple[int, ...] = (1, 8)
    settle_seconds: float = 10.0  # for the paced load's last events to arrive
    min_log_events: int = 5_000  # relay and rebuild run over at least this many events
    fill_seconds: float = 20.0
    relay_seconds: float = 60.0
    rebuild_timeout: float = 120.0
    idle_seconds: float = 2.0
    application_seconds: float = 2.0  # each direct Intake.log_contact loop


def measure_platform(cfg: Settings, amqp_uri: str, bounds: Bounds = Bounds(),
                     profile_dir: Path | None = None, keep_logs: bool = False,
                     relay_poll_interval: float | None = None, profiler: str = "sample",
                     progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Every platform figure, flat, with self-explaining keys (see bench/README.md).
    `relay_poll_interval` other than None replaces `haven relay intake` by a what-if;
    `profile_dir` runs intake and gateway under `profiler` ("sample" or "cprofile")."""
    results: dict[str, Any] = {}
    details: dict[str, Any] = {}
    with _logdir(keep_logs or profile_dir is not None) as logdir:
        platform = Platform(cfg, amqp_uri, logdir, profile_dir, relay_poll_interval, profiler)
        token = operator_token(cfg)
        try:
            progress("starting intake, gateway, relay and consumer processes")
            platform.start()
            platform.wait_ready(token)
            progress(f"idle CPU of each process, {bounds.idle_seconds}s")
            for name, pct in measure_idle(platform, bounds.idle_seconds).items():
                results[f"idle_cpu_pct_of_one_core_{name}"] = pct
            for clients in bounds.clients:
                label = f"{clients}_client" + ("s" if clients > 1 else "")
                progress(f"POST /api/v1/contacts, {clients} closed-loop client(s),"
                         f" {bounds.seconds}s")
                figures = measure_gateway(platform, token, clients, bounds.seconds,
                                          bounds.max_requests)
                details[f"gateway_post_contacts_{label}"] = figures
                key = f"gateway_post_contacts_{label}"
                results[f"{key}_per_s"] = figures["per_s"]
                results[f"{key}_p50_ms"] = figures["p50_ms"]
                results[f"{key}_p99_ms"] = figures["p99_ms"]
                results[f"{key}_errors"] = figures["errors"]
            top = max(bounds.clients)
            top_rate = details[f"gateway_post_contacts_{top}_clients"]["per_s"] \
                if top > 1 else details["gateway_post_contacts_1_client"]["per_s"]
            rate = max(top_rate / 2, 1.0)
            progress(f"propagation at {rate:.1f}/s (half the {top}-client throughput),"
                     f" {bounds.seconds}s")
            propagation = measure_propagation(platform, token, rate, bounds.seconds,
                                              bounds.max_requests, bounds.settle_seconds)
            details["propagation_at_half_load"] = propagation
            results["propagation_offered_per_s"] = propagation["offered_per_s"]
            results["propagation_achieved_per_s"] = propagation["achieved_per_s"]
            for where in ("to_consumer", "to_read_model"):
                for stat in ("p50_ms", "p99_ms", "max_ms", "missing"):
                    results[f"propagation_{where}_{stat}"] = propagation[where][stat]
            rss = platform.peak_rss_mb()
        finally:
            progress("stopping the platform processes")
            details.update(platform.stop())
        if profile_dir is not None:
            details["cpu_profiles"] = platform.profiles()
        for name, value in rss.items():
            results[f"peak_rss_mb_{name}"] = value

        progress(f"Intake.log_contact called directly, {bounds.application_seconds}s in a"
                 " prepared and in a plain process")
        application = measure_application(cfg, amqp_uri, bounds.application_seconds)
        details["intake_application_direct"] = application
        for mode, figures in application.items():
            for stat in ("per_s", "p50_ms", "cpu_ms_per_call"):
                results[f"intake_application_log_contact_{mode}_process_{stat}"] = figures[stat]
        progress(f"filling intake's log up to {bounds.min_log_events} events")
        results["log_events_added_directly"] = fill_log(cfg, bounds.min_log_events,
                                                        bounds.fill_seconds)
        progress("relay: a fresh `haven relay intake` over the whole log")
        relay = measure_relay(cfg, amqp_uri, logdir, bounds.relay_seconds, relay_poll_interval)
        details["relay_backlog"] = relay
        results["relay_backlog_events"] = relay["timed_events"]
        results["relay_backlog_events_per_s"] = relay["events_per_s"]
        results["peak_rss_mb_relay_backlog"] = relay["peak_rss_mb"]
        progress("projection rebuild: intake's ProjectionRunner.rebuild over the whole log")
        rebuild = measure_rebuild(cfg, amqp_uri, bounds.rebuild_timeout)
        details["rebuild"] = rebuild
        results["rebuild_events"] = rebuild["events"]
        results["rebuild_events_per_s"] = rebuild["events_per_s"]
        results["peak_rss_mb_rebuild"] = rebuild["peak_rss_mb"]
    results["peak_rss_mb_bench"] = peak_rss_mb()
    results["details"] = details
    return results
