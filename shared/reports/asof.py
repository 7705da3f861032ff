"""A service's read models as they stood at an instant, rebuilt from its stored events.

The report counts with the services' own read-model queries (helpline_stats,
monthly_figures, ...): one definition of each figure, the one the dashboards show. Only
here they run on a scratch copy, replayed from the events recorded up to `as_of` -- so the
figures for a past month do not move when something is recorded later, and a report
produced twice for the same instant is the same report.

Events are read straight from the store, read-only (the audit tools' reader and
credentials), and decoded without unsealing: read models never hold personal data, and
neither does the scratch copy (a temporary SQLite file, removed afterwards).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from eventsourcing.utils import get_topic

from shared.audit_trail.decode import mapper_for, stored_event
from shared.audit_trail.sources import StoreReader
from shared.config import Settings
from shared.manifest import manifest
from shared.readstore import SQLiteReadModels


class Unavailable(LookupError):
    """The source of a figure is not part of this installation, or has no store yet."""


EventLog = StoreReader  # a service's stored events, of_topics in log order


@dataclass(frozen=True)
class Replayed:
    """A service's read-model queries over its events up to `as_of`, and what was read."""

    service: str
    views: Any
    events: int  # how many events the copy was built from
    last_notification_id: int  # the newest of them: where in the log the copy stands


@contextmanager
def read_models_as_of(service: str, cfg: Settings, as_of: datetime) -> Iterator[Replayed]:
    """The service's views (its manifest entry's read models) over a scratch copy of its
    read models, built from the events recorded at or before `as_of`."""
    if service not in manifest():
        raise Unavailable(f"{service} is not part of this installation")
    entry = manifest()[service]
    if entry.read_model_set is None:
        raise Unavailable(f"{service} keeps no read models")
    projections = entry.read_model_set.projections()
    topics = {topic for p in projections for topic in p.topics}
    with EventLog(service, cfg) as log:
        if not log.exists():
            raise Unavailable(f"{service} has no store yet")
        records = log.of_topics(topics)
    mapper = mapper_for(entry.application_class, service)  # no vault: nothing is unsealed
    decoded = ((r, mapper.to_domain_event(stored_event(r))) for r in records)
    kept = [(r, e) for r, e in decoded if e.timestamp <= as_of]
    with tempfile.TemporaryDirectory(prefix="haven-report-") as scratch:
        store = SQLiteReadModels(str(Path(scratch) / f"{service}.sqlite"))
        with store.transaction() as cur:
            for p in projections:
                p.create(cur)
            for _, event in kept:
                topic = get_topic(type(event))
                for p in projections:
                    if topic in p.topics:
                        p.apply(event, cur)
        yield Replayed(service, entry.read_model_set.views(store, lambda: None), len(kept),
                       max((r.notification_id for r, _ in kept), default=0))
