"""What an HTCDS 2.0 row holds, and how each quasi-identifier may be generalised.

Field names follow HTCDS 2.0 / the CTDC global dataset (camelCase). Direct identifiers
(names, birth dates, phones, e-mails, addresses, document numbers, case references, ids)
are not fields here at all: a row is built only from the facts below, so there is no
column they could leak into. The country of origin is not published either: beside a
generalised citizenship it would give the country back.

Age bands are CTDC's `ageBroad`; coarser steps merge them, then minor/adult.
"""

from __future__ import annotations

from typing import Any

from shared.countries import continent_of
from shared.htcds.anonymise import ANY, Ladder, top

YEAR, GENDER, AGE = "yearOfRegistration", "gender", "ageBroad"
CITIZENSHIP, EXPLOITED_IN = "citizenship", "countryOfExploitation"
QUASI_IDENTIFIERS = (YEAR, GENDER, AGE, CITIZENSHIP, EXPLOITED_IN)
OTHER_FIELDS = ("typeOfExploitation", "methodsOfControl", "methodOfRecruitment",
                "relationshipToTrafficker", "traffickingStatus", "caseStatus")
COLUMNS = ("recordId", *QUASI_IDENTIFIERS, *OTHER_FIELDS)
# Never a column, whatever a future edit adds: checked when a file is written.
DIRECT_IDENTIFIERS = frozenset({
    "given_name", "family_name", "other_names", "birth_date", "phone", "email", "address",
    "identity_documents", "reference", "case_id", "client_id", "contact_id", "subject_id",
    "firstName", "lastName", "dateOfBirth", "phoneNumber", "emailAddress", "addressLine"})

_BANDS = ((0, 8, "0-8"), (9, 17, "9-17"), (18, 20, "18-20"), (21, 23, "21-23"),
          (24, 26, "24-26"), (27, 29, "27-29"), (30, 38, "30-38"), (39, 47, "39-47"))
_WIDE = ((0, 17, "0-17"), (18, 29, "18-29"), (30, 47, "30-47"))


def _band(bands: tuple[tuple[int, int, str], ...], oldest: str) -> Any:
    def label(age: Any) -> str:
        return next((name for low, high, name in bands if low <= int(age) <= high), oldest)
    return label


def _majority(age: Any) -> str:
    return "Minor" if int(age) < 18 else "Adult"


def _gender_group(gender: Any) -> str:
    # Small groups (transgender, non-conforming) merge before anyone's gender is withheld.
    return gender if gender in ("Female", "Male", "Unknown") else "Other"


def _period(year: Any) -> str:
    start = int(year) // 5 * 5
    return f"{start}-{start + 4}"


LADDERS = (
    Ladder(YEAR, (("year", str), ("five-year period", _period), (ANY, top))),
    Ladder(GENDER, (("gender", str), ("female / male / other", _gender_group), (ANY, top))),
    Ladder(AGE, (("CTDC age band", _band(_BANDS, "48+")),
                 ("wide age band", _band(_WIDE, "48+")),
                 ("minor / adult", _majority), (ANY, top))),
    Ladder(CITIZENSHIP, (("country", str), ("continent", continent_of), (ANY, top))),
    Ladder(EXPLOITED_IN, (("country", str), ("continent", continent_of), (ANY, top))),
)


def age_at(birth_year: int | None, year: int) -> int | None:
    """Age in the year of registration, from the birth year (never a birth date)."""
    if birth_year is None or birth_year > year:
        return None
    return year - birth_year
