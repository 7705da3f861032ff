"""A writer in a process of its own, for the relay's wake-up tests.

`python -m tests.platform.msg_write NAME COUNT` stores COUNT ledgers in `source_app(NAME)`
and exits: its commits reach a relay in the test's process only through PostgreSQL's
NOTIFY, never through the in-process wake-up (shared.wakeup).
"""

from __future__ import annotations

import sys

from shared.audit import CommandContext
from shared.config import settings
from tests.platform.msg_apps import HOLDER, Ledger, source_app

CTX = CommandContext(actor_id="u-7", actor_role="caseworker", command="open_ledger")


def main(name: str, count: int) -> int:
    app = source_app(name)(settings())
    try:
        for _ in range(count):
            ledger = Ledger(holder_name=HOLDER, category="labour")
            ledger.credit(5)
            app.save(ledger, ctx=CTX)
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
