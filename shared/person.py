"""The person the centre helps, as every service describes them: which details are
personal data, what a plausible birth year is, and the blind index that finds a person
again without anyone being able to read their name from it.

Pure: standard library only, so every domain may use it. One definition, because a
person referred by the helpline is registered by casework and may be lodged by a shelter:
the same details must pass the same checks everywhere.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from datetime import date
from typing import Any

from shared.checks import InvalidValue, code
from shared.countries import is_country
from shared.vocabulary import IdentityDocument

PERSON_FIELDS = ("given_name", "family_name", "other_names", "birth_date", "phone", "email",
                 "address", "identity_documents")
TEXT_LIMITS = {"given_name": 200, "family_name": 200, "other_names": 500, "phone": 100,
               "email": 254, "address": 1000}
MAX_DOCUMENTS = 20
EARLIEST_BIRTH_YEAR = 1900


def checked_person(person: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """The person's details as JSON values (dates as ISO strings), empty ones left out.
    Given and family name are required: they are what the blind index is made of.
    A refusal names the field with `prefix` ("person." where the person is nested)."""
    try:
        return _checked(person)
    except InvalidValue as refused:
        raise InvalidValue(prefix + refused.field, refused.message) from None


def _checked(person: dict[str, Any]) -> dict[str, Any]:
    unknown = set(person) - set(PERSON_FIELDS)
    if unknown:
        raise InvalidValue(sorted(unknown)[0], "is not a detail of a person")
    checked: dict[str, Any] = {}
    for name in ("given_name", "family_name"):
        checked[name] = _text(person.get(name), name)
    for name in ("other_names", "phone", "email", "address"):
        if person.get(name):
            checked[name] = _text(person[name], name)
    birth_date = person.get("birth_date")
    if birth_date:
        checked["birth_date"] = _date(birth_date).isoformat()
    documents = person.get("identity_documents") or []
    if len(documents) > MAX_DOCUMENTS:
        raise InvalidValue("identity_documents", f"at most {MAX_DOCUMENTS}")
    if documents:
        checked["identity_documents"] = [_document(d) for d in documents]
    return checked


def _text(value: Any, field: str) -> str:
    limit = TEXT_LIMITS[field]
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise InvalidValue(field, f"must be a non-empty text of at most {limit} characters")
    return value.strip()


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidValue("birth_date", "must be a date (YYYY-MM-DD)") from None


def _document(document: Any) -> dict[str, Any]:
    field = "identity_documents"
    if not isinstance(document, dict):
        raise InvalidValue(field, "each must be an object")
    number = document.get("number")
    if not isinstance(number, str) or not number.strip() or len(number) > 100:
        raise InvalidValue(f"{field}.number", "must be a non-empty text of at most 100"
                                              " characters")
    issuing = document.get("issuing_country")
    if issuing is not None and not is_country(issuing):
        raise InvalidValue(f"{field}.issuing_country", "is not an ISO 3166-1 alpha-2 code")
    return {"kind": code(IdentityDocument, document.get("kind"), f"{field}.kind"),
            "number": number.strip(), "issuing_country": issuing}


def birth_year_of(birth_date: Any, birth_year: int | None, today: date) -> int | None:
    """The birth year, from the birth date when only that was given. Both must agree, and
    the year must be plausible: from 1900 to the year of `today` (the day it is recorded)."""
    from_date = _date(birth_date).year if birth_date else None
    if birth_year is not None and from_date is not None and birth_year != from_date:
        raise InvalidValue("birth_year", "does not match birth_date")
    year = birth_year if birth_year is not None else from_date
    if year is not None and not EARLIEST_BIRTH_YEAR <= year <= today.year:
        raise InvalidValue("birth_year", "is not a plausible year of birth")
    return year


# -- blind index ---------------------------------------------------------------------
# Letters that NFKD does not decompose into a base letter plus accents.
_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ı": "i", "æ": "ae", "œ": "oe",
                       "þ": "th", "ħ": "h", "ŧ": "t"})


def normalise_name(name: str) -> str:
    """'  Ána  MARIA-Popescu ' -> 'ana maria popescu': case, accents and spacing do not matter."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    words = re.findall(r"[^\W\d_]+", letters.casefold().translate(_FOLD))
    return " ".join(words)


def blind_index(key: bytes, name: str, birth_year: int | None) -> str:
    """HMAC of the normalised name and birth year: findable, never readable."""
    message = f"{normalise_name(name)}|{birth_year or ''}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def index_name(person: dict[str, Any]) -> str:
    """The part of a person the blind index is made of: given and family name."""
    return f"{person.get('given_name', '')} {person.get('family_name', '')}"


def blind_index_of(key: bytes, person: dict[str, Any], birth_year: int | None) -> str:
    return blind_index(key, index_name(person), birth_year)
