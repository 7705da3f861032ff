"""Casework's vocabularies (DOMAIN.md casework, and the shared HTCDS 2.0 lists).

Kept as data: adding a value is a one-line change here, and the schemas, the
domain checks and the read models follow. Events store the plain string value,
so a value retired from a list still replays. The HTCDS lists repeat intake's on
purpose: a service never imports another service's code.
"""

from __future__ import annotations

import re
from enum import StrEnum

from shared.vocabulary import (  # noqa: F401 - re-exported: the shared vocabularies
    LANGUAGE_CODE,
    Exploitation,
    Gender,
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


class ClosureReason(StrEnum):
    GOALS_ACHIEVED = "goals_achieved"
    CLIENT_WITHDREW = "client_withdrew"
    CLIENT_UNREACHABLE = "client_unreachable"
    REFERRED_TO_OTHER_ORGANISATION = "referred_to_other_organisation"
    REPATRIATED = "repatriated"
    NOT_A_VICTIM = "not_a_victim"
    DUPLICATE = "duplicate"
    CLIENT_DECEASED = "client_deceased"
    OTHER = "other"


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


class ConsentPurpose(StrEnum):
    DATA_PROCESSING = "data_processing"
    SHARE_WITH_POLICE = "share_with_police"
    SHARE_WITH_PROSECUTOR = "share_with_prosecutor"
    SHARE_WITH_COURT = "share_with_court"
    SHARE_WITH_PARTNER_NGO = "share_with_partner_ngo"
    SHARE_WITH_EMBASSY = "share_with_embassy"
    SHARE_WITH_SHELTER = "share_with_shelter"
    SHARE_WITH_MEDICAL_PROVIDER = "share_with_medical_provider"
    SHARE_WITH_LABOUR_INSPECTION = "share_with_labour_inspection"
    SHARE_WITH_FAMILY = "share_with_family"
    PHOTO_OR_MEDIA = "photo_or_media"
    RESEARCH = "research"


class ConsentDecision(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"


ANY_RECIPIENT = "any"  # a consent for every recipient of its purpose


class ServiceType(StrEnum):
    CRISIS_INTERVENTION = "crisis_intervention"
    SOCIAL_COUNSELLING = "social_counselling"
    PSYCHOLOGICAL_SUPPORT = "psychological_support"
    PSYCHOLOGICAL_EVALUATION = "psychological_evaluation"
    MEDICAL = "medical"
    LEGAL_COUNSEL = "legal_counsel"
    CULTURAL_MEDIATION = "cultural_mediation"
    TRANSLATION = "translation"
    INTERPRETATION = "interpretation"
    TRANSPORT = "transport"
    ACCOMMODATION = "accommodation"
    MATERIAL_AID = "material_aid"
    REPATRIATION_SUPPORT = "repatriation_support"
    OTHER = "other"


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


class IsolationReason(StrEnum):
    HEALTH = "health"
    SAFETY = "safety"


class LegalMatter(StrEnum):
    CRIMINAL_PROCEEDINGS = "criminal_proceedings"
    COMPENSATION_CLAIM = "compensation_claim"
    LABOUR_CLAIM = "labour_claim"
    RESIDENCE_PROCEDURE = "residence_procedure"
    OTHER = "other"


class DuplicateOutcome(StrEnum):
    SAME_PERSON = "same_person"
    DIFFERENT_PERSON = "different_person"


class ErasureReason(StrEnum):
    CLIENT_REQUEST = "client_request"
    RETENTION_PERIOD_ENDED = "retention_period_ended"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    UNLAWFUL_PROCESSING = "unlawful_processing"
    LEGAL_OBLIGATION = "legal_obligation"
    OTHER = "other"


class AccessPurpose(StrEnum):
    """Why someone reads a client's personal data: a code, never free text (the access
    log is kept in clear, for as long as the centre keeps its records)."""

    CASE_WORK = "case_work"
    SUPERVISION = "supervision"
    SAFETY = "safety"
    LEGAL_PROCEEDINGS = "legal_proceedings"
    REFERRAL = "referral"
    DUPLICATE_REVIEW = "duplicate_review"
    DATA_SUBJECT_REQUEST = "data_subject_request"
    OTHER = "other"


class IdentityDocument(StrEnum):
    PASSPORT = "passport"
    NATIONAL_ID = "national_id"
    RESIDENCE_PERMIT = "residence_permit"
    VISA = "visa"
    DRIVING_LICENCE = "driving_licence"
    BIRTH_CERTIFICATE = "birth_certificate"
    OTHER = "other"


# Whole-string patterns (\A...\Z: "$" would let a trailing newline through).
# A recipient is a code ("police", "embassy-ua", an organisation id), never a name in free text.
RECIPIENT_CODE = re.compile(r"\A[a-z0-9][a-z0-9_.:-]{0,63}\Z")
# A staff member's user id (as tokens carry it) or a partner's code: no spaces, no control
# characters -- they are kept in clear, in read models too.
STAFF_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.:@-]{0,99}\Z")
