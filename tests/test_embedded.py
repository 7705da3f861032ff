"""`haven dev` (what `make dev` runs): the whole platform in one process, no servers."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from shared.testing import haven_script
from tests.gateway_fixtures import eventually, free_port

CONTACT = {"channel": "chat", "caller_type": "family_or_friend", "topic": "safe_work_abroad",
           "urgency": "routine", "language": "ro", "summary": "Sister got a job offer in Spain"}


def _start(data_dir: Path, port: int, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    haven = haven_script()
    return subprocess.Popen([str(haven), "dev", "--data-dir", str(data_dir), "--port", str(port),
                             *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _wait_healthy(base: str, proc: subprocess.Popen) -> None:
    """Until /health answers (how soon is `make bench`'s to measure, not a test's)."""
    def healthy() -> bool:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "exited"
        try:
            return requests.get(base + "/health", timeout=60).ok
        except requests.RequestException:  # not listening yet, or slow on a busy machine
            return False

    eventually(healthy, timeout=300, interval=0.2)


def _stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out
    return out


def _banner(proc: subprocess.Popen) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    while not lines or "Ctrl-C stops." not in lines[-1]:
        lines.append(proc.stdout.readline())
        assert lines[-1], "haven dev ended before printing its banner"
    return lines


def _token(out_lines: list[str], role: str) -> str:
    return next(line.split()[1] for line in out_lines if line.strip().startswith(role + " "))


@pytest.mark.slow
def test_dev_serves_the_api_and_a_posted_contact_is_listed_and_counted(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(tmp_path, port)
    try:
        _wait_healthy(base, proc)
        lines = _banner(proc)
        auth = {"Authorization": f"Bearer {_token(lines, 'helpline_operator')}"}

        created = requests.post(base + "/api/v1/contacts", json=CONTACT, headers=auth, timeout=60)
        assert created.status_code == 201, created.text
        contact_id = created.json()["id"]
        month = requests.get(f"{base}/api/v1/contacts/{contact_id}", headers=auth,
                             timeout=60).json()["started_at"][:7]

        def listed() -> bool:
            page = requests.get(base + "/api/v1/contacts", params={"channel": "chat",
                                "page_size": 200}, headers=auth, timeout=60).json()
            return any(row["contact_id"] == contact_id for row in page["items"])

        assert eventually(listed, timeout=120)
        stats = requests.get(base + "/api/v1/helpline/stats", params={"month": month},
                             headers=auth, timeout=60).json()
        assert stats["contacts"] >= 1
        assert eventually(lambda: (tmp_path / ".demo-loaded").exists(), timeout=900,
                          interval=0.5)
        # The helpline demo's referrals became cases over the in-memory broker, and
        # the casework demo worked on them.
        supervisor = {"Authorization": f"Bearer {_token(lines, 'supervisor')}"}
        cases = requests.get(base + "/api/v1/cases", headers=supervisor, timeout=60).json()
        assert cases["total"] >= 12
        assert any(row["caseworker_id"] for row in cases["items"])
    finally:
        out = _stop(proc)
    assert "stopped." in out

    # A restart keeps the data and does not load the demo twice.
    proc = _start(tmp_path, port)
    try:
        _wait_healthy(base, proc)
        lines = _banner(proc)
        auth = {"Authorization": f"Bearer {_token(lines, 'helpline_operator')}"}
        detail = requests.get(f"{base}/api/v1/contacts/{contact_id}", headers=auth, timeout=60)
        assert detail.status_code == 200
        assert detail.json()["summary"] == CONTACT["summary"]
    finally:
        out = _stop(proc)
    assert "demo data" not in out


def _processes_naming(path: Path) -> list[int]:
    """The pids of the processes whose command line names `path`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(path).encode() in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
        except OSError:  # ended meanwhile
            continue
    return found


def test_ctrl_c_while_dev_starts_stops_it_whole_and_leaves_no_mail_sink(tmp_path):
    """Ctrl-C as soon as the mail sink is up, the platform still starting: `haven dev`
    stops gracefully, and its mail sink (a process of its own) goes with it. It used to
    end half-way with a traceback and leave the sink running (seen after a busy run)."""
    proc = _start(tmp_path, free_port(), "--no-demo")
    sinks: list[int] = []

    def sink_up() -> bool:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "exited"
        sinks[:] = _processes_naming(tmp_path / "mail")
        return bool(sinks)

    try:
        eventually(sink_up, timeout=120, interval=0.01)
    finally:
        out = _stop(proc)
    assert "stopped." in out and "Traceback" not in out, out
    assert not any(Path(f"/proc/{pid}").exists() for pid in sinks), "the mail sink outlived dev"
