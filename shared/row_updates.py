"""Events that only set columns of their aggregate's row, as a table in a Projection:

    class MatterList(Projection):
        row_updates = RowUpdates("matters", "matter_id", Matter, {
            "MatterStageChanged": {"stage": from_event.stage},
            "MatterClosed": {"status": "closed", "closed_at": from_event.closed_at},
        })

One definition of the handler every service wrote again for each such event; a read model
that needs more than setting columns keeps a method marked with `handles`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eventsourcing.utils import get_topic

from shared.projections import Cursor, stream_id

__all__ = ["EventValue", "RowUpdates", "from_event"]


@dataclass(frozen=True)
class EventValue:
    """In a `RowUpdates` table: the value of the event's attribute `name`."""

    name: str


class _EventValues:
    def __getattr__(self, name: str) -> EventValue:
        return EventValue(name)


# `from_event.status` reads as what it is: the event's `status`, not the string "status".
from_event = _EventValues()


class RowUpdates:
    """Events of `aggregate` (by name) -> {column: value} for the row keyed by the event's
    aggregate id. A column takes the event's attribute (`from_event.name`) or a fixed value.
    As a class attribute of a Projection it handles every event it names, as `handles` does.
    """

    def __init__(self, table: str, key: str, aggregate: type,
                 changes: dict[str, dict[str, Any]]):
        self.table, self.key = table, key
        self.changes = {get_topic(getattr(aggregate, name)): columns
                        for name, columns in changes.items()}
        self.handles = tuple(self.changes)  # what Projection collects its topics from

    def __call__(self, e: Any, cur: Cursor) -> None:
        columns = self.changes[get_topic(type(e))]
        cur.update(self.table, (self.key, stream_id(e)),
                   **{column: getattr(e, value.name) if isinstance(value, EventValue) else value
                      for column, value in columns.items()})
