"""Who, when and why: the audit metadata every stored event carries."""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime

from shared.vocabulary import ChangeReason

# The role a policy acts in when it reacts to another service's event
# (shared.consumers.policy_context); no token holds it (shared.auth.ROLES).
SYSTEM_ROLE = "system"


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
    reason: str | None = None  # a ChangeReason code: stored in clear
    reason_detail: str | None = None  # free text: stored only sealed, under the event's subject

    def __post_init__(self) -> None:
        if not self.actor_id or not self.actor_role:
            raise Unauthenticated("a command needs an authenticated actor and role")
        # Ids only: whatever a caller sends as a correlation id is stored with every event.
        object.__setattr__(self, "correlation_id", correlation_id(self.correlation_id))
        if self.causation_id is not None and not _CAUSATION.fullmatch(self.causation_id):
            object.__setattr__(self, "causation_id", None)
        if self.reason is not None and self.reason not in set(ChangeReason):
            raise ValueError(f"reason must be a ChangeReason code, not {self.reason!r}")

    def caused(self, command: str, causation_id: str) -> CommandContext:
        """The context of a command that a policy issues in reaction to an event."""
        return replace(self, command=command, causation_id=causation_id)

    def metadata(self, service: str, now: datetime | None = None) -> dict[str, str | None]:
        recorded = (now or datetime.now(UTC)).astimezone(UTC).isoformat()
        return {**asdict(self), "service": service, "recorded_at": recorded}


# What caused a command: a message ("service:notification id") or another command's id.
_CAUSATION = re.compile(r"[a-z][a-z0-9_]{0,39}:\d{1,19}|[0-9a-fA-F-]{36}")


def correlation_id(value: object) -> str:
    """`value` if it is a UUID (normalised), else a new one: a correlation id is stored in
    clear with every event, so free text (a name, a phone number) never becomes one."""
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(uuid.uuid4())


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
