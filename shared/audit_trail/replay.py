"""A case as it stood at any instant, folded from its stored events only.

Each stream that belongs to the case whole (the Case, a linked contact, the access log,
a stay...) is decoded from its stored bytes and its events with `timestamp <= as_of`
are applied in version order, exactly as eventsourcing's repository does
(`project_aggregate`) -- but never from a snapshot or a read model, so nothing written
after `as_of`, nor any derived table, can colour the answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import project_aggregate

from shared.audit_trail.decode import mapper_for, masked_fields, plain, stored_event
from shared.audit_trail.links import CaseFile, CaseView, canonical, collect_case
from shared.audit_trail.sources import Catalogue
from shared.config import Settings
from shared.crypto import KeyVault

# eventsourcing's bookkeeping on an aggregate, shown as id/version/created_on/modified_on.
_BOOKKEEPING = {"_id", "_version", "_created_on", "_modified_on", "_pending_events"}


@dataclass(frozen=True)
class AggregateState:
    service: str
    type: str
    id: str
    version: int
    created_on: str
    modified_on: str
    state: dict[str, Any]  # personal data masked, unless revealed


@dataclass(frozen=True)
class CaseReplay(CaseView):
    as_of: str
    aggregates: list[AggregateState]  # the case first, then the others by service and id

    @property
    def case(self) -> AggregateState | None:
        return next((a for a in self.aggregates if canonical(a.id) == self.case_id), None)

    def to_dict(self) -> dict[str, Any]:
        return {"case_id": self.case_id, "reference": self.reference, "as_of": self.as_of,
                "revealed": self.revealed, "aggregates": [asdict(a) for a in self.aggregates]}


def aware(moment: datetime) -> datetime:
    """An instant without a zone is read as UTC, the zone every stored time is in."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def state_of(aggregate: Any, service: str, vault: KeyVault | None) -> AggregateState:
    attributes = {k: plain(v) for k, v in vars(aggregate).items() if k not in _BOOKKEEPING}
    return AggregateState(
        service=service, type=type(aggregate).__name__, id=str(aggregate.id),
        version=aggregate.version, created_on=aggregate.created_on.isoformat(),
        modified_on=aggregate.modified_on.isoformat(),
        # Declared fields masked whatever their form: one stored in clear stays in clear.
        state=attributes if vault is not None else masked_fields(
            attributes, set(getattr(type(aggregate), "PERSONAL_DATA", None) or {})))


def fold(case: CaseFile, service: str, originator_id: str, as_of: datetime,
         app_cls: Any, vault: KeyVault | None = None) -> Any:
    """The aggregate after its events up to `as_of`, or None if it did not exist yet."""
    mapper = mapper_for(app_cls, service, vault)
    events = [mapper.to_domain_event(stored_event(e.record))
              for e in case.stream(service, originator_id)]
    # Versions are applied in order and stop at the first later event: a stream's events
    # are in time order, so nothing after as_of can slip in between.
    until: list[Any] = []
    for event in events:
        if event.timestamp > as_of:
            break
        until.append(event)
    return project_aggregate(None, until) if until else None


def replay_of(case: CaseFile, as_of: datetime, catalogue: Catalogue,
              vault: KeyVault | None = None) -> CaseReplay:
    as_of = aware(as_of)
    states = []
    for service, oid in sorted(case.whole_streams,
                               key=lambda s: (canonical(UUID(s[1])) != case.case_id, s)):
        aggregate = fold(case, service, oid, as_of, catalogue.application(service), vault)
        if aggregate is not None:
            states.append(state_of(aggregate, service, vault))
    return CaseReplay(case.case_id, case.reference, vault is not None, as_of.isoformat(),
                      states)


def replay_case(ref: str, as_of: datetime, cfg: Settings,
                catalogue: Catalogue | None = None) -> CaseReplay:
    """The masked state of the case's aggregates at `as_of` (reveal: shared.audit_trail.access)."""
    catalogue = catalogue or Catalogue.default()
    return replay_of(collect_case(ref, cfg, catalogue), as_of, catalogue)
