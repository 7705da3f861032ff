"""Pieces every service's RPC schemas are made of: a list asked for and answered a page
at a time, counts by code, and the rule that a change must change something.

Beside shared.fields (single fields); these are whole schemas to inherit from, so a new
service's list query or figures answer is the same shape as every other's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marshmallow import Schema, ValidationError, fields, validates_schema

from shared import fields as f


class PageQuery(Schema):
    """A list asked for a page at a time (the list's filters are the subclass's fields)."""

    page, page_size = f.page(), f.page_size()


class MonthQuery(Schema):
    """A month's figures asked for (a UTC calendar month, "YYYY-MM")."""

    month = f.month(required=True)


class PageAnswer(Schema):
    """A page of a list (`items`, the subclass's) and where it stands in the whole."""

    total, page, page_size = fields.Integer(), fields.Integer(), fields.Integer()


def counts() -> fields.Dict:
    """How many of each code, e.g. contacts by channel: {"phone": 12, "email": 3}."""
    return fields.Dict(keys=fields.String(), values=fields.Integer())


class ChangesSomething(Schema):
    """A change that gives only which record (and the version it was decided on) would
    change nothing: refused, rather than stored as an empty event."""

    not_a_change: ClassVar[frozenset[str]]  # the record's id, expected_version
    nothing_to_change: ClassVar[str]  # the refusal, in the domain's words

    @validates_schema
    def _changes_something(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not set(data) - self.not_a_change:
            raise ValidationError(self.nothing_to_change, "_schema")
