"""Value checks every service's domain uses. Pure: standard library only.

A failed check raises `InvalidValue`, which each service's application maps to
INVALID_INPUT naming the field (shared.errors.domain_refusals). Checks never echo
the refused value: a free-text slip into a code field may be personal data.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class InvalidValue(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def code(vocabulary: type[StrEnum], value: Any, field: str) -> str:
    try:
        return vocabulary(value).value
    except ValueError:
        raise InvalidValue(field, f"must be one of {[v.value for v in vocabulary]}") from None


def moment(value: Any, field: str) -> datetime:
    # A naive time is ambiguous across a DST change (the helpline runs at night);
    # one zone in the store keeps months and orderings right.
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidValue(field, "must be a date-time with a time zone")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:30+01:00 has no UTC form
        raise InvalidValue(field, "is out of range") from None


def pattern(regex: re.Pattern[str], value: Any, field: str) -> str:
    if not isinstance(value, str) or not regex.match(value):
        raise InvalidValue(field, "is not a valid code")
    return value
