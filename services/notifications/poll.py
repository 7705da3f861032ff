"""A service entrypoint that runs an application method every few seconds: nameko's timer,
its interval read from the settings when the service starts (not when it is imported).

    do_due_work = every("poll_seconds", Notifications.do_due_work)

The timer waits for one round to finish before the next; every process of the service
runs its own, and the work each round claims is shared out by the database (firing.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nameko.timer import Timer

from services.notifications.settings import NotificationSettings


class Poll(Timer):
    def __init__(self, setting: str, **kwargs: Any):
        self.setting = setting
        super().__init__(interval=1.0, eager=True, **kwargs)

    def setup(self) -> None:
        seconds = float(getattr(NotificationSettings.from_env(), self.setting))
        self.interval = seconds if seconds > 0 else 3600.0  # 0 switches the work off

        super().setup()


def every(setting: str, method: Callable[[Any], Any]) -> Any:
    """An entrypoint calling `method(self.app)` every `setting` seconds."""

    def tick(self: Any) -> None:
        method(self.app)

    tick.__name__, tick.__doc__ = method.__name__, method.__doc__
    return Poll.decorator(setting)(tick)
