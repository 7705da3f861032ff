"""The helpline's rules as errors and checks, shared by its aggregates.

Every refusal is an `IntakeError`; the application turns `InvalidValue` into
INVALID_INPUT (naming the field) and every other one into RULE_VIOLATED.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from services.intake.vocabulary import Assessment

# Referral needs a reason to involve casework; "not_a_victim" is answered by the helpline.
REFERRABLE = frozenset({Assessment.PRESUMED_VICTIM.value, Assessment.UNCLEAR.value})


class IntakeError(Exception):
    """A helpline rule refused the command."""


class InvalidValue(IntakeError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class ContactClosed(IntakeError):
    """The contact is closed; nothing more may be recorded on it but a case link."""


class ReferralNotWarranted(IntakeError):
    pass


class AlreadyReferred(IntakeError):
    pass


class LinkedToAnotherCase(IntakeError):
    pass


class CallbackAlreadyDone(IntakeError):
    pass


class ShiftAlreadyEnded(IntakeError):
    pass


# -- checks ----------------------------------------------------------------
def code(vocabulary: type[StrEnum], value: Any, field: str) -> str:
    try:
        return vocabulary(value).value
    except ValueError:
        # The value is not echoed: a free-text slip into a code field may be personal data.
        raise InvalidValue(field, f"must be one of {[v.value for v in vocabulary]}") from None


def moment(value: Any, field: str) -> datetime:
    # A naive time is ambiguous across the DST change at 3 a.m.: the helpline runs at night.
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidValue(field, "must be a date-time with a time zone")
    try:
        return value.astimezone(UTC)  # one zone in the store: months and orderings agree
    except OverflowError:  # e.g. 0001-01-01T00:30+01:00 has no UTC form
        raise InvalidValue(field, "is out of range") from None


def not_before(later: datetime, earlier: datetime, field: str) -> datetime:
    later = moment(later, field)
    if later < earlier:
        raise InvalidValue(field, "must not be before the start")
    return later


def pattern(regex: re.Pattern[str], value: Any, field: str) -> str:
    if not isinstance(value, str) or not regex.match(value):
        raise InvalidValue(field, "is not a valid code")
    return value


def birth_year_of(person: dict[str, Any], birth_year: int | None) -> int | None:
    """The birth year, from the birth date when only that was given; both must agree."""
    birth_date = person.get("birth_date")
    from_date = int(str(birth_date)[:4]) if birth_date else None
    if birth_year is not None and from_date is not None and birth_year != from_date:
        raise InvalidValue("birth_year", "does not match person.birth_date")
    return birth_year if birth_year is not None else from_date
