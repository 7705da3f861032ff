"""The helpline's vocabularies (DOMAIN.md, intake and the shared HTCDS lists).

Kept as data: adding a value is a one-line change here, and the schemas, the
domain checks and the read models all follow. Events store the plain string
value, so a value retired from a list still replays.
"""

from __future__ import annotations

import re
from enum import StrEnum


class Channel(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    MAIL = "mail"
    IN_PERSON = "in_person"
    CHAT = "chat"
    SMS = "sms"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallerType(StrEnum):
    POTENTIAL_VICTIM = "potential_victim"
    FAMILY_OR_FRIEND = "family_or_friend"
    WITNESS = "witness"
    PROFESSIONAL = "professional"
    INSTITUTION = "institution"
    ANONYMOUS = "anonymous"
    OTHER = "other"


class Topic(StrEnum):
    EMERGENCY = "emergency"
    VICTIM_SUPPORT = "victim_support"
    PREVENTION_INFO = "prevention_info"
    SAFE_WORK_ABROAD = "safe_work_abroad"
    LEGAL_QUESTION = "legal_question"
    INSTITUTIONAL_CONSULTATION = "institutional_consultation"
    OTHER = "other"


class Urgency(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    ROUTINE = "routine"


class Outcome(StrEnum):
    INFORMATION_GIVEN = "information_given"
    REFERRED_EXTERNALLY = "referred_externally"
    REFERRED_TO_CASEWORK = "referred_to_casework"
    CRISIS_INTERVENTION = "crisis_intervention"
    NO_ACTION = "no_action"


class Indicator(StrEnum):
    """Trafficking indicators an operator may observe while screening."""

    DECEPTION = "deception"
    RESTRICTED_MOVEMENT = "restricted_movement"
    ISOLATION = "isolation"
    PHYSICAL_OR_SEXUAL_VIOLENCE = "physical_or_sexual_violence"
    INTIMIDATION_AND_THREATS = "intimidation_and_threats"
    RETAINED_DOCUMENTS = "retained_documents"
    WITHHELD_WAGES = "withheld_wages"
    DEBT_BONDAGE = "debt_bondage"
    ABUSIVE_WORKING_OR_LIVING_CONDITIONS = "abusive_working_or_living_conditions"
    EXCESSIVE_OVERTIME = "excessive_overtime"


class Assessment(StrEnum):
    PRESUMED_VICTIM = "presumed_victim"
    NOT_A_VICTIM = "not_a_victim"
    UNCLEAR = "unclear"


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


# Shape checks only: the full ISO lists change (new countries, new codes) and are
# not worth a dependency; a wrong but well-formed code is caught by people, not code.
# \Z, not $: "$" also matches before a trailing newline.
LANGUAGE_CODE = re.compile(r"\A[a-z]{2}\Z")  # ISO 639-1
COUNTRY_CODE = re.compile(r"\A[A-Z]{2}\Z")  # ISO 3166-1 alpha-2


def values(vocabulary: type[StrEnum]) -> list[str]:
    return [member.value for member in vocabulary]
