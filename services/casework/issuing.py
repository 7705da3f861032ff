"""Issuing case references one opening at a time, from the year's numbering kept in memory.

References must be gap-free, so every opening takes the next number from one `CaseNumbering`
aggregate per year, saved in the opening's transaction (domain/numbering.py). Ten
openings at once in one process used to load that aggregate together, issue the same
number, and all but one lose the store's (id, version) race and start over: under 20
referrals a second casework fell from about ten cases a second to two.

So a process issues one reference at a time (a lock held from taking the number until the
opening is saved), from the numbering it saved last (no load per opening, whatever the
year already holds). Another replica may have issued in between: then the save loses the
race as before, the numbering is dropped from memory and the opening starts over from
the store. A failed opening drops it too, since its unsaved number must not be reused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from services.casework.domain import CaseNumbering


class ReferenceDesk:
    def __init__(self, load: Callable[[int], CaseNumbering]):
        self._load = load  # the year's numbering as stored (or a new one)
        self._lock = threading.Lock()  # green under eventlet: workers queue, not collide
        self._saved: dict[int, CaseNumbering] = {}

    @contextmanager
    def issuing(self, year: int) -> Iterator[CaseNumbering]:
        """The year's numbering, for this opening alone until it is saved or has failed."""
        with self._lock:
            numbering = self._saved.pop(year, None) or self._load(year)
            yield numbering  # an exception leaves it out: stale or holding an unsaved number
            self._saved[year] = numbering
