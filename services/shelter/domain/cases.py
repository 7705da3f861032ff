"""What the shelter knows of a case: its reference and urgency (from casework's CaseOpened),
its caseworker (who may see the address of the shelter their client is placed in, once a
supervisor has confirmed them on the case, as casework decides for the client's own data),
its case group and keep-apart flags, and its stays.

casework's messages arrive on a queue per event type, so out of order: each carries the
case's version, and only a later one changes who the caseworker is.

Keep-apart flags are kept on both cases' files and copied onto their open stays in one
transaction; a new stay reads them from its case file and writes that file too. So a flag
and a placement racing each other always meet on one aggregate: one of them starts again
and sees the other.
"""

from __future__ import annotations

from datetime import datetime

from eventsourcing.domain import Aggregate, event

from services.shelter.domain.ids import case_file_id
from services.shelter.domain.rules import InvalidValue, code, matching, moment
from services.shelter.vocabulary import GROUP_CODE, KeepApartReason, Scope
from shared.need_to_know import confirmed_caseworker


class CaseFile(Aggregate):
    create_id = staticmethod(case_file_id)  # CaseFile(case_id=...): one per case, derived

    @event("CaseFileStarted")
    def __init__(self, case_id: str):
        self.case_id = case_id
        self.reference: str | None = None
        self.urgency: str | None = None
        self.assigned: tuple[int, str | None] = (0, None)  # (case version, caseworker)
        self.confirmed: tuple[int, str | None] = (0, None)
        self.group: str | None = None
        self.apart: dict[str, str] = {}  # other case id -> Scope
        self.stay_ids: list[str] = []
        self.erased = False

    @property
    def caseworker_id(self) -> str | None:
        """The caseworker on the case whom a supervisor confirmed: None while unconfirmed."""
        return confirmed_caseworker(self.assigned, self.confirmed)

    def note_case(self, reference: str, urgency: str, caseworker_id: str | None,
                  version: int) -> bool:
        """casework's CaseOpened; a second delivery changes nothing."""
        if self.reference == reference:
            return False
        # `case_reference` beside `case_id`: how the audit tools tell another service's copy
        # of a reference from the case's own (shared/audit_trail/links.py).
        self._noted(case_id=self.case_id, case_reference=reference, urgency=urgency)
        self.note_caseworker(caseworker_id, version)
        return True

    @event("CaseNoted")
    def _noted(self, case_id: str, case_reference: str, urgency: str) -> None:
        self.reference, self.urgency = case_reference, urgency

    def note_caseworker(self, caseworker_id: str | None, version: int) -> bool:
        if version <= self.assigned[0]:
            return False  # older news than what is known
        self._caseworker(case_id=self.case_id, caseworker_id=caseworker_id, version=version)
        return True

    @event("CaseworkerNoted")
    def _caseworker(self, case_id: str, caseworker_id: str | None, version: int) -> None:
        self.assigned = (version, caseworker_id)

    def note_confirmation(self, caseworker_id: str, version: int) -> bool:
        if version <= self.confirmed[0]:
            return False
        self._confirmed(case_id=self.case_id, caseworker_id=caseworker_id, version=version)
        return True

    @event("CaseworkerConfirmed")
    def _confirmed(self, case_id: str, caseworker_id: str, version: int) -> None:
        self.confirmed = (version, caseworker_id)

    def list_stay(self, stay_id: str) -> None:
        if stay_id not in self.stay_ids:
            self._list_stay(case_id=self.case_id, stay_id=stay_id)

    @event("StayListed")
    def _list_stay(self, case_id: str, stay_id: str) -> None:
        self.stay_ids.append(stay_id)

    def set_group(self, group: str | None, by: str, at: datetime) -> bool:
        group = None if group is None else matching(GROUP_CODE, group, "group")
        if group == self.group:
            return False
        self._group(case_id=self.case_id, group=group, set_by=by, set_at=moment(at, "at"))
        return True

    @event("CaseGroupSet")
    def _group(self, case_id: str, group: str | None, set_by: str, set_at: datetime) -> None:
        self.group = group

    def keep_apart_from(self, other_case_id: str, scope: str, reason: str, by: str,
                        at: datetime) -> bool:
        """Recorded on both files by the application. A wider scope replaces a narrower one;
        the same flag again changes nothing."""
        if other_case_id == self.case_id:
            raise InvalidValue("other_case_id", "must be another case")
        scope = code(Scope, scope, "scope")
        if self.apart.get(other_case_id) in (scope, Scope.SHELTER.value):
            return False
        self._apart(case_id=self.case_id, other_case_id=other_case_id, scope=scope,
                    reason=code(KeepApartReason, reason, "keep_apart_reason"), recorded_by=by,
                    recorded_at=moment(at, "at"))
        return True

    @event("KeepApartRecorded")
    def _apart(self, case_id: str, other_case_id: str, scope: str, reason: str,
               recorded_by: str, recorded_at: datetime) -> None:
        self.apart[other_case_id] = scope

    def erase(self, at: datetime) -> bool:
        if self.erased:
            return False
        self._erase(case_id=self.case_id, erased_at=at)
        return True

    @event("CaseFileErased")
    def _erase(self, case_id: str, erased_at: datetime) -> None:
        self.erased = True
