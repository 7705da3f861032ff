"""Facts notifications notices itself, as contracts, so that rules treat them like any
other service's events: a dead-letter queue that starts holding messages.

Not published: the watch (watch.py) hands them to the rules directly. Declared with the
producers' own `Contracts`, so the rule file is checked against them the same way.
"""

from __future__ import annotations

from marshmallow import fields, validate

from shared.contracts import Contracts

internal = Contracts("notifications")

_NAME = validate.Regexp(r"\A[A-Za-z0-9_.:-]{1,200}\Z")

DEAD_LETTERED = internal(
    "DeadLettered", 1, "queue", queue=fields.String(validate=_NAME),
    service=fields.String(validate=_NAME), source=fields.String(validate=_NAME),
    event=fields.String(validate=_NAME), count=fields.Integer(validate=validate.Range(min=1)),
    episode=fields.Integer(validate=validate.Range(min=1)), found_at=fields.AwareDateTime())

INTERNAL = (DEAD_LETTERED,)
