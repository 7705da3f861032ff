"""Every payload a producer may publish under a contract, as a hypothesis strategy.

Built field by field from the contract's own marshmallow schema (its codes, patterns,
ranges, lengths and nullability), and only documents the schema itself accepts are kept
(its cross-field rules are code). A consumer that refuses any of them is narrower than
its producer: the drift that dead-letters messages.

Why not hypothesis-jsonschema over the apispec JSON Schema: its latest release (0.23.1)
fails on this hypothesis ("'many' object has no attribute 'more'"), and the JSON Schema
route drops formats such as uuid. A field kind not known here fails the test loudly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample
from marshmallow import fields, validate

from shared.contracts import Contract
from shared.crypto import SEAL_PREFIX
from shared.fields import Sealed
from shared.messaging import Envelope

# Deterministic: the same examples on every run, so a failure reproduces and nothing flakes.
EXAMPLES = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                           HealthCheck.function_scoped_fixture])
# A plausible window for times on the wire; the contract's own bounds narrow it further.
EARLIEST, LATEST = datetime(1990, 1, 1), datetime(2100, 1, 1)


def _validator(field: fields.Field, kind: type) -> Any:
    return next((v for v in field.validators if isinstance(v, kind)), None)


def _text(field: fields.Field) -> st.SearchStrategy[Any]:
    one_of, regexp = _validator(field, validate.OneOf), _validator(field, validate.Regexp)
    length = _validator(field, validate.Length)
    if one_of is not None:
        return st.sampled_from(list(one_of.choices))
    if regexp is not None:
        return st.from_regex(regexp.regex, fullmatch=True)
    low = length.min if length is not None and length.min is not None else 0
    high = length.max if length is not None and length.max is not None else 200
    return st.text(min_size=low, max_size=high)


def _scalar(field: fields.Field) -> st.SearchStrategy[Any]:
    if isinstance(field, fields.UUID):
        return st.uuids().map(str)
    if isinstance(field, fields.AwareDateTime | fields.DateTime):
        return st.datetimes(EARLIEST, LATEST, timezones=st.just(UTC)).map(datetime.isoformat)
    if isinstance(field, fields.Date):
        return st.dates(EARLIEST.date(), LATEST.date()).map(lambda d: d.isoformat())
    if isinstance(field, fields.Boolean):
        return st.booleans()
    if isinstance(field, fields.Integer):
        bounds = _validator(field, validate.Range)
        return st.integers(min_value=bounds.min if bounds else -(2**31),
                           max_value=bounds.max if bounds else 2**31)
    if isinstance(field, Sealed):  # opaque to anyone but the key holder
        return st.text(min_size=1).map(lambda text: SEAL_PREFIX + text)
    if isinstance(field, fields.List):
        length = _validator(field, validate.Length)
        return st.lists(value_of(field.inner), min_size=(length.min or 0) if length else 0,
                        max_size=length.max if length and length.max is not None else 10)
    if isinstance(field, fields.String):
        return _text(field)
    raise TypeError(f"no payload strategy for a {type(field).__name__} field")


def value_of(field: fields.Field) -> st.SearchStrategy[Any]:
    value = _scalar(field)
    return st.one_of(st.none(), value) if field.allow_none else value


def payloads(contract: Contract, **fixed: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Payloads the contract accepts, optional fields sometimes left out; `fixed` replaces
    fields the test must make real (an id that must exist, a value a key holder seals)."""
    schema = contract.schema()
    required = {name: fixed.get(name, value_of(field)) for name, field in schema.fields.items()
                if field.required or name in fixed}
    optional = {name: value_of(field) for name, field in schema.fields.items()
                if name not in required}
    documents = st.fixed_dictionaries(required, optional=optional)
    return documents.filter(lambda document: not schema.validate(document))


@dataclass(frozen=True)
class Refusal:
    payload: dict[str, Any]
    error: str


def first_refused(contract: Contract, consumer: Callable[[dict[str, Any]], Any],
                  **fixed: st.SearchStrategy[Any]) -> Refusal | None:
    """The first payload the contract allows and `consumer` raises on (shrunk to the
    simplest such payload) with what it raised, or None when it accepts every one tried."""
    errors: dict[str, str] = {}

    def refused(document: dict[str, Any]) -> bool:
        try:
            consumer(dict(document))
        except Exception as exc:  # noqa: BLE001 - any refusal is what we look for
            errors[repr(document)] = f"{type(exc).__name__}: {exc}"
            return True
        return False

    try:
        found = find(payloads(contract, **fixed), refused, settings=EXAMPLES)
    except NoSuchExample:
        return None
    return Refusal(found, errors.get(repr(found), "?"))


def envelope_of(contract: Contract, data: dict[str, Any], notification_id: int) -> Envelope:
    """The message a consumer receives for `data`, as the relay would wrap it."""
    return Envelope(source=contract.source, notification_id=notification_id,
                    type=contract.type, version=contract.version,
                    occurred_at=datetime.now(UTC).isoformat(), correlation_id=None,
                    causation_id=None, data=data)
