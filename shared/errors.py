"""One error contract for every service and the gateway.

A service raises a `HavenError`; nameko carries its class name and its str()
(a JSON object) to the caller; the gateway turns it into application/problem+json
with the HTTP status from `HTTP_STATUS`. Callers never see a stack trace.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class HavenError(Exception):
    code = "ERROR"
    http_status = 500
    message = "unexpected error"

    def __init__(self, message: str | None = None, errors: dict[str, Any] | None = None):
        self.message = message or type(self).message
        self.errors = errors or {}
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body

    def __str__(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, default=str)


class InvalidInput(HavenError):
    code, http_status, message = "INVALID_INPUT", 400, "the request is not valid"


class Unauthorized(HavenError):
    code, http_status, message = "UNAUTHORIZED", 401, "a valid bearer token is required"


class Forbidden(HavenError):
    code, http_status, message = "FORBIDDEN", 403, "your role does not allow this"


class NotFound(HavenError):
    code, http_status, message = "NOT_FOUND", 404, "no such record"


class Conflict(HavenError):
    code, http_status = "CONFLICT", 409
    message = "the record was changed concurrently; reload and retry"


class RuleViolated(HavenError):
    """A domain rule refused the command (e.g. closing a contact twice)."""

    code, http_status, message = "RULE_VIOLATED", 422, "the command is not allowed in this state"


class TooLarge(HavenError):
    code, http_status, message = "PAYLOAD_TOO_LARGE", 413, "the request body is too large"


class UnsupportedMediaType(HavenError):
    code, http_status = "UNSUPPORTED_MEDIA_TYPE", 415
    message = "send the body as application/json"


class Unavailable(HavenError):
    code, http_status, message = "UNAVAILABLE", 503, "a dependency is unavailable; retry later"


class DeadlinePassed(Unavailable):
    """The caller stopped waiting (shared.deadline); nothing was stored."""

    message = "the request's deadline passed before it was carried out; nothing was done," \
              " retry later"


ERRORS_BY_NAME: dict[str, type[HavenError]] = {
    cls.__name__: cls
    for cls in (HavenError, InvalidInput, Unauthorized, Forbidden, NotFound, Conflict,
                RuleViolated, TooLarge, UnsupportedMediaType, Unavailable)
}


ERRORS_BY_CODE: dict[str, type[HavenError]] = {cls.code: cls for cls in ERRORS_BY_NAME.values()}


def from_remote(exc_type: str, value: str) -> HavenError:
    """Rebuild a HavenError from what nameko's RemoteError carries: by its class name, or
    for a subclass (a ContractViolation is an InvalidInput) by its code; unknown -> 500."""
    try:
        body = json.loads(value)
    except (TypeError, ValueError):
        body = {}
    cls = ERRORS_BY_NAME.get(exc_type) or ERRORS_BY_CODE.get(str(body.get("code")))
    if cls is None:
        return HavenError()
    return cls(body.get("message"), body.get("errors"))


def as_haven_error(exc: BaseException) -> HavenError | None:
    """The error contract's view of what a command raised; None for a fault of ours.

    The one mapping: the shell uses it for every RPC, applications for their own callers.
    """
    from eventsourcing.application import AggregateNotFoundError
    from eventsourcing.persistence import IntegrityError

    from shared import checks

    if isinstance(exc, HavenError):
        return exc
    if isinstance(exc, checks.InvalidValue):
        return InvalidInput(f"{exc.field}: {exc.message}", {exc.field: [exc.message]})
    if isinstance(exc, checks.AccessDenied):
        return Forbidden(str(exc))
    if isinstance(exc, checks.RuleBroken):
        return RuleViolated(str(exc))
    if isinstance(exc, checks.SubjectErased):
        return RuleViolated("the person's personal data has been erased")
    if isinstance(exc, AggregateNotFoundError):
        return NotFound()
    if isinstance(exc, IntegrityError):
        # The only constraint a command can break is the (aggregate, version) key: someone
        # else saved the same aggregate first, and the optimistic lock held.
        return Conflict()
    if database_unavailable(exc):
        # Nothing a client did wrong, and worth trying again shortly: a 503, as for the
        # broker, never a 500.
        return Unavailable("the database is unavailable; retry later")
    return None


def database_unavailable(exc: BaseException) -> bool:
    """The database restarting, unreachable, or out of connections (a pool timeout is
    one): a fault that passes by itself, unlike anything in the command or the message."""
    import psycopg
    from eventsourcing.persistence import OperationalError

    return isinstance(exc, OperationalError | psycopg.OperationalError)


@contextmanager
def domain_refusals() -> Iterator[None]:
    """Domain refusals raised inside, as the error contract's errors."""
    try:
        yield
    except Exception as exc:
        mapped = as_haven_error(exc)
        if mapped is None or mapped is exc:
            raise
        raise mapped from None
