"""Legal's vocabularies (DOMAIN.md, legal), kept as data: adding a value is a one-line
change here, and the schemas, the domain checks and the read models follow. Events store
the plain string value, so a value retired from a list still replays."""

from __future__ import annotations

from enum import StrEnum

from shared.vocabulary import (  # noqa: F401 - re-exported: the shared vocabularies
    ANY_RECIPIENT,
    LANGUAGE_CODE,
    RECIPIENT_CODE,
    STAFF_ID,
    LegalMatter,
    SharePurpose,
    values,
)

# A matter's kind is what casework asks for: one list for both (shared.vocabulary).
MatterKind = LegalMatter
# The victim's standing: in criminal proceedings against traffickers the first three,
# in a claim or a procedure of their own the last two.
Standing = StrEnum("Standing", "WITNESS INJURED_PARTY AUXILIARY_PROSECUTOR CLAIMANT APPLICANT")
CRIMINAL_STANDINGS = frozenset({"witness", "injured_party", "auxiliary_prosecutor"})
Stage = StrEnum("Stage", "ASSESSMENT INVESTIGATION FIRST_INSTANCE APPEAL CASSATION"
                         " ENFORCEMENT ADMINISTRATIVE_PROCEDURE")
MatterOutcome = StrEnum("MatterOutcome", "CONVICTION ACQUITTAL DISCONTINUED SETTLEMENT"
                                         " CLAIM_GRANTED CLAIM_PARTLY_GRANTED CLAIM_DISMISSED"
                                         " PERMIT_GRANTED PERMIT_REFUSED WITHDRAWN"
                                         " REFERRED_ELSEWHERE OTHER")
MatterSource = StrEnum("MatterSource", "REQUEST DIRECT")  # casework's request, or the lawyer
Representation = StrEnum("Representation", "PRO_BONO PAID LEGAL_AID CENTRE_LAWYER")
Authority = StrEnum("Authority", "POLICE PROSECUTOR COURT BORDER_GUARD LABOUR_INSPECTION"
                                 " EMBASSY OTHER")
ContactChannel = StrEnum("ContactChannel", "PHONE MEETING LETTER EMAIL VIDEO")

HearingType = StrEnum("HearingType", "PRELIMINARY MAIN_TRIAL WITNESS_EXAMINATION VERDICT"
                                     " APPEAL ADMINISTRATIVE_INTERVIEW MEDIATION OTHER")
HearingOutcome = StrEnum("HearingOutcome", "HELD ADJOURNED VERDICT_DELIVERED SETTLED NOT_HELD")
CancelReason = StrEnum("CancelReason", "VACATED_BY_COURT WITHDRAWN SETTLED SCHEDULED_IN_ERROR"
                                       " OTHER")
ProtectiveMeasure = StrEnum("ProtectiveMeasure", "VIDEO_LINK ANONYMITY SEPARATE_WAITING_ROOM"
                                                 " CLOSED_HEARING TRUSTED_PERSON_PRESENT")
DeadlineKind = StrEnum("DeadlineKind", "HEARING_PREPARATION COURT_SUBMISSION APPEAL"
                                       " EVIDENCE_SUBMISSION CLAIM_FILING RESIDENCE_APPLICATION"
                                       " DOCUMENT_REQUEST OTHER")
DeadlineOutcome = StrEnum("DeadlineOutcome", "MET MISSED CANCELLED")  # cancelled: its hearing was
SessionKind = StrEnum("SessionKind", "ACCOMPANIMENT WITNESS_PREPARATION")
Reminder = StrEnum("Reminder", "HEARING_48H HEARING_24H DEADLINE_3D")  # what falls due, when

# Who a letter or a document goes to. Sharing with a recipient that has a consent purpose
# in casework is a disclosure: allowed only on casework's word at that moment.
Recipient = StrEnum("Recipient", "POLICE PROSECUTOR COURT EMBASSY LABOUR_INSPECTION"
                                 " PARTNER_NGO EMPLOYER CLIENT OTHER")
# Each such recipient's purpose is the share purpose named after it (a rename fails here).
SHARE_PURPOSE = {recipient.value: SharePurpose[f"SHARE_WITH_{recipient.name}"].value
                 for recipient in (Recipient.POLICE, Recipient.PROSECUTOR, Recipient.COURT,
                                   Recipient.EMBASSY, Recipient.LABOUR_INSPECTION,
                                   Recipient.PARTNER_NGO)}
# For a recipient of type "other" the lawyer names one of casework's share purposes
# (SharePurpose, shared.vocabulary: the same list casework's consents are given for).
DisclosureStatus = StrEnum("DisclosureStatus", "PENDING MADE CANCELLED")
# Why a pending disclosure was cancelled.
DisclosureCancel = StrEnum("DisclosureCancel", "CONSENT_REVOKED CONSENT_REFUSED CONSENT_NOT_HELD"
                                               " WITHDRAWN CLIENT_ERASED")
DeliveryChannel = StrEnum("DeliveryChannel", "POST EMAIL FAX BY_HAND E_FILING")

# Why someone reads personal data in legal: a code, never free text.
ReadPurpose = StrEnum("ReadPurpose", "LEGAL_PROCEEDINGS CASE_WORK SUPERVISION"
                                     " DATA_SUBJECT_REQUEST OTHER")

CENTRE_TIME_ZONE = "Europe/Warsaw"  # deadlines fall due on the centre's calendar days
