"""A case named by its reference: every path that takes a case (`<case_id>`, in any
service) takes its reference too (`/cases/KC-2026-0033/notes`).

The gateway resolves it, once, before the call: one RPC to casework (`case_id_of`), which
issues the references, and the service behind the route gets the case id it always took.
So no service needs to know about references, and the rule lives in one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from services.casework.vocabulary import CASE_REFERENCE
from shared.errors import InvalidInput

CASE_PATH_FIELD = "case_id"
_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# What a case's place in a path takes: its id (a UUID) or its reference (KC-2026-0033).
_REFERENCE = CASE_REFERENCE.pattern.removeprefix(r"\A").removesuffix(r"\Z")
CASE_KEY = re.compile(rf"\A(?:{_UUID}|{_REFERENCE})\Z")
NOT_A_CASE = "Give the case's id (a UUID) or its reference, such as KC-2026-0033."

CASE_KEY_SCHEMA: dict[str, Any] = {
    "type": "string", "pattern": CASE_KEY.pattern,
    "description": "The case's id (a UUID) or its reference (KC-2026-0033)",
}


def names_a_case(path_fields: tuple[str, ...]) -> bool:
    return CASE_PATH_FIELD in path_fields


def resolve_case(values: dict[str, Any], case_id_of: Callable[[str], str]) -> dict[str, Any]:
    """The path's values with a case reference replaced by the case's id (`case_id_of`
    raises NotFound for a reference no case has); anything that is neither an id nor a
    reference is refused, naming the field."""
    given = values.get(CASE_PATH_FIELD)
    if given is None or not isinstance(given, str):
        return values
    if not CASE_KEY.match(given):
        raise InvalidInput("that is not a case's id or reference", {CASE_PATH_FIELD: [NOT_A_CASE]})
    if CASE_REFERENCE.match(given):
        return {**values, CASE_PATH_FIELD: case_id_of(given)}
    return values
