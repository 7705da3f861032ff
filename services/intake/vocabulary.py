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

Channel = StrEnum("Channel", "PHONE EMAIL MAIL IN_PERSON CHAT SMS")
Direction = StrEnum("Direction", "INBOUND OUTBOUND")
CallerType = StrEnum("CallerType", "POTENTIAL_VICTIM FAMILY_OR_FRIEND WITNESS PROFESSIONAL"
                                   " INSTITUTION ANONYMOUS OTHER")
Topic = StrEnum("Topic", "EMERGENCY VICTIM_SUPPORT PREVENTION_INFO SAFE_WORK_ABROAD"
                         " LEGAL_QUESTION INSTITUTIONAL_CONSULTATION OTHER")
Outcome = StrEnum("Outcome", "INFORMATION_GIVEN REFERRED_EXTERNALLY REFERRED_TO_CASEWORK"
                             " CRISIS_INTERVENTION NO_ACTION")
# Trafficking indicators an operator may observe while screening.
Indicator = StrEnum("Indicator", "DECEPTION RESTRICTED_MOVEMENT ISOLATION"
                                 " PHYSICAL_OR_SEXUAL_VIOLENCE INTIMIDATION_AND_THREATS"
                                 " RETAINED_DOCUMENTS WITHHELD_WAGES DEBT_BONDAGE"
                                 " ABUSIVE_WORKING_OR_LIVING_CONDITIONS EXCESSIVE_OVERTIME")
Assessment = StrEnum("Assessment", "PRESUMED_VICTIM NOT_A_VICTIM UNCLEAR")
