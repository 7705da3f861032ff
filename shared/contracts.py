"""Integration-event contracts: what a service promises to publish, written once.

A producer declares each event it publishes as a versioned `Contract` in its own
`contracts.py`; a consumer imports that very object instead of re-declaring the payload.
The producer checks every event it is about to store against the contract (in the same
mapper that seals it, before anything is written), so a value no consumer would accept
is refused at the source as INVALID_INPUT naming the field -- never dead-lettered
downstream, where the person it concerns would silently get no case.

    published = Contracts("intake")
    REFERRED = published("ReferredToCasework", 1, "contact_id",
                         contact_id=fields.UUID(), person=f.Sealed(), ...)

    class Intake(HavenApplication):                        # the producer
        publishes = Publications(contracts, Contact, MissedCall, Shift)

    class CaseworkService(HavenService):                   # a consumer
        on_referred = consume(REFERRED, Casework.open_case_from_referral)
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from types import ModuleType
from typing import Any

from eventsourcing.domain import DomainEvent
from eventsourcing.utils import get_topic
from marshmallow import EXCLUDE, Schema

from shared.errors import InvalidInput
from shared.messaging import Envelope, IntegrationEvent

State = dict[str, Any]


class ContractViolation(InvalidInput):
    """A command would publish what the event's contract refuses."""

    message = "the request would publish data the receiving services cannot accept"


class NotUnderstood(ValueError):
    """A message that is not the contract a consumer reads (other type or version)."""


@dataclass(frozen=True)
class Contract:
    source: str  # the publishing service, whose exchange is `<source>.events`
    type: str  # the event type: routing key and nameko event type
    version: int  # of the payload schema; a breaking change is a new Contract
    schema: builtins.type[Schema]  # the payload, field by field: an allowlist
    subject: str | None  # the payload field that carries the id of the aggregate it is about

    @cached_property
    def _schema(self) -> Schema:
        # One instance, reused: building a marshmallow schema costs more than using it
        # (two per stored event were ~1.4 ms of a 8 ms referral). It keeps no call's state.
        return self.schema()

    def payload(self, state: Mapping[str, Any]) -> State:
        """The payload of `state`: only the contract's fields, as JSON values."""
        return dict(self._schema.dump(state))

    def check(self, state: Mapping[str, Any]) -> State:
        """The payload, validated by the schema every consumer loads it with."""
        data = self.payload(state)
        errors = self._schema.validate(data)
        if errors:
            raise ContractViolation(errors=errors)
        return data

    def read(self, envelope: Envelope) -> State:
        """A consumer's view of a message: the payload loaded (typed) by the producer's own
        schema. Fields added later in the same version are ignored, so a producer may add."""
        if (envelope.source, envelope.type) != (self.source, self.type):
            raise NotUnderstood(f"expected {self.source}.{self.type},"
                                f" got {envelope.source}.{envelope.type}")
        if envelope.version != self.version:
            raise NotUnderstood(f"{self.type} version {envelope.version} is not understood"
                                f" (this consumer reads version {self.version})")
        return dict(self._schema.load(envelope.data, unknown=EXCLUDE))


class Contracts:
    """How a service declares what it publishes: `published(type, version, subject,
    **fields)` is one contract, its payload the named fields. Every field is required --
    always present, null only where it says `allow_none=True` -- so a consumer may rely
    on it; `rules` is a schema class with the payload's cross-field rules."""

    def __init__(self, source: str):
        self.source = source

    def __call__(self, event_type: str, version: int, subject: str | None,
                 rules: builtins.type[Schema] = Schema, /, **payload: Any) -> Contract:
        for field in payload.values():
            field.required = True
        schema = rules.from_dict(payload, name=f"{event_type}V{version}")
        return Contract(self.source, event_type, version, schema, subject)


Adapt = Callable[[State], State]


def _events_of(aggregate: type) -> list[tuple[str, type]]:
    """The domain event classes an aggregate declares (`@event("Name")`), by name."""
    return [(name, member) for name, member in vars(aggregate).items()
            if isinstance(member, type) and issubclass(member, DomainEvent)]


@dataclass(frozen=True)
class _Publication:
    contract: Contract
    adapt: Adapt | None

    def state(self, domain_event: Any, event_state: Mapping[str, Any] | None = None) -> State:
        state = dict(vars(domain_event) if event_state is None else event_state)
        if self.contract.subject is not None:
            state[self.contract.subject] = str(domain_event.originator_id)
        # The aggregate's version after this event: a consumer that may see events of one
        # aggregate out of order (a queue per event type) keeps the latest by it.
        state["version"] = domain_event.originator_version
        return self.adapt(state) if self.adapt else state


class Publications:
    """Which domain events a service publishes, under which contract.

    By name: a domain event of these aggregates is published under the contract of the
    same type (Contact's `ReferredToCasework` under REFERRED_TO_CASEWORK), so the table
    is the contracts module itself. `publish_as` names the exceptions (two domain events
    published as one integration event), `adapt` a function that shapes an event's state
    into its payload. A contract no event publishes is an error, found at import.
    """

    def __init__(self, contracts: ModuleType, *aggregates: type, adapt: dict[str, Adapt]
                 | None = None, publish_as: dict[str, Contract] | None = None):
        declared = [v for v in vars(contracts).values() if isinstance(v, Contract)]
        by_type = {contract.type: contract for contract in declared}
        self._by_topic: dict[str, _Publication] = {}
        for aggregate in aggregates:
            for name, event_class in _events_of(aggregate):
                contract = (publish_as or {}).get(name) or by_type.get(name)
                if contract is not None:
                    self._by_topic[get_topic(event_class)] = _Publication(
                        contract, (adapt or {}).get(name))
        unpublished = set(by_type.values()) - {p.contract for p in self._by_topic.values()}
        if unpublished:
            raise ValueError(f"no domain event publishes {sorted(c.type for c in unpublished)}")

    @property
    def contracts(self) -> list[Contract]:
        unique = {(p.contract.type, p.contract.version): p.contract
                  for p in self._by_topic.values()}
        return list(unique.values())

    def integration_event(self, domain_event: Any) -> IntegrationEvent | None:
        """What the relay publishes for a stored event (personal data still sealed). Checked
        again: a payload no consumer accepts stops the relay (its backlog alerts) rather
        than being published, say, with a person in clear."""
        found = self._by_topic.get(get_topic(type(domain_event)))
        if found is None:
            return None
        data = found.contract.check(found.state(domain_event))
        return IntegrationEvent(type=found.contract.type, version=found.contract.version,
                                data=data)

    def check(self, domain_event: Any, sealed_state: Mapping[str, Any]) -> None:
        """Refuse, before it is stored, an event whose payload breaks its contract."""
        found = self._by_topic.get(get_topic(type(domain_event)))
        if found is not None:
            found.contract.check(found.state(domain_event, sealed_state))
