"""Casework's domain: clients, cases, case numbering, the client index and the access log.

Pure: no nameko, no marshmallow, no database, no clock reads.
"""

from services.casework.domain.access import AccessLog
from services.casework.domain.cases import Case
from services.casework.domain.clients import Client
from services.casework.domain.numbering import CaseNumbering

__all__ = ["AccessLog", "Case", "CaseNumbering", "Client"]
