"""casework's facts, as the shelters need them: a case's reference and urgency, who its
caseworker is (they may see the address of the shelter their client is placed in), and
its erasure. The caseworker counts once a supervisor has confirmed them on the case, as in
casework itself.

Erasure: the keys the shelters sealed the person's data under (each stay's own, and those
of incident notes naming them) are shredded first -- a crash before the save is retried,
and shredding twice is harmless -- then the stays and the case's file record it. The
stays' dates, beds and codes stay: they are the census the funders are owed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import Tracking

from services.shelter.domain import CaseFile
from services.shelter.store import ShelterStore
from shared.consumers import policy_context
from shared.messaging import Envelope

Fields = dict[str, Any]


class Cases(ShelterStore):
    def note_opened_case(self, case: Fields, envelope: Envelope, tracking: Tracking) -> None:
        """casework's CaseOpened: the reference staff see, the urgency that orders the list."""
        self._note(case, envelope, tracking, "note_case", lambda found: found.note_case(
            case["reference"], case["urgency"], case["caseworker_id"], case["version"]))

    def note_caseworker(self, assigned: Fields, envelope: Envelope, tracking: Tracking) -> None:
        """casework's CaseworkerAssigned: the previous caseworker no longer sees where their
        client was; the new one does once confirmed."""
        self._note(assigned, envelope, tracking, "note_caseworker",
                   lambda found: found.note_caseworker(assigned["caseworker_id"],
                                                       assigned["version"]))

    def note_confirmation(self, confirmed: Fields, envelope: Envelope,
                          tracking: Tracking) -> None:
        """casework's AssignmentConfirmed: a supervisor confirmed the caseworker."""
        self._note(confirmed, envelope, tracking, "note_confirmation",
                   lambda found: found.note_confirmation(confirmed["caseworker_id"],
                                                         confirmed["version"]))

    def _note(self, data: Fields, envelope: Envelope, tracking: Tracking, command: str,
              change: Callable[[CaseFile], Any]) -> None:
        case_id = str(data["case_id"])

        def attempt() -> None:
            found = self.case_file(case_id) or CaseFile(case_id=case_id)
            change(found)
            self.save(found, ctx=policy_context(envelope, self.name, command),
                      tracking=tracking)

        self.retrying(attempt, tracking)

    def erase_subject(self, erased: Fields, envelope: Envelope, tracking: Tracking) -> None:
        """casework's SubjectErased: what the shelters kept of the person goes with them."""
        ctx = policy_context(envelope, self.name, "erase_subject")
        files = [found for case_id in erased["case_ids"]
                 if (found := self.case_file(str(case_id))) is not None]
        for found in files:
            for stay in (self.stay(stay_id) for stay_id in found.stay_ids):
                for subject in (str(stay.id), *stay.incident_ids):
                    self.vault.shred(subject)

        def attempt() -> None:
            now, changed = self.clock(), list[Any]()
            for found in (self.case_file(f.case_id) for f in files):
                assert found is not None
                stays = [self.stay(stay_id) for stay_id in found.stay_ids]
                changed += [s for s in stays if s.erase(now)]
                if found.erase(now):
                    changed.append(found)
            if changed:
                self.save(*changed, ctx=ctx, tracking=tracking)

        self.retrying(attempt, tracking)
