"""A small CPU sampling profiler for eventlet processes (py-spy is not installed here).

cProfile under eventlet misleads: cumulative times run across greenlet switches, and its
clock counts waits. Here SIGPROF fires every `interval` seconds of the process's CPU time
and the handler records the stack of whatever greenlet is running: CPU attributed to real
stacks, including which green thread (nameko worker, projection runner, eventlet hub).
Costs a few percent of CPU at 1 ms.

    sampler = Sampler(); sampler.start(); ...; sampler.stop(); sampler.dump(path)
    summarize(path) -> where the CPU went, by green thread, by package, by Haven function

`path` holds collapsed stacks ("frame;frame;frame count"), the format flame graph tools read.
"""

from __future__ import annotations

import collections
import re
import signal
from pathlib import Path
from typing import Any

_PACKAGE = re.compile(r"site-packages/([A-Za-z0-9_]+)")
_HAVEN = re.compile(r"/((?:shared|services)/[^:]+):(.+)$")


def _frame_name(code: Any) -> str:
    return f"{code.co_filename}:{code.co_name}"


class Sampler:
    def __init__(self, interval: float = 0.001, max_depth: int = 120):
        self.interval, self.max_depth = interval, max_depth
        self.counts: collections.Counter[tuple[str, ...]] = collections.Counter()

    def _on_signal(self, signum: int, frame: Any) -> None:
        stack: list[str] = []
        while frame is not None and len(stack) < self.max_depth:
            stack.append(_frame_name(frame.f_code))
            frame = frame.f_back
        self.counts[tuple(reversed(stack))] += 1

    def start(self) -> None:
        signal.signal(signal.SIGPROF, self._on_signal)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)

    def stop(self) -> None:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)

    def dump(self, path: str | Path) -> None:
        with open(path, "w") as out:
            for stack, count in self.counts.most_common():
                out.write(";".join(stack) + f" {count}\n")


def _short(frame: str) -> str:
    haven = _HAVEN.search(frame)
    if haven:
        return f"{haven[1]}:{haven[2]}"
    package = _PACKAGE.search(frame)
    name = frame.rsplit(":", 1)[-1]
    if package:
        return f"{package[1]}:{name}"
    return frame.rsplit("/", 1)[-1]


def _thread(stack: list[str]) -> str:
    """Which green thread: the first frame below the greenlet's (or thread's) entry."""
    entries = ("eventlet/greenthread.py:main", "threading.py:_bootstrap_inner",
               "threading.py:run")
    for i, frame in enumerate(stack):
        if frame.endswith(("eventlet/hubs/hub.py:run", "eventlet/hubs/hub.py:switch")) and i < 3:
            return "eventlet hub (polling, timers)"
        if frame.endswith(entries):
            rest = [f for f in stack[i + 1:] if not f.endswith(entries)]
            return _short(rest[0]) if rest else _short(frame)
    return _short(stack[0]) if stack else "?"


def _package(frame: str) -> str:
    if _HAVEN.search(frame):
        return "haven (shared/, services/)"
    package = _PACKAGE.search(frame)
    if package:
        return package[1]
    if "python3" in frame or frame.startswith("<"):
        return "python stdlib"
    return "other"


def summarize(path: str | Path, top: int = 25) -> dict[str, Any]:
    """CPU shares (% of samples) by green thread, by the package of the innermost frame
    (self time), and by Haven function anywhere on the stack (inclusive time)."""
    threads: collections.Counter[str] = collections.Counter()
    packages: collections.Counter[str] = collections.Counter()
    haven: collections.Counter[str] = collections.Counter()
    total = 0
    for line in Path(path).read_text().splitlines():
        frames, _, count_text = line.rpartition(" ")
        stack, count = frames.split(";"), int(count_text)
        total += count
        threads[_thread(stack)] += count
        packages[_package(stack[-1])] += count
        for name in {_short(f) for f in stack if _HAVEN.search(f)}:
            haven[name] += count

    def shares(counter: collections.Counter[str]) -> dict[str, float]:
        return {k: round(100 * v / max(total, 1), 1) for k, v in counter.most_common(top)}

    return {"samples": total, "by_green_thread_pct": shares(threads),
            "by_package_self_pct": shares(packages), "by_haven_function_inclusive_pct":
            shares(haven)}
