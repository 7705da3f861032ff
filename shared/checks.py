"""The refusals every service's domain raises, and the value checks it uses. Pure:
standard library only.

A failed check raises `InvalidValue` (INVALID_INPUT naming the field); a rule raises a
`RuleBroken` (RULE_VIOLATED), a refusal of the caller `AccessDenied` (FORBIDDEN). The
mapping to the error contract is in one place, shared.errors.as_haven_error. Checks never
echo the refused value: a free-text slip into a code field may be personal data.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any


class RuleBroken(Exception):
    """A domain rule refused the command; each service's rules subclass it."""


class AccessDenied(RuleBroken):
    """The caller's role, or their relation to the record, does not allow this."""


class SubjectErased(Exception):
    """New personal data was offered for a person whose key is shredded."""


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


def country(value: Any, field: str) -> str:
    from shared.countries import is_country

    if not is_country(value):
        raise InvalidValue(field, "is not an ISO 3166-1 alpha-2 country code")
    return str(value)


def languages(given: Any, field: str = "languages") -> list[str]:
    """ISO 639-1 codes, each once, in the order given; at most MAX_LANGUAGES."""
    from shared.vocabulary import LANGUAGE_CODE, MAX_LANGUAGES

    found: list[str] = []
    for value in given:
        if not isinstance(value, str) or not LANGUAGE_CODE.match(value):
            raise InvalidValue(field, "is not an ISO 639-1 language code")
        if value not in found:
            found.append(value)
    if len(found) > MAX_LANGUAGES:
        raise InvalidValue(field, f"at most {MAX_LANGUAGES} languages")
    return found
