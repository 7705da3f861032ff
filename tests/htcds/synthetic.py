"""A synthetic caseload with known aggregates: skewed like a real centre's (most clients
from a few countries, a long tail of rare ones that k-anonymity must hide)."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

COMMON = ("UA", "UA", "UA", "BY", "VN", "PH", "RO", "BG", "NG", "MD")
RARE = ("ER", "PE", "NP", "LK", "MN", "GT", "FJ", "UZ")  # a handful of cases each
EXPLOITED_IN = ("PL", "PL", "PL", "PL", "DE", "NL", "CZ")
GENDERS = ("Female", "Female", "Male", "Male", "Female", "TransgenderFemale", "Unknown")
TYPES = ("ForcedLabour", "SexualExploitation", "ForcedBegging", "ForcedCriminality",
         "ForcedMarriage")


@dataclass(frozen=True)
class Synthetic:
    given_name: str
    family_name: str
    birth_date: date
    phone: str
    address: str
    gender: str
    citizenship: str
    exploitation_country: str
    exploitation_type: str
    opened_at: datetime


def caseload(n: int, seed: int = 16, first_year: int = 2023) -> list[Synthetic]:
    rng = random.Random(seed)
    made = []
    for i in range(n):
        opened = datetime(first_year, 1, 1, 9, tzinfo=UTC) + timedelta(
            days=rng.randrange(3 * 365), minutes=rng.randrange(600))
        born = date(opened.year - rng.choice((15, 19, 22, 25, 28, 33, 41, 52)), 1, 1) \
            + timedelta(days=rng.randrange(365))
        made.append(Synthetic(
            given_name=f"Synthgiven{_letters(i)}", family_name=f"Synthfamily{_letters(i * 7)}",
            birth_date=born, phone=f"+48 600 {i:06d}"[:15], address=f"ul. Synthetyczna {i} m. 4",
            gender=rng.choice(GENDERS),
            citizenship=rng.choice(RARE) if rng.random() < 0.01 else rng.choice(COMMON),
            exploitation_country=rng.choice(EXPLOITED_IN),
            exploitation_type=rng.choice(TYPES), opened_at=opened))
    return made


def _letters(i: int) -> str:
    out = ""
    for _ in range(5):
        i, r = divmod(i, 26)
        out += chr(ord("a") + r)
    return out


def known_aggregates(cases: list[Synthetic], start: date, end: date) -> dict[str, Counter[str]]:
    inside = [c for c in cases if start <= c.opened_at.date() <= end]
    return {"total": Counter({"cases": len(inside)}),
            "typeOfExploitation": Counter(c.exploitation_type for c in inside)}


def row(case: Synthetic) -> dict[str, object]:
    """The unanonymised export row this synthetic case should give (pure tests)."""
    year = case.opened_at.year
    return {"yearOfRegistration": year, "gender": case.gender,
            "ageBroad": year - case.birth_date.year, "citizenship": case.citizenship,
            "countryOfExploitation": case.exploitation_country,
            "typeOfExploitation": case.exploitation_type, "methodsOfControl": "",
            "methodOfRecruitment": "", "relationshipToTrafficker": "",
            "traffickingStatus": "", "caseStatus": "Active"}
