"""An HTTP route: how the gateway reaches one of a service's RPCs.

Each service lists its routes as `ROUTES` in its own `routes.py` (named by its manifest
entry); the gateway serves them all under /api/v1 and documents them from the RPC's own
input and output schemas and the service's policy table, so nothing is declared twice.

    ROUTES = [
        Route("POST", "/cases", "open_case", "Open a case", CASES, created="case_id"),
        Route("GET", "/cases/<case_id>", "get_case", "One case", CASES),
        *changes("/cases/<case_id>", CASES,
                 ("/close", "close_case", "Close the case with a reason"),
                 ("/reopen", "reopen_case", "Reopen a closed case")),
    ]
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
    created: str | None = None  # result field that is the new resource's `id` (then 201)

    @property
    def status(self) -> int:
        return 201 if self.created else 200

    @property
    def path_fields(self) -> tuple[str, ...]:
        """The RPC input fields the path carries."""
        return tuple(re.findall(r"<(?:\w+:)?(\w+)>", self.path))


def changes(resource: str, tag: str, *rows: tuple[str, str, str]) -> list[Route]:
    """The changes to one kind of thing: for each (path, rpc, summary) row,
    POST <resource><path> -> the RPC."""
    return [Route("POST", resource + path, rpc, summary, tag) for path, rpc, summary in rows]
