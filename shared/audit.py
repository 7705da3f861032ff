"""Who, when and why: the audit metadata every stored event carries."""

from __future__ import annotations

import contextvars
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime


class Unauthenticated(Exception):
    """A command reached the event store without an authenticated actor."""


@dataclass(frozen=True)
class CommandContext:
    """The authenticated actor behind one command, and why they issued it."""

    actor_id: str
    actor_role: str
    command: str
    correlation_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    causation_id: str | None = None
    reason: str | None = None

    def __post_init__(self) -> None:
        if not self.actor_id or not self.actor_role:
            raise Unauthenticated("a command needs an authenticated actor and role")

    def caused(self, command: str, causation_id: str) -> CommandContext:
        """The context of a command that a policy issues in reaction to an event."""
        return replace(self, command=command, causation_id=causation_id)

    def metadata(self, service: str, now: datetime | None = None) -> dict[str, str | None]:
        recorded = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
        return {**asdict(self), "service": service, "recorded_at": recorded}


_current: contextvars.ContextVar[CommandContext | None] = contextvars.ContextVar(
    "haven_command_context", default=None
)


@contextmanager
def acting_as(ctx: CommandContext) -> Iterator[CommandContext]:
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def current_context() -> CommandContext:
    ctx = _current.get()
    if ctx is None:
        raise Unauthenticated("no authenticated actor for this command")
    return ctx
