"""An HTTP route: how the gateway reaches one of a service's RPCs.

Each service lists its routes in its own `routes.py` (named by its manifest entry); the
gateway serves them all under /api/v1 and documents them from the RPC's own input and
output schemas and the service's policy table, so nothing is declared twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    method: str  # GET, POST
    path: str  # werkzeug rule under /api/v1; a part <name> is the RPC's input field `name`
    rpc: str  # the service's RPC behind it
    summary: str
    tag: str
    status: int = 200
    created: str | None = None  # result field that is the new resource's `id` (201)

    @property
    def path_fields(self) -> tuple[str, ...]:
        """The RPC input fields the path carries."""
        return tuple(re.findall(r"<(?:\w+:)?(\w+)>", self.path))
