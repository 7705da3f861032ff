"""The shelters' domain: shelters and their beds, stays, the shelter's file on a case, the
list of shelters and the log of reads. Pure: no nameko, no marshmallow, no database, no
clock reads -- times and new ids come in as arguments."""

from services.shelter.domain.access import AccessLog
from services.shelter.domain.cases import CaseFile
from services.shelter.domain.placing import Placed
from services.shelter.domain.registry import ShelterRegistry
from services.shelter.domain.shelters import Shelter
from services.shelter.domain.stays import Stay

__all__ = ["AccessLog", "CaseFile", "Placed", "Shelter", "ShelterRegistry", "Stay"]
