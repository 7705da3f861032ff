"""The shelters' rules as errors, and the value checks their aggregates use.

Every refusal is a `ShelterError` (RULE_VIOLATED), an `AccessDenied` (FORBIDDEN) or a bad
value (`InvalidValue`, INVALID_INPUT naming the field): shared.errors maps them once.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared.checks import (  # noqa: F401 - re-exported: the checks every domain uses
    AccessDenied,
    InvalidValue,
    RuleBroken,
    code,
    moment,
)


class ShelterError(RuleBroken):
    """A shelter rule refused the command."""


class NoSuitableBed(ShelterError):
    """No bed the person may take is free: the placement stays on the waiting list."""


class BedUnavailable(ShelterError):
    """This bed cannot take this person now (taken, held, out of service, a rule)."""


class ShelterClosed(ShelterError):
    pass


class WrongState(ShelterError):
    """The stay is not in a state the command applies to."""


class RoomInUse(ShelterError):
    pass


class CodeTaken(ShelterError):
    pass


def codes(vocabulary: type[StrEnum], given: Any, field: str) -> list[str]:
    """Codes from `vocabulary`, each once, in the vocabulary's order."""
    chosen = {code(vocabulary, value, field) for value in given}
    return [member.value for member in vocabulary if member.value in chosen]


def matching(regex: str, value: Any, field: str) -> str:
    if not isinstance(value, str) or not re.match(regex, value):
        raise InvalidValue(field, "is not a valid code")
    return value


def label(value: Any, field: str, limit: int = 100) -> str:
    """A short text staff give a room, a bed or a shelter: never personal data."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidValue(field, f"must be a non-empty text of at most {limit} characters")
    return value.strip()


def day(value: Any, field: str) -> str:
    """A calendar date as events keep it: ISO text."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidValue(field, "must be a date")
    return value.isoformat()


def later(value: datetime, earlier: datetime | None, field: str) -> datetime:
    value = moment(value, field)
    if earlier is not None and value < earlier:
        raise InvalidValue(field, "must not be before the last change")
    return value
