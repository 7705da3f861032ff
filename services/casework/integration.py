"""What casework tells other services: integration events from its domain events.

`domain_event` arrives as the relay reads it, personal data still sealed; the payload
schemas (schemas.PAYLOADS) are allowlists of ids, codes and dates. As a last guard, a
payload that would carry a sealed value is refused: sealed is still personal.
"""

from __future__ import annotations

import json
from typing import Any

from services.casework.schemas import PAYLOADS
from services.casework.vocabulary import ServiceType
from shared.crypto import SEAL_PREFIX
from shared.messaging import IntegrationEvent


def to_integration_event(domain_event: Any) -> IntegrationEvent | None:
    found = PAYLOADS.get(type(domain_event).__qualname__)
    if found is None:
        return None
    event_type, version, schema, id_field = found
    state = {**vars(domain_event), id_field: str(domain_event.originator_id)}
    if type(domain_event).__qualname__ == "Case.CrisisInterventionProvided":
        state["service_type"] = ServiceType.CRISIS_INTERVENTION.value
        state["crisis_response_seconds"] = state["response_seconds"]
    elif type(domain_event).__qualname__ == "Case.ServiceProvided":
        state["crisis_response_seconds"] = None
    data = schema().dump(state)
    if SEAL_PREFIX in json.dumps(data, default=str):
        raise ValueError(f"refusing to publish personal data in {event_type}")
    return IntegrationEvent(type=event_type, version=version, data=data)
