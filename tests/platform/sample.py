"""A small aggregate for the platform's own tests: personal data, snapshots and an upcast."""

from __future__ import annotations

from eventsourcing.domain import Aggregate, event

from shared.audit import CommandContext
from shared.eventstore import HavenApplication


class Dossier(Aggregate):
    PERSONAL_DATA = {"full_name": "id", "notes": "id"}

    @event("Registered")
    def __init__(self, full_name: str, birth_year: int):
        self.full_name = full_name
        self.birth_year = birth_year
        self.notes: list[str] = []

    @event("NoteAdded")
    def add_note(self, notes: str) -> None:
        self.notes.append(notes)

    class Flagged(Aggregate.Event):
        """Version 2 added `priority`; version-1 records get the old implicit 'routine'."""

        class_version = 2
        priority: str

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            state["priority"] = "routine"

        def apply(self, aggregate: Dossier) -> None:
            aggregate.priority = self.priority

    def flag(self, priority: str) -> None:
        self.trigger_event(self.Flagged, priority=priority)


class Counter(Aggregate):
    """No personal data at all."""

    @event("Counted")
    def __init__(self) -> None:
        self.count = 0


class Counters(HavenApplication):
    name = "counters"


class Dossiers(HavenApplication):
    name = "dossiers"
    snapshotting_intervals = {Dossier: 5}  # noqa: RUF012


def interleaved(app: Dossiers, ctx: CommandContext) -> tuple[Dossier, Dossier, Dossier]:
    """Three interleaved streams, nine events, one save each:
    log = a1 b1 a2 b2 c1 c2 a3 b3 a4."""
    a = Dossier(full_name="Ana Popescu", birth_year=1999)
    app.save(a, ctx=ctx)
    b = Dossier(full_name="Ion Rusu", birth_year=1987)
    app.save(b, ctx=ctx)
    a.add_note("first visit")
    app.save(a, ctx=ctx)
    b.add_note("needs an interpreter")
    app.save(b, ctx=ctx)
    c = Dossier(full_name="Mara Ilie", birth_year=2004)
    c.flag("urgent")
    app.save(c, ctx=ctx)
    a.add_note("second visit")
    app.save(a, ctx=ctx)
    b.add_note("hearing on Monday")
    app.save(b, ctx=ctx)
    a.add_note("third visit")
    app.save(a, ctx=ctx)
    return a, b, c
