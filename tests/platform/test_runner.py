"""A service process ends when its service container dies, so its supervisor restarts
it; a SIGTERM still stops it gracefully with 0."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from shared.runner import EXIT_CONTAINER_ENDED

PROBE = str(Path(__file__).with_name("dying_service.py"))


def _start(mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, PROBE, mode], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def test_a_dead_container_ends_its_process_non_zero():
    with _start("dies") as process:
        # Without the watch the process waits for a signal forever: this times out.
        output, _ = process.communicate(timeout=120)
    assert process.returncode == EXIT_CONTAINER_ENDED
    said = output.split("service container ended")[-1]
    assert "ConnectionRefusedError" in said and "ECONNREFUSED" not in said  # type only


def test_a_container_that_does_not_finish_dying_still_ends_its_process():
    with _start("dies-slowly") as process:
        # Waiting for the kill to complete would wait for ever: this would time out.
        process.communicate(timeout=120)
    assert process.returncode == EXIT_CONTAINER_ENDED


def test_sigterm_still_stops_a_healthy_service_with_zero():
    with _start("healthy") as process:
        assert process.stdout is not None
        for line in process.stdout:
            if line.strip() == "started":
                break
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=120)
    assert process.returncode == 0
