"""Casework's rules as errors and checks, shared by its aggregates.

Every refusal is a `CaseworkError`, or a bad value (`shared.checks.InvalidValue`);
the application maps `InvalidValue` to
INVALID_INPUT (naming the field), `AccessDenied` to FORBIDDEN and every other one
to RULE_VIOLATED. Checks never echo the refused value: a free-text slip into a
code field may be personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from shared import checks
from shared.checks import (  # noqa: F401 - re-exported: the checks every domain uses
    InvalidValue,
    RuleBroken,
    code,
    country,
    languages,
    moment,
    pattern,
)


class CaseworkError(RuleBroken):
    """A casework rule refused the command."""


class AccessDenied(CaseworkError, checks.AccessDenied):
    """The caller's role or assignment does not allow this."""


class NotAssigned(CaseworkError):
    pass


class CaseClosed(CaseworkError):
    pass


class ClientErased(CaseworkError):
    pass


class ErasureRefused(CaseworkError):
    pass


class AlreadyDone(CaseworkError):
    pass


class NotADuplicate(CaseworkError):
    pass


# -- checks ----------------------------------------------------------------
def codes(vocabulary: type[StrEnum], given: Iterable[Any], field: str) -> list[str]:
    """Each code once, in the vocabulary's order: two spellings of one list are one list."""
    seen = {code(vocabulary, value, field) for value in given}
    return [member.value for member in vocabulary if member.value in seen]


def optional_code(vocabulary: type[StrEnum], value: Any, field: str) -> str | None:
    return None if value is None else code(vocabulary, value, field)


def day(value: Any, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidValue(field, "must be a date")
    return value


def optional_day(value: Any, field: str) -> date | None:
    return None if value is None else day(value, field)


def not_before(later: Any, earlier: Any, field: str, what: str = "the start") -> Any:
    if later < earlier:
        raise InvalidValue(field, f"must not be before {what}")
    return later


def optional_country(value: Any, field: str) -> str | None:
    return None if value is None else country(value, field)


def text(value: Any, field: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise InvalidValue(field, f"must be a non-empty text of at most {max_length} characters")
    return value.strip()


def optional_text(value: Any, field: str, max_length: int) -> str | None:
    return None if value is None else text(value, field, max_length)
