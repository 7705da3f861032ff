"""`haven stack`: production's process layout on one machine.

Every service, every outbox relay and the gateway run as separate processes, as many
replicas of each as asked, under supervisord: a process that exits (a service whose
container died exits 70) is started again, and all of them write to one log stream,
each line naming its process. They use the PostgreSQL and RabbitMQ that the environment
names, like `haven run` and `haven relay` do.

The files supervisord needs (its configuration, socket, pid file and, when detached,
one log per process) go in the stack's directory, var/stack by default.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import click
import requests

from shared.manifest import manifest

DEFAULT_DIR = "var/stack"
FIRST_METRICS_PORT = 9600  # /metrics, /health and /ready of each process, counted up
STARTED_AFTER = 5  # seconds a process must stay up before supervisord counts it started


@dataclass(frozen=True)
class Program:
    """One process of the stack: `haven run NAME` or `haven relay NAME`, one replica."""

    kind: str  # "run" or "relay"
    service: str
    replica: int
    metrics_port: int
    http_port: int | None = None  # the gateway's API

    @property
    def name(self) -> str:
        relay = "-relay" if self.kind == "relay" else ""
        return f"{self.service}{relay}-{self.replica}"


def programs(replicas: int = 1, first_port: int = FIRST_METRICS_PORT,
             http_ports: tuple[int, ...] = (8080,)) -> list[Program]:
    """Every process kind of the manifest, `replicas` of each. Gateway replica n serves
    the API on http_ports[n - 1] (two gateways need two ports, and a balancer before them)."""
    if len(http_ports) < replicas:
        raise ValueError(f"{replicas} gateways need {replicas} HTTP ports")
    kinds = [("run", entry.name, entry.http) for entry in manifest()]
    kinds += [("relay", entry.name, False) for entry in manifest() if entry.relay]
    found: list[Program] = []
    for kind, service, http in kinds:
        for replica in range(1, replicas + 1):
            found.append(Program(kind, service, replica, first_port + len(found),
                                 http_ports[replica - 1] if http else None))
    return found


def _script(command: str) -> str:
    """`command` beside this interpreter (the venv this stack was started from), else on
    PATH: `haven` itself, supervisord, supervisorctl."""
    found = Path(sys.executable).with_name(command)
    return str(found) if found.exists() else shutil.which(command) or command


def supervisord_conf(directory: Path, processes: list[Program], detached: bool) -> str:
    """supervisord's configuration: each program restarted whenever it ends, stopped with
    SIGTERM (workers finish) and killed after a minute. Attached, every log line goes to
    supervisord's own output; detached, each process has its file in `directory`."""
    def log(name: str) -> list[str]:
        if detached:
            return [f"stdout_logfile={directory / (name + '.log')}", "stdout_logfile_maxbytes=50MB",
                    "stdout_logfile_backups=3"]
        return ["stdout_logfile=/dev/stdout", "stdout_logfile_maxbytes=0"]

    lines = [
        "[unix_http_server]", f"file={directory / 'supervisor.sock'}", "chmod=0700", "",
        "[supervisord]", f"pidfile={directory / 'supervisord.pid'}",
        f"logfile={directory / 'supervisord.log'}" if detached else "logfile=/dev/stdout",
        "logfile_maxbytes=50MB" if detached else "logfile_maxbytes=0",
        f"childlogdir={directory}", f"nodaemon={'false' if detached else 'true'}", "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
        "[supervisorctl]", f"serverurl=unix://{directory / 'supervisor.sock'}", "",
    ]
    for program in processes:
        env = {"HAVEN_PROCESS_NAME": program.name,
               "HAVEN_METRICS_PORT": str(program.metrics_port)}
        if program.http_port is not None:
            env["HAVEN_HTTP_PORT"] = str(program.http_port)
        lines += [
            f"[program:{program.name}]",
            f"command={_script('haven')} {program.kind} {program.service}",
            "environment=" + ",".join(f'{k}="{v}"' for k, v in env.items()),
            "autostart=true", "autorestart=true", f"startsecs={STARTED_AFTER}",
            "startretries=1000",  # a broker away for minutes must not leave a process FATAL
            "stopsignal=TERM", "stopwaitsecs=60", "stopasgroup=true", "killasgroup=true",
            "redirect_stderr=true", *log(program.name), "",
        ]
    return "\n".join(lines)


class Stack:
    """The stack in `directory`: written, started, asked and stopped through supervisord."""

    def __init__(self, directory: str | Path = DEFAULT_DIR, replicas: int = 1,
                 first_port: int = FIRST_METRICS_PORT, http_ports: tuple[int, ...] = (8080,)):
        self.directory = Path(directory).resolve()
        self.programs = programs(replicas, first_port, http_ports)
        self.conf = self.directory / "supervisord.conf"
        self.layout = self.directory / "programs.json"  # for status and down, later

    def write(self, detached: bool) -> None:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.conf.write_text(supervisord_conf(self.directory, self.programs, detached))
        self.layout.write_text(json.dumps([asdict(p) for p in self.programs], indent=1))

    def up(self, detached: bool) -> subprocess.Popen[bytes]:
        """Start supervisord: attached, it runs (and logs) until stopped; detached, it
        returns once supervisord has forked into the background."""
        self.write(detached)
        return subprocess.Popen([_script("supervisord"), "-c", str(self.conf)])  # noqa: S603 - our own files

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([_script("supervisorctl"), "-c", str(self.conf), *args],  # noqa: S603
                              capture_output=True, text=True, timeout=120, check=False)

    def states(self) -> dict[str, str]:
        """{program: supervisord's state (RUNNING, STARTING, BACKOFF, EXITED, ...)}."""
        found = {}
        for line in self.ctl("status").stdout.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] in {p.name for p in self.programs}:
                found[parts[0]] = parts[1]
        return found

    def health(self) -> dict[str, str]:
        """{program: "ready", "not ready" or "down"}, as its /ready answers."""
        return {program.name: _ready(program.metrics_port) for program in self.programs}

    def down(self) -> subprocess.CompletedProcess[str]:
        return self.ctl("shutdown")


def _ready(port: int) -> str:
    try:
        response = requests.get(f"http://127.0.0.1:{port}/ready", timeout=5)
    except requests.RequestException:
        return "down"
    return "ready" if response.status_code == 200 else "not ready"


# -- haven stack ---------------------------------------------------------------------
@click.group(help="Every service, relay and the gateway as separate processes under"
                  " supervisord, on the PostgreSQL and RabbitMQ the environment names.")
@click.option("--dir", "directory", default=DEFAULT_DIR, show_default=True,
              help="Where supervisord's configuration, socket and logs go.")
@click.pass_context
def stack_cli(ctx: click.Context, directory: str) -> None:
    ctx.obj = directory


@stack_cli.command(help="Start the stack; attached (the default) it logs every process to"
                        " this terminal until Ctrl-C.")
@click.option("--replicas", default=1, show_default=True, type=click.IntRange(1, 9),
              help="Processes of each kind.")
@click.option("--port", default=8080, show_default=True, type=int,
              help="The gateway's API port (its replicas take the next ones).")
@click.option("--metrics-port", default=FIRST_METRICS_PORT, show_default=True, type=int,
              help="The first process's /metrics, /health and /ready (the others count up).")
@click.option("--detach", is_flag=True, help="Run in the background; logs go to --dir.")
@click.pass_obj
def up(directory: str, replicas: int, port: int, metrics_port: int, detach: bool) -> None:
    stack = Stack(directory, replicas, metrics_port, tuple(range(port, port + replicas)))
    for program in stack.programs:
        served = f", API on :{program.http_port}" if program.http_port else ""
        click.echo(f"  {program.name:24} /health on :{program.metrics_port}{served}")
    supervisord = stack.up(detach)
    try:
        sys.exit(supervisord.wait())
    except KeyboardInterrupt:  # supervisord had the signal too: it stops every process
        sys.exit(supervisord.wait())


@stack_cli.command(help="Each process's state under supervisord and what its /ready says;"
                        " exit 1 unless every one is running and ready.")
@click.pass_obj
def status(directory: str) -> None:
    stack = _existing(directory)
    states, health = stack.states(), stack.health()
    for program in stack.programs:
        click.echo(f"{program.name:24} {states.get(program.name, 'UNKNOWN'):10}"
                   f" {health[program.name]}")
    if set(states.values()) != {"RUNNING"} or set(health.values()) != {"ready"}:
        sys.exit(1)


@stack_cli.command(help="Stop every process (SIGTERM; running work finishes) and supervisord.")
@click.pass_obj
def down(directory: str) -> None:
    result = _existing(directory).down()
    click.echo(result.stdout.strip() or result.stderr.strip())


def _existing(directory: str) -> Stack:
    """The stack as `up` wrote it (its replicas and ports are in its configuration)."""
    stack = Stack(directory)
    if not stack.conf.exists():
        raise click.ClickException(f"no stack in {stack.directory}: start one with"
                                   " `haven stack up`")
    stack.programs = [Program(**p) for p in json.loads(stack.layout.read_text())]
    return stack
