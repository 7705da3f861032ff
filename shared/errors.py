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


class Unavailable(HavenError):
    code, http_status, message = "UNAVAILABLE", 503, "a dependency is unavailable; retry later"


ERRORS_BY_NAME: dict[str, type[HavenError]] = {
    cls.__name__: cls
    for cls in (HavenError, InvalidInput, Unauthorized, Forbidden, NotFound, Conflict,
                RuleViolated, Unavailable)
}


def from_remote(exc_type: str, value: str) -> HavenError:
    """Rebuild a HavenError from what nameko's RemoteError carries; unknown -> generic 500."""
    cls = ERRORS_BY_NAME.get(exc_type)
    if cls is None:
        return HavenError()
    try:
        body = json.loads(value)
    except (TypeError, ValueError):
        return cls()
    return cls(body.get("message"), body.get("errors"))


@contextmanager
def domain_refusals(rule: type[Exception], invalid: type[Exception],
                    forbidden: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """A service's domain refusals in the one error contract.

    `invalid` is the domain's bad-value error (with `.field` and `.message`), `forbidden`
    its authorisation refusals, `rule` the base of every other rule it enforces. A
    concurrent save of the same aggregate (eventsourcing's IntegrityError) is a Conflict.
    """
    from eventsourcing.persistence import IntegrityError

    try:
        yield
    except invalid as refused:
        field, message = refused.field, refused.message  # type: ignore[attr-defined]
        raise InvalidInput(f"{field}: {message}", {field: [message]}) from None
    except forbidden as refused:
        raise Forbidden(str(refused)) from None
    except rule as refused:
        raise RuleViolated(str(refused)) from None
    except IntegrityError:
        # Someone else saved the same aggregate first: the optimistic lock held.
        raise Conflict() from None
