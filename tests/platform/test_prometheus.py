"""The on-call engineer's view: a real Prometheus (Debian's, installed by `make`'s promtool
target) scrapes every Haven process as deployed -- each service and each relay its own
process -- with the alert rules shipped in deploy/prometheus/alerts.yml, unchanged.

Its own API lists every process as up; every query of the Grafana dashboards runs in it and
names only series the processes expose; when a relay stops, HavenProcessDown fires (after
the rule's own two minutes) and resolves once the relay is back."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from shared.manifest import manifest
from shared.testing import haven_script
from shared.testing.plugin import eventually, own_run
from tests.gateway_fixtures import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARDS = sorted((DEPLOY / "grafana").glob("*.json"))
TYPE_LINE = re.compile(r"^# TYPE (\w+) \w+$", re.MULTILINE)
SAMPLE_SUFFIXES = ("_total", "_bucket", "_sum", "_count", "_created")
STOPPED = "haven-intake-relay"  # the process the test stops and starts again


class HavenProcess:
    """`haven run NAME` or `haven relay NAME`, serving /metrics on a port of its own."""

    def __init__(self, kind: str, name: str, logs: Path):
        self.kind, self.name, self.port = kind, name, free_port()
        self.job = f"haven-{name}" + ("-relay" if kind == "relay" else "")
        self.log = logs / f"{self.job}.log"
        self.popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        # Pools of one: eleven processes share the machine's PostgreSQL with the test run.
        env = {**os.environ, "HAVEN_METRICS_PORT": str(self.port), "HAVEN_LOG_LEVEL": "INFO",
               "HAVEN_POSTGRES_POOL_SIZE": "1", "HAVEN_HTTP_PORT": str(free_port())}
        with self.log.open("a") as out:
            self.popen = subprocess.Popen([haven_script(), self.kind, self.name], env=env,
                                          stdout=out, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()


@pytest.fixture
def platform(monkeypatch, tmp_path) -> Iterator[dict[str, HavenProcess]]:
    """Every process kind of the manifest, once, on schemas and a vhost of the test's own."""
    with own_run(monkeypatch, f"m{uuid.uuid4().hex[:6]}"):
        processes = [HavenProcess("run", entry.name, tmp_path) for entry in manifest()]
        processes += [HavenProcess("relay", entry.name, tmp_path)
                      for entry in manifest() if entry.relay]
        try:
            for process in processes:
                process.start()
            yield {p.job: p for p in processes}
        finally:
            for process in processes:
                process.stop()


@pytest.fixture
def prometheus(platform, tmp_path) -> Iterator[str]:
    """Prometheus scraping each process as a job `haven-<process>` every second, evaluating
    the shipped rules every second; its API's base URL."""
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: `make promtool` installs it (Debian's prometheus)"
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s",
                   "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [{"job_name": job, "static_configs": [
            {"targets": [f"127.0.0.1:{process.port}"]}]} for job, process in platform.items()],
    }))
    port = free_port()
    log = tmp_path / "prometheus.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
             f"--web.listen-address=127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        eventually(lambda: _answers(f"{base}/status/buildinfo"), timeout=60)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=60)


def _answers(url: str) -> Any:
    try:
        response = requests.get(url, timeout=5)
    except requests.ConnectionError:
        return None
    return response.json()["data"] if response.ok else None


def _health(base: str) -> dict[str, str]:
    """{job: health} as Prometheus's targets API reports it."""
    return {t["labels"]["job"]: t["health"] for t in _answers(f"{base}/targets")["activeTargets"]}


def _process_down(base: str) -> dict[str, str]:
    """{job: state} of HavenProcessDown alerts, pending or firing."""
    return {a["labels"]["job"]: a["state"] for a in _answers(f"{base}/alerts")["alerts"]
            if a["labels"]["alertname"] == "HavenProcessDown"}


def _exposed(platform: dict[str, HavenProcess]) -> set[str]:
    """Every metric family some process's /metrics declares (with or without samples yet:
    a counter nobody has incremented, such as dead letters, is still declared)."""
    names: set[str] = set()
    for process in platform.values():
        names |= set(TYPE_LINE.findall(
            requests.get(f"http://127.0.0.1:{process.port}/metrics", timeout=10).text))
    return names


def _family(series: str) -> str:
    for suffix in SAMPLE_SUFFIXES:
        if series.endswith(suffix):
            return series.removesuffix(suffix)
    return series


def _check_dashboards(platform: dict[str, HavenProcess], base: str) -> None:
    """Each dashboard query evaluates in this Prometheus, and every haven_* series it names
    is one that a running process exposes."""
    exposed = {_family(name) for name in _exposed(platform)}
    assert DASHBOARDS
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                answer = requests.get(f"{base}/query", params={"query": expr}, timeout=10)
                assert answer.ok and answer.json()["status"] == "success", (path.name, expr,
                                                                            answer.text)
                named = {_family(n) for n in re.findall(r"\bhaven_\w+", expr)}
                assert named <= exposed, (path.name, panel.get("title"), named - exposed)


def test_prometheus_sees_every_process_up_and_pages_when_a_relay_stops(platform, prometheus):
    every_job = set(platform)
    assert len(every_job) == len(manifest().names) + len(manifest().stores)
    # Processes take a while to start on a busy machine: wait for all of them, not a time.
    eventually(lambda: _health(prometheus) == dict.fromkeys(every_job, "up"), timeout=240)
    # A process still starting at a scrape left the alert pending: gone at the next rounds.
    eventually(lambda: _process_down(prometheus) == {}, timeout=60)
    _check_dashboards(platform, prometheus)

    platform[STOPPED].stop()
    eventually(lambda: _health(prometheus)[STOPPED] == "down", timeout=60)
    # The rule holds for two minutes (its `for:`) before it pages: pending first, then firing.
    eventually(lambda: _process_down(prometheus).get(STOPPED) == "firing", timeout=300)
    assert set(_process_down(prometheus)) == {STOPPED}  # the others are still up

    platform[STOPPED].start()
    eventually(lambda: _health(prometheus)[STOPPED] == "up", timeout=120)
    eventually(lambda: STOPPED not in _process_down(prometheus), timeout=60)
    assert _health(prometheus) == dict.fromkeys(every_job, "up")
