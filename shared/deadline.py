"""A command's deadline: the moment its caller stops waiting for the answer.

The gateway answers 503 "not carried out, retry later" when a service has not answered
within HAVEN_RPC_DEADLINE. Its request expires on the broker at that moment, but a service
that took the request just before then would still carry it out afterwards, for a caller
who was told it was not. So the gateway sends the deadline with the request (context data
"deadline", seconds since the epoch as text), and the service refuses to start the command, or to
store anything for it, once the deadline has passed. The gateway waits GRACE seconds longer
than the deadline, so an answer stored in time reaches it.
"""

from __future__ import annotations

import contextvars
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from shared.errors import DeadlinePassed

CONTEXT_KEY = "deadline"
GRACE = 1.0  # seconds the gateway waits beyond the deadline for an answer stored in time

_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "haven_command_deadline", default=None)


def parse(value: Any) -> float | None:
    """A deadline from context data; anything else (absent, not a number) is none."""
    try:
        found = float(value)
    except (TypeError, ValueError):
        return None
    return found if math.isfinite(found) else None


@contextmanager
def until(deadline: float | None) -> Iterator[None]:
    token = _deadline.set(deadline)
    try:
        yield
    finally:
        _deadline.reset(token)


def check() -> None:
    """Raise DeadlinePassed if the current command's caller has stopped waiting."""
    deadline = _deadline.get()
    if deadline is not None and time.time() > deadline:
        raise DeadlinePassed()
