"""Legal's record of one of casework's cases: its reference and caseworker, the consents
casework recorded for it (as casework published them), its matters, the disclosures still
pending, and who read its personal data here.

A pending disclosure is held on this record until it is made or cancelled, and every
consent fact casework publishes is noted on it, so the two are ordered by the record's
version: a revocation noted before a disclosure is prepared refuses it, one noted after
cancels it. The consent view never allows anything by itself -- casework is asked at the
moment of sharing -- it only withdraws: what it knows to be revoked is refused even if
casework's answer was older.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from eventsourcing.domain import event

from services.legal.domain.ids import case_record_id
from services.legal.domain.rules import ConsentNotHeld, code, moment
from services.legal.vocabulary import ANY_RECIPIENT, ReadPurpose
from shared.keyed import OnePerKey
from shared.need_to_know import confirmed_caseworker

Consent = dict[str, Any]


class CaseRecord(OnePerKey):
    key, create_id = "case_id", staticmethod(case_record_id)

    @event("CaseRecordStarted")
    def __init__(self, case_id: str):
        self.case_id = case_id
        self.reference: str | None = None
        self.opened_at: datetime | None = None
        # casework's facts about its caseworker may arrive out of order (a queue per event
        # type): the one from the later case version wins.
        self.caseworker_id: str | None = None
        self.confirmed_caseworker_id: str | None = None
        self.case_versions = {"assigned": 0, "confirmed": 0}
        self.consents: list[dict[str, Any]] = []  # in the order casework recorded them
        self.matter_ids: list[str] = []
        self.pending: dict[str, Consent] = {}  # disclosure id -> the consent it relies on

    # -- what casework tells -----------------------------------------------------------
    def note_opened(self, reference: str, opened_at: datetime) -> bool:
        if self.reference == reference:
            return False
        self._opened(case_id=self.case_id, case_reference=reference,
                     opened_at=moment(opened_at, "opened_at"))
        return True

    @event("CaseOpenedNoted")
    def _opened(self, case_id: str, case_reference: str, opened_at: datetime) -> None:
        # `case_reference` beside `case_id`: how the audit tools tell another service's
        # mention of a case from the case itself (shared/audit_trail/links.py).
        self.reference, self.opened_at = case_reference, opened_at

    def note_caseworker(self, caseworker_id: str | None, case_version: int | None,
                        confirmed: bool) -> bool:
        """Who casework assigned to the case (or confirmed on it), as of `case_version`."""
        kind = "confirmed" if confirmed else "assigned"
        if case_version is not None and case_version <= self.case_versions[kind]:
            return False
        self._caseworker(case_id=self.case_id, caseworker_id=caseworker_id,
                         case_version=case_version, kind=kind)
        return True

    @event("CaseworkerNoted")
    def _caseworker(self, case_id: str, caseworker_id: str | None, case_version: int | None,
                    kind: str) -> None:
        self.case_versions[kind] = case_version or self.case_versions[kind]
        if kind == "confirmed":
            self.confirmed_caseworker_id = caseworker_id
        else:
            self.caseworker_id = caseworker_id

    @property
    def trusted_caseworker(self) -> str | None:
        """The caseworker who gets personal data: assigned, and confirmed by a supervisor."""
        return confirmed_caseworker((self.case_versions["assigned"], self.caseworker_id),
                                    (self.case_versions["confirmed"],
                                     self.confirmed_caseworker_id))

    def note_consent(self, *, purpose: str, recipient: str, decision: str, decided_on: date,
                     expires_on: date | None) -> list[str]:
        """Noted; returns the pending disclosures a refusal now withdraws."""
        self._consent(case_id=self.case_id, purpose=purpose, recipient=recipient,
                      decision=decision, decided_on=decided_on, expires_on=expires_on)
        if decision != "refused":
            return []
        return [d for d, c in self.pending.items() if c["purpose"] == purpose
                and recipient in (ANY_RECIPIENT, c["recipient"], c["shared_with"])]

    @event("ConsentNoted")
    def _consent(self, case_id: str, purpose: str, recipient: str, decision: str,
                 decided_on: date, expires_on: date | None) -> None:
        self.consents.append({"purpose": purpose, "recipient": recipient, "decision": decision,
                              "decided_on": decided_on, "expires_on": expires_on,
                              "revoked_on": None})

    def note_revocation(self, *, purpose: str, recipient: str, revoked_on: date) -> list[str]:
        """Noted; returns the pending disclosures that relied on the revoked consent."""
        self._revoked(case_id=self.case_id, purpose=purpose, recipient=recipient,
                      revoked_on=revoked_on)
        return [d for d, c in self.pending.items()
                if c["purpose"] == purpose and c["recipient"] == recipient]

    @event("ConsentRevocationNoted")
    def _revoked(self, case_id: str, purpose: str, recipient: str, revoked_on: date) -> None:
        # The decision in force on that day: the latest given on or before it.
        for record in reversed(self.consents):
            if (record["purpose"], record["recipient"]) == (purpose, recipient) \
                    and record["decided_on"] <= revoked_on and record["revoked_on"] is None:
                record["revoked_on"] = revoked_on
                return

    def check_not_withdrawn(self, consent: Consent) -> None:
        """Refuse a consent this view already knows to be revoked (casework answered
        before the revocation it published, which arrived here first)."""
        for record in self.consents:
            if (record["purpose"], record["recipient"]) == (consent["purpose"],
                                                            consent["recipient"]) \
                    and record["decided_on"].isoformat() == consent["decided_on"] \
                    and record["revoked_on"] is not None:
                raise ConsentNotHeld(f"the consent for {consent['purpose']} was revoked on"
                                     f" {record['revoked_on'].isoformat()}; nothing was shared")

    # -- what legal does with the case ------------------------------------------------
    def link_matter(self, matter_id: str) -> None:
        if matter_id not in self.matter_ids:
            self._link(case_id=self.case_id, matter_id=matter_id)

    @event("MatterLinked")
    def _link(self, case_id: str, matter_id: str) -> None:
        self.matter_ids.append(matter_id)

    def hold_pending(self, disclosure_id: str, consent: Consent, shared_with: str) -> None:
        self._pending(case_id=self.case_id, disclosure_id=disclosure_id,
                      consent={**consent, "shared_with": shared_with})

    @event("DisclosurePending")
    def _pending(self, case_id: str, disclosure_id: str, consent: Consent) -> None:
        self.pending[disclosure_id] = consent

    def settle(self, disclosure_id: str) -> None:
        if disclosure_id in self.pending:
            self._settle(case_id=self.case_id, disclosure_id=disclosure_id)

    @event("DisclosureSettled")
    def _settle(self, case_id: str, disclosure_id: str) -> None:
        self.pending.pop(disclosure_id, None)

    def record_read(self, *, actor_id: str, role: str, purpose: str, fields: list[str],
                    read_at: datetime) -> None:
        """A read of the case's personal data in legal, logged before the data leaves."""
        self._read(case_id=self.case_id, actor_id=actor_id, role=role,
                   purpose=code(ReadPurpose, purpose, "purpose"), fields=sorted(set(fields)),
                   read_at=moment(read_at, "read_at"))

    @event("PersonalDataRead")
    def _read(self, case_id: str, actor_id: str, role: str, purpose: str, fields: list[str],
              read_at: datetime) -> None:
        pass

    def record_withheld(self, *, actor_id: str, role: str, purpose: str,
                        read_at: datetime) -> None:
        """Someone asked for the case's personal data, with a purpose, and was refused it."""
        self._withheld(case_id=self.case_id, actor_id=actor_id, role=role,
                       purpose=code(ReadPurpose, purpose, "purpose"),
                       read_at=moment(read_at, "read_at"))

    @event("PersonalDataWithheld")
    def _withheld(self, case_id: str, actor_id: str, role: str, purpose: str,
                  read_at: datetime) -> None:
        pass
