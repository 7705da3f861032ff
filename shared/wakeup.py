"""Wake-ups inside one process: a store's followers (its relay, its projections) and the
in-memory broker's consumers sleep until something new is there, instead of polling.

A follower still wakes on its own after its idle interval: a write made by another
process (a replica, a `haven` command) reaches it no later than that. In production that
interval stays the short poll it always was; embedded, where every writer is in this
process, it can be long, so an idle `haven dev` costs almost nothing.
"""

from __future__ import annotations

import threading
from collections import defaultdict

EMBEDDED_IDLE_INTERVAL = 2.0  # seconds; how late another process's write may show, embedded


class Signal:
    """A counter of things that happened, and a wait for the next one.

    A waiter reads `seen` before it looks for work and waits only if nothing happened
    since, so a change made between its look and its wait is never slept through.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.seen = 0
        self.waiting = 0  # followers asleep on it now (what a test waits for)

    def fire(self) -> None:
        with self._changed:
            self.seen += 1
            self._changed.notify_all()

    def wait(self, seen: int, timeout: float | None) -> bool:
        """True when something happened after `seen`; False when `timeout` passed first."""
        with self._changed:
            self.waiting += 1
            try:
                return self._changed.wait_for(lambda: self.seen != seen, timeout)
            finally:
                self.waiting -= 1


_stores: defaultdict[str, Signal] = defaultdict(Signal)
_lock = threading.Lock()


def store_signal(service: str) -> Signal:
    """Fired each time this process records events in `service`'s store."""
    with _lock:
        return _stores[service]


def wake_everyone() -> None:
    """On stopping: every follower looks at its stop flag now, not after its idle wait."""
    with _lock:
        signals = list(_stores.values())
    for signal in signals:
        signal.fire()
