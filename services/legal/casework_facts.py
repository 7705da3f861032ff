"""Legal's policies for casework's facts: the case's reference and caseworker, the
client's consents (a revocation, or a refusal, cancels the disclosures still pending on
it) and erasure. Each runs once per message: its effects and the message's tracking row
are saved in one transaction, retried from fresh state on a concurrent change.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.persistence import Tracking

from services.legal.domain import CaseRecord, Matter
from services.legal.domain.ids import case_record_id
from services.legal.sharing import Sharing
from shared.consumers import policy_context
from shared.messaging import Envelope

Fields = dict[str, Any]


class CaseworkFacts(Sharing):
    def _note(self, data: Fields, envelope: Envelope, tracking: Tracking, command: str,
              note: Callable[[CaseRecord], Any]) -> None:
        """Note a fact on legal's record of the case (with whatever `note` changes too)."""
        ctx = policy_context(envelope, self.name, command)

        def attempt() -> None:
            case = self.case_record(data["case_id"])
            noted = note(case)
            more = noted if isinstance(noted, list) else []
            if case.pending_events or more:
                self.save(case, *more, ctx=ctx, tracking=tracking)

        self.retrying(attempt, tracking)

    def note_case_opened(self, data: Fields, envelope: Envelope, tracking: Tracking) -> None:
        """casework's CaseOpened: the case's reference (for letters and lists), and who
        works on it."""
        def note(case: CaseRecord) -> None:
            case.note_opened(data["reference"], data["opened_at"])
            case.note_caseworker(data["caseworker_id"], data.get("version"), confirmed=False)

        self._note(data, envelope, tracking, "note_case_opened", note)

    def note_caseworker(self, data: Fields, envelope: Envelope, tracking: Tracking) -> None:
        """casework's CaseworkerAssigned: whose cases a caseworker's lists show."""
        self._note(data, envelope, tracking, "note_caseworker", lambda case: case.note_caseworker(
            data["caseworker_id"], data.get("version"), confirmed=False))

    def note_assignment_confirmed(self, data: Fields, envelope: Envelope,
                                  tracking: Tracking) -> None:
        """casework's AssignmentConfirmed: the caseworker now gets the case's personal data
        in legal too."""
        self._note(data, envelope, tracking, "note_assignment_confirmed",
                   lambda case: case.note_caseworker(data["caseworker_id"], data.get("version"),
                                                     confirmed=True))

    def note_consent(self, data: Fields, envelope: Envelope, tracking: Tracking) -> None:
        """casework's ConsentRecorded: a refusal withdraws what is pending for it."""
        now = self.clock()
        self._note(data, envelope, tracking, "note_consent", lambda case: self.cancel_pending(
            case, case.note_consent(purpose=data["purpose"], recipient=data["recipient"],
                                    decision=data["decision"], decided_on=data["decided_on"],
                                    expires_on=data["expires_on"]), "consent_refused", now))

    def note_revocation(self, data: Fields, envelope: Envelope, tracking: Tracking) -> None:
        """casework's ConsentRevoked: the disclosures still pending on it are cancelled."""
        now = self.clock()
        self._note(data, envelope, tracking, "note_revocation", lambda case: self.cancel_pending(
            case, case.note_revocation(purpose=data["purpose"], recipient=data["recipient"],
                                       revoked_on=data["revoked_on"]), "consent_revoked", now))

    def erase_erased_cases(self, data: Fields, envelope: Envelope, tracking: Tracking) -> None:
        """casework's SubjectErased: legal sealed the cases' personal data under each case's
        key; the keys are shredded first (shredding twice is harmless, so a crash before
        the save is simply retried), then the erasure is recorded and what was pending
        cancelled."""
        for case_id in data["case_ids"]:
            self.vault.shred(str(case_id))
        ctx = policy_context(envelope, self.name, "erase_case")
        now = self.clock()

        def attempt() -> None:
            changed: list[Any] = []
            for case_id in data["case_ids"]:
                case = self.find(CaseRecord, case_record_id(case_id), sealed=True)
                if case is None:
                    continue  # legal never worked on it: its key is shredded all the same
                matters = [self.load(Matter, m, sealed=True) for m in case.matter_ids]
                changed += [case, *[m for m in matters if m.record_erased(now)],
                            *self.cancel_pending(case, list(case.pending), "client_erased", now)]
            if any(aggregate.pending_events for aggregate in changed):
                self.save(*changed, ctx=ctx, tracking=tracking)

        self.retrying(attempt, tracking)
