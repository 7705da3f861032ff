"""Vocabularies every service shares (DOMAIN.md): HTCDS 2.0 values and code shapes.

Kept as data (enums), so a new value is one line here and every service's schemas,
domain checks and OpenAPI document follow.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

Urgency = StrEnum("Urgency", "EMERGENCY URGENT ROUTINE")


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


IdentityDocument = StrEnum("IdentityDocument", "PASSPORT NATIONAL_ID RESIDENCE_PERMIT VISA"
                                               " DRIVING_LICENCE BIRTH_CERTIFICATE OTHER")


class ChangeReason(StrEnum):
    """Why a command changed a record: stored in clear with every event for auditors, so a
    code; any detail goes in `reason_detail`, sealed under the person it concerns."""

    CLIENT_REQUEST = "client_request"
    NEW_INFORMATION = "new_information"
    CORRECTION = "correction"
    DUPLICATE_RECORD = "duplicate_record"
    SAFEGUARDING = "safeguarding"
    LEGAL_OBLIGATION = "legal_obligation"
    COURT_ORDER = "court_order"
    SUPERVISION = "supervision"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    DATA_QUALITY = "data_quality"
    DEMO_DATA = "demo_data"  # generated records of `make dev`, never real people
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


# Why someone was given emergency ("break-the-glass") access to a person's data.
EmergencyReason = StrEnum("EmergencyReason", "IMMINENT_DANGER MEDICAL_EMERGENCY"
                                             " MISSING_PERSON POLICE_REQUEST OTHER")


# -- between services: what one asks of another, so one list for both sides ---------------
# A legal matter casework asks legal to open (each kind opens a matter there).
LegalMatter = StrEnum("LegalMatter", "CRIMINAL_PROCEEDINGS COMPENSATION_CLAIM LABOUR_CLAIM"
                                     " RESIDENCE_PROCEDURE OTHER")
# Why casework asks a shelter to isolate the person it places.
IsolationReason = StrEnum("IsolationReason", "HEALTH SAFETY")
ANY_RECIPIENT = "any"  # a consent for every recipient of its purpose
# What a person consents to: casework records it, legal acts on it (ConsentRecorded, may
# share?). The share purposes are what a disclosure in legal names and the recipients the
# record of processing lists: one list, that both enums are built from. Final strings, so
# that mypy knows every member.
_SHARE_PURPOSES: Final = ("SHARE_WITH_POLICE SHARE_WITH_PROSECUTOR SHARE_WITH_COURT"
                          " SHARE_WITH_PARTNER_NGO SHARE_WITH_EMBASSY SHARE_WITH_SHELTER"
                          " SHARE_WITH_MEDICAL_PROVIDER SHARE_WITH_LABOUR_INSPECTION"
                          " SHARE_WITH_FAMILY")
_CONSENT_PURPOSES: Final = "DATA_PROCESSING " + _SHARE_PURPOSES + " PHOTO_OR_MEDIA RESEARCH"
SharePurpose = StrEnum("SharePurpose", _SHARE_PURPOSES)
ConsentPurpose = StrEnum("ConsentPurpose", _CONSENT_PURPOSES)


# Shapes only, whole-string (\A...\Z: "$" would let a trailing newline through). The
# full ISO lists change and are not worth a dependency; casework checks countries
# against its continent table.
LANGUAGE_CODE = re.compile(r"\A[a-z]{2}\Z")  # ISO 639-1
COUNTRY_CODE = re.compile(r"\A[A-Z]{2}\Z")  # ISO 3166-1 alpha-2
# A staff member's user id (as tokens carry it) or a partner's code: no spaces, no control
# characters -- they are kept in clear, in read models too. Never an e-mail address ("@"):
# notifications mails a member of staff at the centre's own domain, so an id assigned to
# a case must not be able to send the case's alerts out of the organisation.
STAFF_ID = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}\Z")
# A recipient is a code ("police", "embassy-ua", an organisation id), never a name in free text.
RECIPIENT_CODE = re.compile(r"\A[a-z0-9][a-z0-9_.:-]{0,63}\Z")
MAX_LANGUAGES = 20  # languages a person speaks: enough for anyone, bounded on every side


def values(vocabulary: type[StrEnum]) -> list[str]:
    return [member.value for member in vocabulary]
