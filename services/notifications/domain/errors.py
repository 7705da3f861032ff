"""The notification rules as refusals. Each is a `RuleBroken` (RULE_VIOLATED) or an
`AccessDenied` (FORBIDDEN); bad values are `shared.checks.InvalidValue` (INVALID_INPUT
naming the field). The mapping is shared.errors.as_haven_error, the one for every service."""

from __future__ import annotations

from shared import checks
from shared.checks import InvalidValue, RuleBroken  # noqa: F401 - re-exported


class NotificationError(RuleBroken):
    """A notification rule refused the command."""


class AccessDenied(NotificationError, checks.AccessDenied):
    """The caller has no relation to the alert that allows this."""


class NotYetSent(NotificationError):
    pass


class OnCallEnded(NotificationError):
    pass
