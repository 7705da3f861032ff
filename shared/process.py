"""The one place that prepares a process to run Haven services.

Order matters: PSYCOPG_WAIT_FUNC must be set before psycopg is first imported,
because psycopg picks its wait function at import time and eventlet cannot make
the C wait loop cooperative (measured: a 0.5 s query froze every green thread
for 0.5 s). `wait_select` goes through the select module eventlet patches; once
eventlet is in, `_wait_for_postgres_green` replaces psycopg's wait with a cheaper green one
(the variable still chooses how psycopg waits while connecting).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import warnings
from typing import Any


def prepare_service_process() -> None:
    if "psycopg" in sys.modules and os.environ.get("PSYCOPG_WAIT_FUNC") != "wait_select":
        raise RuntimeError("psycopg was imported before the process was prepared")
    os.environ["PSYCOPG_WAIT_FUNC"] = "wait_select"
    # nameko 2 runs on eventlet; its deprecation notice is known and says nothing to operators.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    _wait_for_postgres_green()
    logging.getLogger("nameko.rpc").addFilter(_withhold_rpc_replies)


def _wait_for_postgres_green() -> None:
    """psycopg waits for its socket as cheaply as green threads allow. eventlet's patched
    `select.select` built listeners, a timer and a switch for every wait, about a fifth of
    intake's CPU per command, though a socket is often ready already (always, for a write
    in pipeline mode). So: look first, without yielding; only if nothing is ready, wait
    in the hub, for one direction by `trampoline`, for both by the patched select. No
    timer: psycopg's 0.1 s wake-up serves Ctrl-C, which green threads do not need; a
    deadline psycopg sets (connecting, cancelling) is kept."""
    import select
    from time import monotonic

    from eventlet.hubs import trampoline
    from eventlet.patcher import original
    from psycopg import errors, waiting

    real = original("select")  # its poll returns at once and never yields
    R, W, NONE = waiting.READY_R, waiting.READY_W, waiting.READY_NONE

    class _Expired(Exception):
        pass

    def ready_now(fileno: int, wanted: int) -> Any:
        poller = real.poll()
        poller.register(fileno, (real.POLLIN if wanted & waiting.WAIT_R else 0)
                        | (real.POLLOUT if wanted & waiting.WAIT_W else 0))
        events = poller.poll(0)
        if not events:
            return NONE
        mask = events[0][1]
        if mask & (real.POLLERR | real.POLLHUP | real.POLLNVAL):
            return R if wanted & waiting.WAIT_R else W  # let libpq find out what happened
        return (R if mask & real.POLLIN else NONE) | (W if mask & real.POLLOUT else NONE)

    def wait_in_hub(fileno: int, wanted: int, left: float | None) -> Any:
        if wanted == waiting.WAIT_RW:
            readable, writable, _ = select.select([fileno], [fileno], [], left)
            return (R if readable else NONE) | (W if writable else NONE)
        reading = wanted == waiting.WAIT_R
        try:
            trampoline(fileno, read=reading, write=not reading, timeout=left,
                       timeout_exc=_Expired)
        except _Expired:
            return NONE
        return R if reading else W

    def wait_green(gen: Any, fileno: int, interval: float = 0.0,
                   timeout: float | None = None) -> Any:
        deadline = None if timeout is None else monotonic() + timeout
        try:
            wanted = next(gen)
            while True:
                ready = ready_now(fileno, wanted)
                if not ready:
                    left = None if deadline is None else max(0.0, deadline - monotonic())
                    ready = wait_in_hub(fileno, wanted, left)
                wanted = gen.send(ready)
                if deadline is not None and monotonic() >= deadline:
                    raise errors._WaitTimeout("wait timeout expired")
        except StopIteration as done:
            return done.value

    waiting.wait = wait_green  # psycopg's connections look it up at each wait


def configure_logging() -> None:
    """HAVEN_LOG_LEVEL (INFO by default); each line names its process when the process
    has a name (`haven stack` gives each one, as all of them share one log stream)."""
    process = os.environ.get("HAVEN_PROCESS_NAME")
    logging.basicConfig(level=os.environ.get("HAVEN_LOG_LEVEL", "INFO"),
                        format="%(asctime)s " + (f"[{process}] " if process else "")
                        + "%(levelname)s %(name)s %(message)s")


def _withhold_rpc_replies(record: logging.LogRecord) -> bool:
    """nameko logs every RPC reply body at DEBUG on the caller's side; replies carry
    victims' personal data (a case's person, a contact's summary), which never goes to a
    log, whatever the level an operator turns on."""
    if record.msg == "RPC reply event complete %s %s" and isinstance(record.args, tuple):
        record.args = (record.args[0], "<reply withheld: it may hold personal data>")
    return True


def stop_signal() -> Any:
    """An event that SIGTERM or SIGINT sets: what a process waits on before it stops
    gracefully (nameko lets running workers finish)."""
    import eventlet.event

    stopping = eventlet.event.Event()

    def _stop(signum: int, frame: Any) -> None:
        if not stopping.ready():
            stopping.send(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)
    return stopping
