"""Shelter service processes as deployed (`haven run shelter`, two replicas), on schemas of
the test's own, with their logs and metrics; and RPC calls to them as the gateway makes."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy

from shared.auth import issue_token
from shared.config import Settings
from shared.errors import from_remote
from shared.testing import haven_script
from shared.testing.plugin import eventually
from tests.gateway_fixtures import free_port


class Process:
    def __init__(self, log: Path):
        self.log, self.port = log, free_port()
        # Smaller pools than deployed (4, and as many again for the event store): the
        # database's connections are shared with every other test run on the machine, and
        # two writers a process still race (a shelter's writes are serialised anyway).
        env = {**os.environ, "HAVEN_METRICS_PORT": str(self.port), "HAVEN_LOG_LEVEL": "INFO",
               "HAVEN_POSTGRES_POOL_SIZE": "2"}
        haven = haven_script()
        with log.open("w") as out:
            self.popen = subprocess.Popen([str(haven), "run", "shelter"], env=env, stdout=out,
                                          stderr=subprocess.STDOUT)

    def started(self) -> bool:
        if self.popen.poll() is not None:
            raise AssertionError(f"the process ended: {self.log.read_text()}")
        return "service shelter started" in self.log.read_text()

    def metric(self, name: str, **labels: str) -> float:
        """A sample's value from this process's /metrics (0 when absent)."""
        text = requests.get(f"http://127.0.0.1:{self.port}/metrics", timeout=5).text
        wanted = [f'{k}="{v}"' for k, v in labels.items()]
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith(name + "{") and all(w in line for w in wanted))

    def stop(self) -> str:
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            raise
        text = self.log.read_text()
        assert self.popen.returncode == 0, text
        # Refusals are warnings; a failed poll or consumer would be an error.
        assert "Traceback" not in text and " ERROR " not in text, text
        return text


@contextmanager
def running(tmp_path: Path, count: int = 2, name: str = "shelter") -> Iterator[list[Process]]:
    processes = [Process(tmp_path / f"{name}-{n}.log") for n in range(count)]
    try:
        eventually(lambda: all(p.started() for p in processes), timeout=60)
        yield processes
    finally:
        for process in processes:
            if process.popen.poll() is None:
                process.stop()


def consumers(vhost: str, queue: str) -> int:
    """How many consumers the broker has on a queue of this run's vhost."""
    out = subprocess.run(["rabbitmqctl", "-q", "list_consumers", "-p", vhost, "queue_name"],
                         check=True, capture_output=True, text=True).stdout
    return sum(line.strip() == queue for line in out.splitlines())


def call_all(cfg: Settings, calls: list[tuple[str, dict[str, Any]]], user: str,
             roles: tuple[str, ...], service: str = "shelter") -> list[Any]:
    """Send every call at once (the services' workers take them concurrently); each answer,
    or the error contract's error it raised."""
    token = issue_token(user, list(roles))
    config = {"AMQP_URI": cfg.amqp_uri, "SERIALIZER": "json"}
    with ClusterRpcProxy(config, context_data={"authorization": token}) as cluster:
        pending = [getattr(getattr(cluster, service), method).call_async(payload=payload)
                   for method, payload in calls]
        answers: list[Any] = []
        for reply in pending:
            try:
                answers.append(reply.result())
            except RemoteError as exc:
                answers.append(from_remote(exc.exc_type, exc.value))
        return answers


def call_one(cfg: Settings, service: str, method: str, payload: dict[str, Any] | None,
             user: str, role: str) -> Any:
    """One RPC as the gateway makes it; the error contract's error raised as such."""
    (answer,) = call_all(cfg, [(method, payload or {})], user, (role,), service)
    if isinstance(answer, Exception):
        raise answer
    return answer


def recount(app: Any) -> dict[str, tuple[str, str | None]]:
    """Every bed's state folded straight from the shelters' stored events -- not through the
    aggregates or the read model -- to check both against."""
    beds: dict[str, tuple[str, str | None]] = {}
    for notification in app.recorder.select_notifications(0, 1_000_000):
        kind = notification.topic.rsplit(".", 1)[-1]
        if ":Shelter." not in notification.topic:
            continue
        state = app.mapper.decode_state(notification)
        if kind == "RoomAdded":
            beds.update({bed["bed_id"]: ("free", None) for bed in state["beds"]})
        elif kind in ("BedHeld", "BedOccupied"):
            beds[state["bed_id"]] = ("held" if kind == "BedHeld" else "occupied",
                                     state["placed"]["stay_id"])
        elif kind in ("BedHoldReleased", "BedVacated"):
            beds[state["bed_id"]] = ("free", None)
    return beds
