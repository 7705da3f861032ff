"""HTTP load for the benchmark: N client threads, one requests.Session each.

Closed loop (`rate=None`): every client sends its next request as soon as the previous
one answered -- this measures throughput. Open loop (`rate=R`): request k is due at
`start + k / R` whatever happened before, so a slow answer does not slow the offered
load down -- this is how propagation is measured at a fixed fraction of capacity.

Threads, not eventlet: `make bench` runs this in a process that is NOT monkey-patched,
so each client is an OS thread and its socket waits release the GIL. (Under pytest the
process is patched and the same code runs on green threads; fine for a smoke test.)
Every loop is bounded by a request count and a deadline.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

# A helpline call as the desk logs it, with personal data (sealed before it is stored).
CONTACT = {"channel": "phone", "direction": "inbound", "caller_type": "potential_victim",
           "topic": "victim_support", "urgency": "urgent", "language": "uk",
           "summary": "Caller says her passport was taken by the farm owner; works 14 hours"
                      " a day, is not paid and cannot leave the farm.",
           "callback_contact": "+48 600 100 200"}

REQUEST_TIMEOUT = 30.0


def now() -> float:
    """CLOCK_MONOTONIC: system-wide on Linux, so comparable with other processes' stamps."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


@dataclass(frozen=True)
class Sample:
    started: float  # now() before the request was sent
    finished: float  # now() once the whole response was read
    status: int  # HTTP status, 0 for a transport error
    created_id: str | None  # the new contact's id on a 201

    @property
    def ok(self) -> bool:
        return self.status == 201 and self.created_id is not None


@dataclass
class LoadRun:
    clients: int
    started: float
    finished: float
    samples: list[Sample]
    rate: float | None = None

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if s.ok]

    def summary(self) -> dict[str, Any]:
        """Throughput over the wall time of the run; latency percentiles of the 201s."""
        ok = self.ok
        elapsed = max(self.finished - self.started, 1e-9)
        latencies = [s.finished - s.started for s in ok]
        return {"requests": len(self.samples), "created": len(ok),
                "errors": len(self.samples) - len(ok), "seconds": round(elapsed, 3),
                "per_s": round(len(ok) / elapsed, 1), **percentiles_ms(latencies)}


def percentile(ordered: list[float], p: float) -> float:
    """Nearest rank on sorted data (the method bench/raw.py uses)."""
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def percentiles_ms(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"p50_ms": None, "p99_ms": None, "max_ms": None}
    ordered = sorted(values)
    return {"p50_ms": round(percentile(ordered, 0.50) * 1000, 2),
            "p99_ms": round(percentile(ordered, 0.99) * 1000, 2),
            "max_ms": round(ordered[-1] * 1000, 2)}


def post_contacts(url: str, token: str, *, clients: int, seconds: float, max_requests: int,
                  rate: float | None = None,
                  on_created: Callable[[str, float], None] | None = None) -> LoadRun:
    """POST `CONTACT` to `url` from `clients` threads until `seconds` or `max_requests`.

    `on_created(contact_id, finished)` is called as each 201 is read (propagation).
    """
    if clients < 1 or seconds <= 0 or max_requests < 1:
        raise ValueError("clients, seconds and max_requests must be positive")
    if rate is not None and rate <= 0:
        raise ValueError("rate must be positive")
    body = json.dumps(CONTACT).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    samples: list[Sample] = []  # list.append is atomic
    numbers = itertools.count()
    numbers_lock = threading.Lock()
    # Sessions (and their keep-alive connections) are opened before the clock starts.
    sessions = [requests.Session() for _ in range(clients)]
    for session in sessions:
        session.headers.update(headers)
    started = now()
    deadline = started + seconds

    def client(session: requests.Session) -> None:
        while True:
            with numbers_lock:
                k = next(numbers)
            if k >= max_requests:
                return
            if rate is not None:
                due = started + k / rate
                if due >= deadline:
                    return
                pause = due - now()
                if pause > 0:
                    time.sleep(pause)
            elif now() >= deadline:
                return
            sent = now()
            try:
                response = session.post(url, data=body, timeout=REQUEST_TIMEOUT)
                status = response.status_code
                created = response.json().get("id") if status == 201 else None
            except (requests.RequestException, ValueError):
                status, created = 0, None
            done = now()
            samples.append(Sample(sent, done, status, created))
            if created and on_created is not None:
                on_created(created, done)

    threads = [threading.Thread(target=client, args=(s,), name=f"bench-client-{i}", daemon=True)
               for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + REQUEST_TIMEOUT + 5)
    for session in sessions:
        session.close()
    finished = max((s.finished for s in samples), default=now())
    return LoadRun(clients=clients, started=started, finished=finished, samples=samples,
                   rate=rate)
