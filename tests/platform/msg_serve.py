"""`haven relay NAME` for the sample app: `python -m tests.platform.msg_serve NAME`.

The production entry point -- prepared process (eventlet, psycopg wait function),
signal handling, run_forever -- with the registry pointed at `source_app(NAME)`.
Nothing that imports psycopg may be imported before `prepare_service_process`.
"""

from __future__ import annotations

import sys


def serve(name: str) -> int:
    from shared.process import prepare_service_process

    prepare_service_process()
    from shared import outbox, registry
    from tests.platform.msg_apps import source_app

    registry.application_class = source_app  # type: ignore[assignment]
    outbox.run_relay(name, poll_interval=0.05)
    return 0


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1]))
