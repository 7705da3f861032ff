"""The shelters' vocabularies (DOMAIN.md, shelter): kept as data, so a new value is one
line here and the schemas, the domain checks and the read models follow. Events store the
plain string value, so a value retired from a list still replays.

The isolation reasons, urgency, gender and access purposes are the shared ones casework
uses too (shared.vocabulary): imported, never copied, so a request casework may send is one
the shelter understands.
"""

from __future__ import annotations

from enum import StrEnum

from shared.vocabulary import (  # noqa: F401 - re-exported: the shared vocabularies
    AccessPurpose,
    Gender,
    IsolationReason,
    Urgency,
    values,
)

RoomTag = StrEnum("RoomTag", "ISOLATION ACCESSIBLE FAMILY WOMEN_ONLY MEN_ONLY GROUND_FLOOR")
OutOfServiceReason = StrEnum("OutOfServiceReason", "DEEP_CLEAN COOLING_OFF REPAIR"
                                                   " PEST_CONTROL OTHER")
StayStatus = StrEnum("StayStatus", "WAITING HELD RESIDENT DISCHARGED DECLINED")
Source = StrEnum("Source", "CASEWORK NIGHT_INTAKE")
# Who brought a person to the door at night, before any case exists.
Referrer = StrEnum("Referrer", "POLICE BORDER_GUARD LABOUR_INSPECTION NGO HOSPITAL SELF OTHER")
HoldCancelReason = StrEnum("HoldCancelReason", "PERSON_NOT_COMING PLACED_ELSEWHERE"
                                               " LOCATION_COMPROMISED OTHER")
MoveReason = StrEnum("MoveReason", "RESIDENT_REQUEST KEEP_APART ISOLATION_CHANGE"
                                   " ROOM_OUT_OF_SERVICE LOCATION_COMPROMISED OTHER")
DischargeReason = StrEnum("DischargeReason", "INDEPENDENT_LIVING REPATRIATED"
                                             " REFERRED_ELSEWHERE LEFT_VOLUNTARILY"
                                             " RULES_BREACH HOSPITALISED OTHER")
DeclineReason = StrEnum("DeclineReason", "NO_SUITABLE_BED NOT_ELIGIBLE SAFETY_RISK"
                                         " CLIENT_DECLINED PLACED_ELSEWHERE WITHDRAWN OTHER")
Provision = StrEnum("Provision", "FOOD CLOTHING HYGIENE MEDICINE PHONE_CARD")
IncidentKind = StrEnum("IncidentKind", "LOCATION_COMPROMISED THREAT_RECEIVED INTRUSION_ATTEMPT"
                                       " VIOLENCE_BETWEEN_RESIDENTS MISSING_RESIDENT"
                                       " SUBSTANCE_ABUSE MEDICAL_EMERGENCY OTHER")
Severity = StrEnum("Severity", "LOW MEDIUM HIGH CRITICAL")
KeepApartReason = StrEnum("KeepApartReason", "SAME_CASE_GROUP SUSPECTED_RECRUITER"
                                             " FORMER_EXPLOITER CONFLICT OTHER")


class Scope(StrEnum):
    """How far apart two people are kept: never in one room, or never in one shelter."""

    ROOM = "room"
    SHELTER = "shelter"


IsolationDecision = StrEnum("IsolationDecision", "CONTINUE END")

# Urgency orders the waiting list: emergency first, then the longest wait.
PRIORITY_ORDER = {Urgency.EMERGENCY.value: 0, Urgency.URGENT.value: 1,
                  Urgency.ROUTINE.value: 2}
# Until staff set their own: how long isolation may last and when it is first reviewed.
ISOLATION_DEFAULTS = {IsolationReason.HEALTH.value: {"max_days": 14, "review_after_days": 3},
                      IsolationReason.SAFETY.value: {"max_days": 30, "review_after_days": 7}}
WOMEN = frozenset({Gender.FEMALE.value, Gender.TRANSGENDER_FEMALE.value})
MEN = frozenset({Gender.MALE.value, Gender.TRANSGENDER_MALE.value})
# A code a staff member gives a group of people who arrived together (a police operation),
# or a caseworker gives related cases: letters, digits, - and _, never a name.
GROUP_CODE = r"\A[A-Za-z0-9][A-Za-z0-9_-]{0,39}\Z"
SHELTER_CODE = r"\A[A-Z0-9][A-Z0-9-]{0,15}\Z"
