"""The helpline's rules as errors and checks, shared by its aggregates.

Every refusal is an `IntakeError`, or a bad value (`shared.checks.InvalidValue`);
the application turns `InvalidValue` into INVALID_INPUT (naming the field) and every
other one into RULE_VIOLATED.
"""

from __future__ import annotations

from datetime import datetime

from services.intake.vocabulary import Assessment
from shared.checks import (  # noqa: F401 - re-exported: the checks every domain uses
    InvalidValue,
    RuleBroken,
    code,
    moment,
    pattern,
)

# Referral needs a reason to involve casework; "not_a_victim" is answered by the helpline.
REFERRABLE = frozenset({Assessment.PRESUMED_VICTIM.value, Assessment.UNCLEAR.value})


class IntakeError(RuleBroken):
    """A helpline rule refused the command."""


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
def not_before(later: datetime, earlier: datetime, field: str) -> datetime:
    later = moment(later, field)
    if later < earlier:
        raise InvalidValue(field, "must not be before the start")
    return later
