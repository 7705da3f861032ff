"""Casework's vocabularies (DOMAIN.md casework, and the shared HTCDS 2.0 lists).

Kept as data: adding a value is a one-line change here, and the schemas, the
domain checks and the read models follow. Events store the plain string value,
so a value retired from a list still replays. The HTCDS lists, and the values that cross
to another service (a legal matter, an isolation reason, a consent purpose), are
shared.vocabulary's: one list for every side, and no service imports another service's code.
"""

from __future__ import annotations

import re
from enum import StrEnum

from shared.vocabulary import (  # noqa: F401 - re-exported: the shared vocabularies
    ANY_RECIPIENT,
    LANGUAGE_CODE,
    RECIPIENT_CODE,
    STAFF_ID,
    AccessPurpose,
    ConsentPurpose,
    Exploitation,
    Gender,
    IdentityDocument,
    IsolationReason,
    LegalMatter,
    Urgency,
    values,
)


class CaseStatus(StrEnum):
    """HTCDS CaseStatus."""

    OPEN = "Open"  # opened, nobody assigned yet
    ACTIVE = "Active"
    FOLLOW_UP = "FollowUp"
    CLOSED = "Closed"
    CLOSED_REFERRED = "ClosedReferred"


OPEN_STATUSES = (CaseStatus.OPEN, CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP)
CLOSED_STATUSES = (CaseStatus.CLOSED, CaseStatus.CLOSED_REFERRED)
PHASES = (CaseStatus.ACTIVE, CaseStatus.FOLLOW_UP)  # what a caseworker moves an open case to


ClosureReason = StrEnum("ClosureReason", "GOALS_ACHIEVED CLIENT_WITHDREW CLIENT_UNREACHABLE"
                                         " REFERRED_TO_OTHER_ORGANISATION REPATRIATED NOT_A_VICTIM"
                                         " DUPLICATE CLIENT_DECEASED OTHER")


class Source(StrEnum):
    REFERRAL = "referral"  # from the helpline (intake's ReferredToCasework)
    DIRECT = "direct"  # opened by a caseworker


class MethodOfControl(StrEnum):
    """HTCDS 2.0 MethodsOfControl."""

    PHYSICAL_THREATS = "PhysicalThreats"
    THREATS_LAW_ENFORCEMENT = "ThreatsLawEnforcement"
    THREATENS_CHILDREN_FAMILY = "ThreatensChildrenFamily"
    DEBT_BONDAGE = "DebtBondage"
    FALSE_PROMISES = "FalsePromises"
    PHYSICAL_ABUSE = "PhysicalAbuse"
    SEXUAL_ABUSE = "SexualAbuse"
    TAKES_EARNINGS = "TakesEarnings"
    RESTRICTS_FINANCIAL_ACCESS = "RestrictsFinancialAccess"
    RESTRICTS_MEDICAL_CARE = "RestrictsMedicalCare"
    WITHHOLDS_NECESSITIES = "WithholdsNecessities"
    PSYCHOLOGICAL_ABUSE = "PsychologicalAbuse"
    PSYCHOACTIVE_SUBSTANCE = "PsychoactiveSubstance"
    EXCESSIVE_WORKING_HOURS = "ExcessiveWorkingHours"
    WITHHOLDS_DOCUMENTS = "WithholdsDocuments"
    RESTRICTS_MOVEMENT = "RestrictsMovement"
    USES_CHILDREN = "UsesChildren"
    OTHER = "Other"


class Recruitment(StrEnum):
    """HTCDS 2.0 MethodOfRecruitment."""

    AT_A_PLACE_OF_BUSINESS = "AtAPlaceOfBusiness"
    AT_AN_EDUCATIONAL_INSTITUTION = "AtAnEducationalInstitution"
    AT_WORK = "AtWork"
    THROUGH_ONLINE_SOCIAL_NETWORKS = "ThroughOnlineSocialNetworks"
    THROUGH_AN_ONLINE_ADVERTISEMENT = "ThroughAnOnlineAdvertisement"
    THROUGH_TELEVISION_ADVERT = "ThroughTelevisionAdvert"
    THROUGH_NEWSPAPER_ADVERT = "ThroughNewspaperAdvert"
    THROUGH_FAMILY_OR_FAMILY_EVENTS = "ThroughFamilyOrFamilyEvents"
    THROUGH_FRIENDS_OR_SOCIAL_EVENTS = "ThroughFriendsOrSocialEvents"
    OTHER = "Other"


class Relationship(StrEnum):
    """RelationshipToTrafficker (CTDC's finer set)."""

    INTIMATE_PARTNER = "IntimatePartner"
    FAMILY = "Family"
    FRIEND = "Friend"
    ACQUAINTANCE = "Acquaintance"
    STRANGER = "Stranger"
    UNKNOWN = "Unknown"


class TraffickingStatus(StrEnum):
    """HTCDS TraffickingStatus: where identification stands."""

    POSSIBLE = "Possible"
    PRESUMED = "Presumed"
    IDENTIFIED = "Identified"
    NOT_A_VICTIM = "NotAVictim"


class Decider(StrEnum):
    """Who decided an identification status."""

    NGO = "NGO"
    POLICE = "Police"
    BORDER_GUARD = "BorderGuard"
    PROSECUTOR = "Prosecutor"
    COURT = "Court"
    OTHER = "Other"


ConsentDecision = StrEnum("ConsentDecision", "GRANTED REFUSED")


ServiceType = StrEnum("ServiceType", "CRISIS_INTERVENTION SOCIAL_COUNSELLING"
                                     " PSYCHOLOGICAL_SUPPORT PSYCHOLOGICAL_EVALUATION MEDICAL"
                                     " LEGAL_COUNSEL CULTURAL_MEDIATION TRANSLATION INTERPRETATION"
                                     " TRANSPORT ACCOMMODATION MATERIAL_AID REPATRIATION_SUPPORT"
                                     " OTHER")


class SupportPlan(StrEnum):
    """HTCDS SupportPlan types: what a case-plan objective is about."""

    EDUCATION = "Education"
    FINANCIAL = "Financial"
    HEALTH = "Health"
    LEGAL = "Legal"
    LIVELIHOOD = "Livelihood"
    SOCIAL_CARE = "SocialCare"
    PSYCHOLOGICAL = "Psychological"
    ACCOMMODATION = "Accommodation"
    REPATRIATION = "Repatriation"
    OTHER = "Other"


DuplicateOutcome = StrEnum("DuplicateOutcome", "SAME_PERSON DIFFERENT_PERSON")
ErasureReason = StrEnum("ErasureReason", "CLIENT_REQUEST RETENTION_PERIOD_ENDED CONSENT_WITHDRAWN"
                                         " UNLAWFUL_PROCESSING LEGAL_OBLIGATION OTHER")


# Whole-string patterns (\A...\Z: "$" would let a trailing newline through).
# A case reference as numbering issues it: KC-2026-0042.
CASE_REFERENCE = re.compile(r"\A[A-Z]{2}-[0-9]{4}-[0-9]{4,6}\Z")

# A supervisor's verdict on an emergency access, after the fact.
EmergencyReview = StrEnum("EmergencyReview", "CONFIRMED FLAGGED")
