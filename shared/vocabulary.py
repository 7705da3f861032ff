"""Vocabularies every service shares (DOMAIN.md): HTCDS 2.0 values and code shapes.

Kept as data (enums), so a new value is one line here and every service's schemas,
domain checks and OpenAPI document follow.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Urgency(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"


class Gender(StrEnum):
    """HTCDS 2.0 Gender."""

    FEMALE = "Female"
    MALE = "Male"
    TRANSGENDER_FEMALE = "TransgenderFemale"
    TRANSGENDER_MALE = "TransgenderMale"
    NON_CONFORMING = "NonConforming"
    UNKNOWN = "Unknown"


class Exploitation(StrEnum):
    """HTCDS 2.0 TypeOfExploitation."""

    FORCED_LABOUR = "ForcedLabour"
    SEXUAL_EXPLOITATION = "SexualExploitation"
    CHILD_LABOUR = "ChildLabour"
    FORCED_MARRIAGE = "ForcedMarriage"
    SERVITUDE = "Servitude"
    FORCED_MILITARY_BY_NON_STATE_ACTORS = "ForcedMilitaryByNonStateActors"
    ORGAN_REMOVAL = "OrganRemoval"
    FORCED_BEGGING = "ForcedBegging"
    FORCED_ADOPTION = "ForcedAdoption"
    SURROGACY = "Surrogacy"
    FORCED_CRIMINALITY = "ForcedCriminality"
    OTHER = "Other"


# Shapes only, whole-string (\A...\Z: "$" would let a trailing newline through). The
# full ISO lists change and are not worth a dependency; casework checks countries
# against its continent table.
LANGUAGE_CODE = re.compile(r"\A[a-z]{2}\Z")  # ISO 639-1
COUNTRY_CODE = re.compile(r"\A[A-Z]{2}\Z")  # ISO 3166-1 alpha-2


def values(vocabulary: type[StrEnum]) -> list[str]:
    return [member.value for member in vocabulary]
