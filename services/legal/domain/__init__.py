"""Legal's domain: matters, hearings, staff calendars and sessions, letters, disclosures
and legal's record of each case. Pure: no nameko, no marshmallow, no database, no clock."""

from services.legal.domain.calendar import Session, StaffCalendar
from services.legal.domain.cases import CaseRecord
from services.legal.domain.hearings import Hearing
from services.legal.domain.letters import Disclosure, Letter
from services.legal.domain.matters import Matter

__all__ = ["CaseRecord", "Disclosure", "Hearing", "Letter", "Matter", "Session",
           "StaffCalendar"]
