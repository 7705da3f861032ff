"""`make soak`: the stack under steady load for half an hour, each process's memory watched.

Every process kind (two replicas each) runs under supervisord on schemas and a vhost of
the soak's own; helpline, case desk and shelter desks call the gateways throughout (the
load of the fault suite, tests/platform/stack_support.py). Every `interval` seconds each
process's resident memory is read from its own /metrics (prometheus-client's
process_resident_memory_bytes). At the end: per process the memory after warm-up, at the
end, at its peak, and the growth over the second half in MiB per hour -- a leak shows as
steady growth there, warm-up (caches, pools) in the first half does not count. The
invariants of the fault suite are checked afterwards: nothing lost, nothing doubled.

    HAVEN_SOAK_MINUTES=30 HAVEN_SOAK_INTERVAL=30 python -m bench.soak   # -> bench/soak.json

Not in CI: it takes half an hour by design.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from shared.stack import Stack
from shared.testing.plugin import own_run
from tests.platform.stack_support import (
    assert_nothing_lost_or_doubled,
    gateways,
    running_stack,
    under_load,
)

RSS = re.compile(r"^process_resident_memory_bytes (\S+)$", re.MULTILINE)
FLAT_MIB_PER_HOUR = 20.0  # growth below this over the second half counts as flat
OUT = Path(__file__).with_name("soak.json")


def resident_mib(port: int) -> float | None:
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    except requests.RequestException:
        return None
    found = RSS.search(text)
    return float(found.group(1)) / 2**20 if found else None


def slope_per_hour(samples: list[tuple[float, float]]) -> float:
    """Least-squares growth of (seconds, MiB) samples, in MiB per hour."""
    if len(samples) < 2:
        return 0.0
    return statistics.linear_regression([t for t, _ in samples],
                                        [m for _, m in samples]).slope * 3600


def summarise(series: dict[str, list[tuple[float, float]]]) -> dict[str, Any]:
    rows = {}
    for name, samples in sorted(series.items()):
        if not samples:
            continue
        half = samples[len(samples) // 2:]
        rows[name] = {"warm_mib": round(half[0][1], 1), "end_mib": round(samples[-1][1], 1),
                      "peak_mib": round(max(m for _, m in samples), 1),
                      "second_half_mib_per_hour": round(slope_per_hour(half), 1)}
    return rows


def soak(minutes: float, interval: float) -> dict[str, Any]:
    series: dict[str, list[tuple[float, float]]] = {}
    with pytest.MonkeyPatch.context() as patch, \
            own_run(patch, f"soak{uuid.uuid4().hex[:6]}"):
        patch.setenv("HAVEN_POSTGRES_POOL_SIZE", "1")  # 22 processes on one PostgreSQL
        with tempfile.TemporaryDirectory(prefix="haven-soak-") as directory, \
                running_stack(Path(directory), replicas=2) as stack:
            with under_load(gateways(stack)) as outcomes:
                started = time.monotonic()
                while (elapsed := time.monotonic() - started) < minutes * 60:
                    sample(stack, series, elapsed)
                    print(f"{elapsed / 60:5.1f} min  {len(outcomes.accepted)} accepted",
                          flush=True)
                    time.sleep(interval)
                sample(stack, series, time.monotonic() - started)
            rows = summarise(series)
            result = {"minutes": minutes, "accepted": len(outcomes.accepted),
                      "processes": rows, "flat": all(
                          r["second_half_mib_per_hour"] < FLAT_MIB_PER_HOUR
                          for r in rows.values())}
            OUT.write_text(json.dumps(result, indent=1) + "\n")  # kept, whatever follows
            try:
                assert_nothing_lost_or_doubled(outcomes)
                result["invariants"] = "held"
            except AssertionError as broken:  # a backlog still draining, or a loss
                result["invariants"] = f"broken: {broken}"[:2000]
    return result


def sample(stack: Stack, series: dict[str, list[tuple[float, float]]], at: float) -> None:
    for program in stack.programs:
        mib = resident_mib(program.metrics_port)
        if mib is not None:
            series.setdefault(program.name, []).append((at, mib))


def main() -> None:
    result = soak(float(os.environ.get("HAVEN_SOAK_MINUTES", "30")),
                  float(os.environ.get("HAVEN_SOAK_INTERVAL", "30")))
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"{'process':24} {'warm':>8} {'end':>8} {'peak':>8} {'MiB/h (2nd half)':>18}")
    for name, row in result["processes"].items():
        print(f"{name:24} {row['warm_mib']:8} {row['end_mib']:8} {row['peak_mib']:8}"
              f" {row['second_half_mib_per_hour']:18}")
    print(f"{result['accepted']} commands accepted; memory flat: {result['flat']}"
          f" (under {FLAT_MIB_PER_HOUR} MiB/h each); written to {OUT}")
    print(f"invariants afterwards: {result['invariants']}")
    raise SystemExit(0 if result["flat"] and result["invariants"] == "held" else 1)


if __name__ == "__main__":
    main()
