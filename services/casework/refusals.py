"""Domain refusals in the platform's one error contract (shared.errors)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.casework.domain.rules import AccessDenied, CaseworkError, InvalidValue
from shared import crypto
from shared.errors import RuleViolated, domain_refusals


@contextmanager
def domain_rules() -> Iterator[None]:
    try:
        with domain_refusals(CaseworkError, InvalidValue, forbidden=(AccessDenied,)):
            yield
    except crypto.SubjectErased:
        raise RuleViolated("the client's personal data has been erased") from None
