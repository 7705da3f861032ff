"""Aggregates of which there is one per key: another service's case as this one knows it,
a client's access log, a webhook target. The id is derived from the key, so the first
command that needs one creates it and every later one finds it, with no table of ids.

    class CaseRecord(OnePerKey):
        key, create_id = "case_id", staticmethod(case_record_id)

        @event("CaseRecordStarted")
        def __init__(self, case_id: str): ...

`CaseRecord.start(case_id)` makes a new one: eventsourcing derives its id with
`create_id` from the argument of that name. This base declares no event, so the stored
events are the subclass's alone.
"""

from __future__ import annotations

from typing import ClassVar, Self
from uuid import UUID

from eventsourcing.domain import Aggregate


class OnePerKey(Aggregate):
    key: ClassVar[str]  # the argument of __init__, and of create_id, the id is derived from

    @classmethod
    def start(cls, key: UUID | str) -> Self:
        return cls(**{cls.key: str(key)})
