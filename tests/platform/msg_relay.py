"""A relay process for the crash tests.

`python -m tests.platform.msg_relay NAME BATCH_SIZE` drains the outbox of
`source_app(NAME)` and exits. With HAVEN_TEST_RELAY_KILL_AT=N it SIGKILLs itself at its
N-th position commit -- after the broker confirmed the batch, before the position is
recorded: the worst moment to die.
"""

from __future__ import annotations

import os
import signal
import sys

from shared.config import settings
from shared.outbox import Relay
from tests.platform.msg_apps import source_app

KILL_AT = "HAVEN_TEST_RELAY_KILL_AT"


class KillingRelay(Relay):
    kill_at = 0
    commits = 0

    def _commit_position(self, position: int) -> None:
        self.commits += 1
        if self.commits == self.kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        super()._commit_position(position)


def main(name: str, batch_size: int) -> int:
    cfg = settings()
    app = source_app(name)(cfg)
    relay = KillingRelay(app, cfg.amqp_uri, batch_size=batch_size)
    relay.kill_at = int(os.environ.get(KILL_AT, "0"))
    published = 0
    try:
        for _ in range(1000):  # bounded: a test must never hang on a broken relay
            published += relay.run_once()
            if relay.drained:
                break
    finally:
        relay.close()
        app.close()
    print(published)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], int(sys.argv[2])))
