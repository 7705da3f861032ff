"""Legal's rules as errors and checks, shared by its aggregates. Pure: standard library.

Every refusal is a `LegalError` (RULE_VIOLATED), an `AccessDenied` (FORBIDDEN) or a bad
value (`InvalidValue`, INVALID_INPUT naming the field); shared.errors maps them. Checks
never echo the refused value: a slip of free text into a code field may be personal data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from enum import StrEnum
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared import checks
from shared.checks import (  # noqa: F401 - re-exported: the checks every domain uses
    InvalidValue,
    RuleBroken,
    code,
    languages,
    moment,
    pattern,
)

T = TypeVar("T")
MAX_SPAN_HOURS = 14  # a hearing or a session is at most a (long) working day


class LegalError(RuleBroken):
    """A rule of the centre's legal work refused the command."""


class AccessDenied(LegalError, checks.AccessDenied):
    """The caller's role, or their relation to the matter, does not allow this."""


class MatterClosed(LegalError):
    pass


class AlreadyDone(LegalError):
    pass


class ClientErased(LegalError):
    """The client's personal data is erased: nothing more is drafted, sent or shared."""


class StaffBusy(LegalError):
    """The member of staff is booked at that time; the message names the booking."""


class ConsentNotHeld(LegalError):
    """Casework holds no valid consent for this purpose and recipient now."""


# -- checks ----------------------------------------------------------------
def optional(check: Callable[..., T], value: Any, *args: Any) -> T | None:
    return None if value is None else check(value, *args)


def staff(value: Any, field: str) -> str:
    """A member of staff's user id, as tokens carry it."""
    from shared.vocabulary import STAFF_ID

    return pattern(STAFF_ID, value, field)


def day(value: Any, field: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise InvalidValue(field, "must be a date")
    return value


def text(value: Any, field: str, max_length: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > max_length:
        raise InvalidValue(field, f"must be a non-empty text of at most {max_length} characters")
    return value.strip()


def codes(vocabulary: type[StrEnum], given: Iterable[Any], field: str) -> list[str]:
    """Each code once, in the vocabulary's order."""
    seen = {code(vocabulary, value, field) for value in given}
    return [member.value for member in vocabulary if member.value in seen]


def zone(value: Any, field: str = "time_zone") -> str:
    """An IANA time zone name ("Europe/Warsaw"): hearings are set in local time."""
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(field, "is not an IANA time zone name") from None
    return str(value)


def span(starts_at: Any, ends_at: Any) -> tuple[datetime, datetime]:
    """A booking's [start, end) in UTC: end after start, within one working day."""
    start, end = moment(starts_at, "starts_at"), moment(ends_at, "ends_at")
    if end <= start:
        raise InvalidValue("ends_at", "must be after starts_at")
    if (end - start).total_seconds() > MAX_SPAN_HOURS * 3600:
        raise InvalidValue("ends_at", f"at most {MAX_SPAN_HOURS} hours after starts_at")
    return start, end
