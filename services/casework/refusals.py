"""Domain refusals in the platform's one error contract (shared.errors)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eventsourcing.persistence import IntegrityError

from services.casework.domain.rules import AccessDenied, CaseworkError, InvalidValue
from shared import crypto
from shared.errors import Conflict, Forbidden, InvalidInput, RuleViolated


@contextmanager
def domain_rules() -> Iterator[None]:
    try:
        yield
    except InvalidValue as refused:
        raise InvalidInput(f"{refused.field}: {refused.message}",
                           {refused.field: [refused.message]}) from None
    except AccessDenied as refused:
        raise Forbidden(str(refused)) from None
    except CaseworkError as refused:
        raise RuleViolated(str(refused)) from None
    except crypto.SubjectErased:
        raise RuleViolated("the client's personal data has been erased") from None
    except IntegrityError:
        # Someone else saved the same aggregate first: the optimistic lock held.
        raise Conflict() from None
