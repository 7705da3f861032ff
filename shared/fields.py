"""The marshmallow fields every service's schemas are built from: one definition of a code,
a country, a language list, a staff id, a date-time, a page.

RPC inputs, RPC outputs and the integration-event contracts all use these, so a value one
service may publish is a value the next one accepts: the limits live here, once.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from marshmallow import Schema, fields, validate

from shared.countries import CONTINENT_OF
from shared.crypto import SEAL_PREFIX
from shared.person import EARLIEST_BIRTH_YEAR, MAX_DOCUMENTS, TEXT_LIMITS
from shared.vocabulary import (
    LANGUAGE_CODE,
    MAX_LANGUAGES,
    RECIPIENT_CODE,
    STAFF_ID,
    IdentityDocument,
    values,
)

MAX_PAGE_SIZE = 200
MONTH = r"\A(19|20)[0-9]{2}-(0[1-9]|1[0-2])\Z"  # years 1900-2099: strptime has no year 0
COUNTRIES = sorted(CONTINENT_OF)


def code(vocabulary: type[StrEnum], **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(values(vocabulary)), **kwargs)


def codes(vocabulary: type[StrEnum], **kwargs: Any) -> fields.List:
    return fields.List(code(vocabulary), validate=validate.Length(max=len(vocabulary)),
                       **kwargs)


def country(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf(
        COUNTRIES, error="not an ISO 3166-1 alpha-2 country code"), **kwargs)


def language(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(LANGUAGE_CODE, error="not an ISO 639-1 code"),
                         **kwargs)


def languages(**kwargs: Any) -> fields.List:
    return fields.List(language(), validate=validate.Length(max=MAX_LANGUAGES), **kwargs)


def text(max_length: int, **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Length(min=1, max=max_length), **kwargs)


def staff(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(
        STAFF_ID, error="a user id or partner code: letters, digits and . _ : -"
                        " (never an e-mail address)"), **kwargs)


def recipient(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(
        RECIPIENT_CODE, error="a code: lower-case letters, digits and . _ : -"), **kwargs)


def version(**kwargs: Any) -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=1), **kwargs)


def birth_year(**kwargs: Any) -> fields.Integer:
    """A year of birth as a form takes it; not after the day it is recorded is the domain's
    check (shared.person.birth_year_of), which knows that day."""
    return fields.Integer(validate=validate.Range(min=EARLIEST_BIRTH_YEAR, max=2100), **kwargs)


def page() -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=1, max=100_000), load_default=1)


def page_size() -> fields.Integer:
    return fields.Integer(validate=validate.Range(min=1, max=MAX_PAGE_SIZE), load_default=50)


def month(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(MONTH, error="must be YYYY-MM"), **kwargs)


# -- dates and times: each inside a plausible window --------------------------------------
# A contact "started" in year 9999 tops the contact log for ever; a service "provided" in
# 2031 is a typo that ends up in the ministry's report. So every date and time a service
# takes lies in one of these windows, relative to today, and the OpenAPI document says
# which (the field's description).
EARLIEST = date(1990, 1, 1)  # older than any record of the centre


class Window(NamedTuple):
    earliest: date
    ahead: timedelta  # how far after now
    says: str  # for the field's description

    def check(self, day: date, today: date) -> str | None:
        latest = today + self.ahead
        if self.earliest <= day <= latest:
            return None
        return f"must be between {self.earliest.isoformat()} and {latest.isoformat()} ({self.says})"


# What happened (a call, a screening, a service given, a decision): at most a day ahead,
# for clocks and time zones.
HAPPENED = Window(EARLIEST, timedelta(days=1), "it has happened")
# What is planned (a hearing, a deadline, a follow-up, a period's end): up to ten years.
PLANNED = Window(EARLIEST, timedelta(days=3653), "up to ten years ahead")
# The ends of a period asked for in a query: wide, but inside what dates can represent.
PERIOD = Window(date(1900, 1, 1), timedelta(days=36525), "a period to look in")
# A birth date: a living person, born on or before today.
BORN = Window(date(1900, 1, 1), timedelta(0), "born by today")


def _described(window: Window, kwargs: dict[str, Any]) -> dict[str, Any]:
    metadata = dict(kwargs.pop("metadata", None) or {})
    metadata.setdefault("description", f"from {window.earliest.isoformat()}; {window.says}")
    return {**kwargs, "metadata": metadata}


class _InWindow(fields.Field):
    """A date or a date-time refused outside its window, which its description names."""

    default_error_messages = {"window": "{message}"}

    def __init__(self, window: Window = PLANNED, **kwargs: Any):
        super().__init__(**_described(window, kwargs))
        self.window = window

    def _check_window(self, day: date) -> None:
        outside = self.window.check(day, datetime.now(UTC).date())
        if outside:
            raise self.make_error("window", message=outside)


class UtcDateTime(_InWindow, fields.AwareDateTime):
    """A date-time with its offset, loaded in UTC and inside its window: one zone in the
    store and in queries, and a time with no UTC form (year 1 at +01:00) is refused here,
    not failed on later."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        try:
            loaded = loaded.astimezone(UTC)
        except OverflowError:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from None
        self._check_window(loaded.date())
        return loaded


class Day(_InWindow, fields.Date):
    """A calendar date inside its window."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> date:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        self._check_window(loaded)
        return loaded


def when(window: Window = PLANNED, **kwargs: Any) -> fields.AwareDateTime:
    return UtcDateTime(window, **kwargs)


def day(window: Window = PLANNED, **kwargs: Any) -> fields.Date:
    return Day(window, **kwargs)


class Sealed(fields.String):
    """Personal data in a contract: only ever the ciphertext ("pd2:<subject>:..."), which
    the subject's key holder alone can read. Plain text here is refused, so personal data
    cannot reach the broker by a slip in a payload."""

    default_error_messages = {"plain": "must be sealed personal data"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        loaded = super()._deserialize(value, attr, data, **kwargs)
        if not loaded.startswith(SEAL_PREFIX):
            raise self.make_error("plain")
        return loaded


# -- the person ----------------------------------------------------------------------------
class IdentityDocumentSchema(Schema):
    kind = code(IdentityDocument, required=True)
    number = text(100, required=True)
    issuing_country = country(load_default=None)


class PersonDetailsSchema(Schema):
    """A person's details (shared.person): all personal data, sealed before it is stored."""

    given_name = text(TEXT_LIMITS["given_name"])
    family_name = text(TEXT_LIMITS["family_name"])
    other_names = text(TEXT_LIMITS["other_names"])
    birth_date = day(BORN)
    phone = text(TEXT_LIMITS["phone"])
    email = fields.Email(validate=validate.Length(max=TEXT_LIMITS["email"]))
    address = text(TEXT_LIMITS["address"])
    identity_documents = fields.List(fields.Nested(IdentityDocumentSchema),
                                     validate=validate.Length(max=MAX_DOCUMENTS))


class PersonSchema(PersonDetailsSchema):
    """A person as first described: given and family name make the blind index."""

    given_name = text(TEXT_LIMITS["given_name"], required=True)
    family_name = text(TEXT_LIMITS["family_name"], required=True)
