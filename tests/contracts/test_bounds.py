"""Every list and text in every contract is bounded, and bounded once: the consumer loads a
message with the producer's own contract schema (Contract.read), so the sizes a producer
may send are exactly the sizes its consumers take -- never a narrower copy that
dead-letters what the producer accepted (the 21-languages referral of old)."""

from __future__ import annotations

import importlib

import pytest
from marshmallow import fields, validate

from shared.contracts import Contract
from shared.fields import Sealed
from shared.manifest import manifest


def contracts() -> list[Contract]:
    found = []
    for name in manifest().names:
        try:
            module = importlib.import_module(f"services.{name}.contracts")
        except ModuleNotFoundError:
            continue  # a service that publishes nothing
        found += [v for v in vars(module).values() if isinstance(v, Contract)]
    return found


def unbounded(field: fields.Field, path: str) -> list[str]:
    kinds = {type(v) for v in field.validators}
    if isinstance(field, fields.List):
        length = next((v for v in field.validators if isinstance(v, validate.Length)), None)
        own = [] if length is not None and length.max is not None else [path]
        return own + unbounded(field.inner, f"{path}[]")
    if isinstance(field, fields.Nested):
        schema = field.schema
        return [p for n, f in schema.fields.items() for p in unbounded(f, f"{path}.{n}")]
    if isinstance(field, Sealed):
        return []  # opaque: its plain value was bounded where it was entered
    if isinstance(field, fields.String) and not kinds & {validate.Length, validate.OneOf,
                                                          validate.Regexp}:
        return [path]
    return []


def test_every_contract_is_found():
    sources = {c.source for c in contracts()}
    assert {"intake", "casework"} <= sources


@pytest.mark.parametrize("contract", contracts(), ids=lambda c: f"{c.source}.{c.type}.v{c.version}")
def test_every_list_and_text_of_a_contract_has_an_upper_bound(contract):
    schema = contract.schema()
    assert [p for n, f in schema.fields.items() for p in unbounded(f, n)] == []
