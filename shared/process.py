"""The one place that prepares a process to run Haven services.

Order matters: PSYCOPG_WAIT_FUNC must be set before psycopg is first imported,
because psycopg picks its wait function at import time and eventlet cannot make
the C wait loop cooperative (measured: a 0.5 s query froze every green thread
for 0.5 s). `wait_select` goes through the select module eventlet patches.
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
    logging.getLogger("nameko.rpc").addFilter(_withhold_rpc_replies)


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
