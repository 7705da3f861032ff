"""The one place that starts a service process makes psycopg cooperative under eventlet."""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = r"""
import json, os, sys, time
from shared.process import prepare_service_process
if sys.argv[1] == "prepared":
    prepare_service_process()
else:
    import eventlet; eventlet.monkey_patch()
import eventlet, psycopg
ticks = []
def ticker():
    while True:
        ticks.append(time.monotonic()); eventlet.sleep(0.01)
t = eventlet.spawn(ticker)
eventlet.sleep(0.05)
with psycopg.connect(os.environ["CONNINFO"]) as conn:
    started = time.monotonic()
    conn.execute("SELECT pg_sleep(0.5)")
    ended = time.monotonic()
t.kill()
print(json.dumps(sum(started < tick < ended for tick in ticks)))
"""


def _ticks_during_a_slow_query(mode: str, cfg) -> int:
    """How often another green thread ran while this one waited for PostgreSQL."""
    from shared.eventstore import _conninfo

    env = {k: v for k, v in os.environ.items() if k != "PSYCOPG_WAIT_FUNC"}
    env["CONNINFO"] = _conninfo(cfg)
    out = subprocess.run([sys.executable, "-c", PROBE, mode], env=env, check=True,
                         capture_output=True, text=True, timeout=60)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_a_slow_query_does_not_freeze_other_green_threads(cfg):
    assert _ticks_during_a_slow_query("prepared", cfg) > 0


def test_without_the_preparation_the_same_query_freezes_them(cfg):
    # The control: proves the probe can see the stall the preparation prevents.
    assert _ticks_during_a_slow_query("bare", cfg) == 0


TERMINATED = r"""
import json, os
from shared.process import prepare_service_process
prepare_service_process()
import eventlet, psycopg
victim = psycopg.connect(os.environ["CONNINFO"], autocommit=True)
pid = victim.info.backend_pid
def terminate():
    eventlet.sleep(0.2)
    with psycopg.connect(os.environ["CONNINFO"], autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
eventlet.spawn(terminate)
try:
    victim.execute("SELECT pg_sleep(30)")
    print(json.dumps("answered"))
except psycopg.OperationalError:
    print(json.dumps("refused"))
"""


def test_a_connection_the_server_drops_mid_wait_fails_at_once(cfg):
    """The green wait hears a closed socket: a terminated backend is an error for its
    caller, not a wait that lasts as long as the query would have."""
    from shared.eventstore import _conninfo

    out = subprocess.run([sys.executable, "-c", TERMINATED],
                         env={**os.environ, "CONNINFO": _conninfo(cfg)}, check=True,
                         capture_output=True, text=True, timeout=20)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == "refused"


def test_the_command_line_imports_no_psycopg_before_it_prepares_the_process():
    """`haven run`, `haven relay` and `haven dev` prepare the process first thing; psycopg
    chooses its wait function when imported, so importing the CLI must not import it (a
    module-level import anywhere on that path made every service refuse to start)."""
    probe = "import sys, shared.cli; print(sorted(m for m in sys.modules if 'psycopg' in m))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert out.stdout.strip() == "[]"
