"""The vocabularies of the centre's outreach (DOMAIN.md, reports): consultations with state
and local bodies, and prevention work. Kept as data: a new value is one line here, and the
schemas, the domain checks, the read models and the report's labels follow.
"""

from __future__ import annotations

from enum import StrEnum


class InstitutionType(StrEnum):
    """HTCDS 2.0 org_Type: the kind of body the centre consulted."""

    CENTRAL_GOVERNMENT = "CentralGovernmentOrganisation"
    LOCAL_GOVERNMENT = "LocalGovernmentOrganisation"
    LAW_ENFORCEMENT = "LawEnforcement"
    IMMIGRATION_SERVICE = "ImmigrationService"
    LEGAL_SERVICE = "LegalService"  # prosecution, courts, legal aid
    HEALTH_SERVICE = "HealthServiceOrganisation"
    NGO = "NGO"
    CORPORATE_BUSINESS = "CorporateBusiness"


ConsultationTopic = StrEnum("ConsultationTopic", "IDENTIFICATION REFERRAL_PROCEDURES"
                                                 " VICTIM_ASSISTANCE LEGAL_PROCEEDINGS"
                                                 " RESIDENCE_AND_LEGALISATION REPATRIATION"
                                                 " ACCOMMODATION PREVENTION TRAINING_NEEDS"
                                                 " DATA_AND_REPORTING OTHER")
ConsultationOutcome = StrEnum("ConsultationOutcome", "INFORMATION_EXCHANGED AGREEMENT_REACHED"
                                                     " JOINT_ACTION_PLANNED REFERRAL_ARRANGED"
                                                     " TRAINING_AGREED NO_AGREEMENT OTHER")
ConsultationChannel = StrEnum("ConsultationChannel", "IN_PERSON PHONE VIDEO WRITTEN")
FollowUpAction = StrEnum("FollowUpAction", "MEETING LETTER TRAINING INFORMATION REFERRAL OTHER")

# Prevention work as the centre's own slides list it.
PreventionKind = StrEnum("PreventionKind", "TRAINING SEMINAR WORKSHOP MEETING ONLINE_COUNSELLING"
                                           " COUNSELLING PUBLICATION")
Audience = StrEnum("Audience", "GENERAL_PUBLIC YOUTH_AND_STUDENTS JOB_SEEKERS MIGRANTS"
                               " LAW_ENFORCEMENT SOCIAL_SERVICES HEALTH_PROFESSIONALS EDUCATORS"
                               " EMPLOYERS NGO_STAFF PUBLIC_OFFICIALS OTHER")
# Why a record is taken back: it stays in the log, out of the figures.
WithdrawalReason = StrEnum("WithdrawalReason", "RECORDED_IN_ERROR DUPLICATE CANCELLED")
