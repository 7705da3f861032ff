"""The helpline's vocabularies (DOMAIN.md, intake and the shared HTCDS lists).

Kept as data: adding a value is a one-line change here, and the schemas, the
domain checks and the read models all follow. Events store the plain string
value, so a value retired from a list still replays.
"""

from __future__ import annotations

from enum import StrEnum

from shared.vocabulary import (  # noqa: F401 - re-exported: the shared vocabularies
    COUNTRY_CODE,
    LANGUAGE_CODE,
    Exploitation,
    Gender,
    Urgency,
    values,
)


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
