"""The step every command on an existing aggregate takes: load it, let the domain decide,
save what it decided -- with a domain refusal answered as the error contract says and
nothing saved. One definition, so every service's commands refuse the same way.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar
from uuid import UUID

from shared.audit import CommandContext
from shared.errors import domain_refusals
from shared.eventstore import HavenApplication

A = TypeVar("A")


@contextmanager
def changing(app: HavenApplication, kind: type[A], aggregate_id: UUID | str,
             ctx: CommandContext) -> Iterator[A]:
    """`with changing(app, Shift, shift_id, ctx) as shift: shift.end(at)`: the aggregate
    (NotFound if there is none of that kind), saved as `ctx` when the block succeeds."""
    aggregate = app.load(kind, aggregate_id)
    with domain_refusals():
        yield aggregate
        app.save(aggregate, ctx=ctx)
