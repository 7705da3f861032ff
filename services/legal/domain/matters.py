"""The matter: one legal procedure of a case -- criminal proceedings against traffickers
with the victim's standing, a compensation or labour claim, a residence procedure -- with
its docket, court or authority, stage and outcome, its representation, the contacts with
police, prosecutors and courts, and its deadlines.

Public methods check the rules, then trigger a private `@event` method that only
mutates: replaying old events never re-runs today's rules. Personal data (the caption,
the attorney, what was said in a mediation contact) is sealed under the case's key, the
same subject casework seals the case's own texts under, so erasing the case erases it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.legal.domain.reminders import DEADLINE_REMINDER, deadline_reminder, token
from services.legal.domain.rules import (
    AlreadyDone,
    ClientErased,
    InvalidValue,
    MatterClosed,
    code,
    day,
    moment,
    optional,
    staff,
    text,
)
from services.legal.vocabulary import (
    CRIMINAL_STANDINGS,
    Authority,
    ContactChannel,
    DeadlineKind,
    DeadlineOutcome,
    MatterKind,
    MatterOutcome,
    MatterSource,
    Representation,
    Stage,
    Standing,
)

DETAILS = ("docket_number", "court", "caption", "standing")
MAX_NAME, MAX_CAPTION, MAX_SUMMARY = 200, 500, 5_000


class Matter(Aggregate):
    # The docket number too: it leads to court records naming the client.
    PERSONAL_DATA = {"caption": "case_id", "attorney": "case_id", "summary": "case_id",
                     "texts": "case_id", "docket_number": "case_id"}

    @classmethod
    def open(cls, *, matter_id: UUID, case_id: str, kind: str, source: str,
             opened_at: datetime, standing: str | None = None, lawyer_id: str | None = None,
             request_id: str | None = None) -> Matter:
        kind = code(MatterKind, kind, "kind")
        return cls(id=matter_id, case_id=str(case_id), kind=kind,
                   standing=_standing(kind, standing), source=code(MatterSource, source, "source"),
                   request_id=request_id, lawyer_id=optional(staff, lawyer_id, "lawyer_id"),
                   opened_at=moment(opened_at, "opened_at"))

    @event("MatterOpened")
    def __init__(self, id: UUID, case_id: str, kind: str, standing: str | None,  # noqa: A002
                 source: str, request_id: str | None, lawyer_id: str | None,
                 opened_at: datetime):
        self.case_id, self.kind, self.standing, self.source = case_id, kind, standing, source
        self.request_id, self.lawyer_id, self.opened_at = request_id, lawyer_id, opened_at
        self.docket_number: str | None = None
        self.court: str | None = None
        self.stage = Stage.ASSESSMENT.value
        self.outcome: str | None = None
        self.closed_at: datetime | None = None
        self.representation: dict[str, Any] | None = None
        self.mediation: list[dict[str, Any]] = []
        self.deadlines: dict[str, dict[str, Any]] = {}
        self.texts: dict[str, Any] = {}  # caption, attorney, contact summaries: sealed
        self.erased_at: datetime | None = None
        # Its hearings, as linked when set (a history from before links existed has none:
        # those hearings are in the lawyer's calendar, where a new lawyer's assignment
        # finds them).
        self.hearing_ids: list[str] = []

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def _check_open(self) -> None:
        if not self.is_open:
            raise MatterClosed("the matter is closed")

    # -- details, stage, lawyer ------------------------------------------------------
    def record_details(self, changes: dict[str, Any], recorded_at: datetime) -> bool:
        """Docket number, court or authority, caption, standing: only those given change.
        Once the client is erased, no docket number (it leads to court records naming the
        client) or caption is recorded again."""
        self._check_open()
        if {"docket_number", "caption"} & changes.keys():
            self.check_not_erased()
        new = {"docket_number": optional(text, changes.get("docket_number"), "docket_number",
                                         100),
               "court": optional(text, changes.get("court"), "court", MAX_NAME),
               "caption": optional(text, changes.get("caption"), "caption", MAX_CAPTION),
               "standing": _standing(self.kind, changes.get("standing"))}
        new = {k: v for k, v in new.items() if k in changes}
        if not new:
            return False
        self._details(case_id=self.case_id, recorded_at=moment(recorded_at, "recorded_at"),
                      **{k: new.get(k) for k in DETAILS}, changed=sorted(new))
        return True

    @event("MatterDetailsRecorded")
    def _details(self, case_id: str, recorded_at: datetime, docket_number: str | None,
                 court: str | None, caption: str | None, standing: str | None,
                 changed: list[str]) -> None:
        values = {"docket_number": docket_number, "court": court, "standing": standing}
        for name in changed:
            if name == "caption":
                self.texts["caption"] = caption
            else:
                setattr(self, name, values[name])

    def change_stage(self, stage: str, changed_at: datetime) -> bool:
        self._check_open()
        stage = code(Stage, stage, "stage")
        if stage == self.stage:
            return False
        self._stage(case_id=self.case_id, stage=stage, previous_stage=self.stage,
                    changed_at=moment(changed_at, "changed_at"))
        return True

    @event("MatterStageChanged")
    def _stage(self, case_id: str, stage: str, previous_stage: str,
               changed_at: datetime) -> None:
        self.stage = stage

    def assign_lawyer(self, lawyer_id: str, assigned_at: datetime) -> bool:
        self._check_open()
        lawyer_id = staff(lawyer_id, "lawyer_id")
        if lawyer_id == self.lawyer_id:
            return False
        self._assign(case_id=self.case_id, lawyer_id=lawyer_id,
                     previous_lawyer_id=self.lawyer_id,
                     assigned_at=moment(assigned_at, "assigned_at"))
        return True

    @event("LawyerAssigned")
    def _assign(self, case_id: str, lawyer_id: str, previous_lawyer_id: str | None,
                assigned_at: datetime) -> None:
        self.lawyer_id = lawyer_id

    def link_hearing(self, hearing_id: str) -> None:
        """A hearing set in this matter: it follows the matter's lawyer (assign_lawyer).
        Saved with the hearing, so a hearing set while the lawyer changes is decided on
        one or the other, never lost between them."""
        self._check_open()
        if hearing_id not in self.hearing_ids:
            self._link_hearing(case_id=self.case_id, hearing_id=hearing_id)

    @event("HearingLinked")
    def _link_hearing(self, case_id: str, hearing_id: str) -> None:
        self.hearing_ids.append(hearing_id)

    # -- representation and mediation ------------------------------------------------
    def organise_representation(self, *, attorney: str, representation: str,
                                power_of_attorney_on: date | None, organised_on: date) -> None:
        """Who represents the client (a later arrangement replaces an earlier one)."""
        self._check_open()
        self._represent(case_id=self.case_id, attorney=text(attorney, "attorney", MAX_NAME),
                        representation=code(Representation, representation, "representation"),
                        power_of_attorney_on=optional(day, power_of_attorney_on,
                                                      "power_of_attorney_on"),
                        organised_on=day(organised_on, "organised_on"))

    @event("RepresentationOrganised")
    def _represent(self, case_id: str, attorney: str, representation: str,
                   power_of_attorney_on: date | None, organised_on: date) -> None:
        self.representation = {"representation": representation,
                               "power_of_attorney_on": power_of_attorney_on,
                               "organised_on": organised_on}
        self.texts["attorney"] = attorney

    def record_mediation(self, *, contact_id: str, authority: str, channel: str,
                         contacted_at: datetime, summary: str | None) -> None:
        """A contact with police, a prosecutor or a court on the client's behalf."""
        self._check_open()
        self._mediate(case_id=self.case_id, contact_id=contact_id,
                      authority=code(Authority, authority, "authority"),
                      channel=code(ContactChannel, channel, "channel"),
                      contacted_at=moment(contacted_at, "contacted_at"),
                      summary=optional(text, summary, "summary", MAX_SUMMARY))

    @event("MediationContactRecorded")
    def _mediate(self, case_id: str, contact_id: str, authority: str, channel: str,
                 contacted_at: datetime, summary: str | None) -> None:
        self.mediation.append({"contact_id": contact_id, "authority": authority,
                               "channel": channel, "contacted_at": contacted_at})
        self.texts[f"contact:{contact_id}"] = summary

    # -- deadlines ---------------------------------------------------------------------
    def set_deadline(self, *, deadline_id: str, kind: str, due_on: date, now: datetime,
                     hearing_id: str | None = None, days_before: int | None = None) -> None:
        """A deadline; one derived from a hearing (`days_before` it) moves with it."""
        self._check_open()
        due = day(due_on, "due_on")
        self._set_deadline(case_id=self.case_id, deadline_id=deadline_id,
                           kind=code(DeadlineKind, kind, "kind"), due_on=due,
                           hearing_id=hearing_id, days_before=days_before,
                           remind_at=deadline_reminder(due, now))

    @event("DeadlineSet")
    def _set_deadline(self, case_id: str, deadline_id: str, kind: str, due_on: date,
                      hearing_id: str | None, days_before: int | None,
                      remind_at: datetime | None) -> None:
        self.deadlines[deadline_id] = {"kind": kind, "due_on": due_on, "hearing_id": hearing_id,
                                       "days_before": days_before, "outcome": None,
                                       "reminded": []}

    def _open_deadline(self, deadline_id: str) -> dict[str, Any]:
        found = self.deadlines.get(deadline_id)
        if found is None:
            raise InvalidValue("deadline_id", "no such deadline in this matter")
        if found["outcome"] is not None:
            raise AlreadyDone(f"the deadline is already {found['outcome']}")
        return found

    def move_deadline(self, deadline_id: str, due_on: date, now: datetime) -> bool:
        found = self._open_deadline(deadline_id)
        due = day(due_on, "due_on")
        if due == found["due_on"]:
            return False
        self._move_deadline(case_id=self.case_id, deadline_id=deadline_id, due_on=due,
                            previous_due_on=found["due_on"],
                            remind_at=deadline_reminder(due, now))
        return True

    @event("DeadlineMoved")
    def _move_deadline(self, case_id: str, deadline_id: str, due_on: date,
                       previous_due_on: date, remind_at: datetime | None) -> None:
        self.deadlines[deadline_id]["due_on"] = due_on

    def derived_deadlines(self, hearing_id: str) -> dict[str, int]:
        """{deadline id: days before the hearing} of the open deadlines derived from it."""
        return {deadline_id: d["days_before"] for deadline_id, d in self.deadlines.items()
                if d["hearing_id"] == hearing_id and d["outcome"] is None
                and d["days_before"] is not None}

    def close_deadline(self, deadline_id: str, outcome: str, on: date) -> None:
        found = self._open_deadline(deadline_id)
        outcome = code(DeadlineOutcome, outcome, "outcome")
        self._close_deadline(case_id=self.case_id, deadline_id=deadline_id, outcome=outcome,
                             kind=found["kind"], due_on=found["due_on"], on=day(on, "on"))

    @event("DeadlineClosed")
    def _close_deadline(self, case_id: str, deadline_id: str, outcome: str, kind: str,
                        due_on: date, on: date) -> None:
        self.deadlines[deadline_id]["outcome"] = outcome

    def remind_of_deadline(self, deadline_id: str, reminder: str, for_due_on: str,
                           at: datetime) -> bool:
        """False when nothing is due: the deadline is closed or moved, or reminded already."""
        found = self.deadlines.get(deadline_id)
        if (found is None or found["outcome"] is not None or not self.is_open
                or reminder != DEADLINE_REMINDER or token(found["due_on"]) != for_due_on
                or for_due_on in found["reminded"]):
            return False
        self._remind(case_id=self.case_id, deadline_id=deadline_id, reminder=reminder,
                     kind=found["kind"], due_on=found["due_on"], lawyer_id=self.lawyer_id,
                     reminded_at=at)
        return True

    @event("DeadlineReminderDue")
    def _remind(self, case_id: str, deadline_id: str, reminder: str, kind: str, due_on: date,
                lawyer_id: str | None, reminded_at: datetime) -> None:
        self.deadlines[deadline_id]["reminded"].append(token(due_on))

    # -- closing and erasure -------------------------------------------------------------
    def close(self, outcome: str, closed_at: datetime) -> None:
        self._check_open()
        self._close(case_id=self.case_id, outcome=code(MatterOutcome, outcome, "outcome"),
                    closed_at=moment(closed_at, "closed_at"))

    @event("MatterClosed")
    def _close(self, case_id: str, outcome: str, closed_at: datetime) -> None:
        self.outcome, self.closed_at = outcome, closed_at

    def record_erased(self, erased_at: datetime) -> bool:
        """The case's key is shredded; this records when. Erasing twice changes nothing."""
        if self.erased_at is not None:
            return False
        self._erased(case_id=self.case_id, erased_at=moment(erased_at, "erased_at"))
        return True

    @event("MatterErased")
    def _erased(self, case_id: str, erased_at: datetime) -> None:
        self.erased_at = erased_at

    def check_not_erased(self) -> None:
        """Once the client is erased nothing more goes out about them: no letter drafted,
        sent or shared, no disclosure made or prepared, no docket or caption recorded
        (legal's one check of erasure)."""
        if self.erased_at is not None:
            raise ClientErased(f"the client's personal data was erased on"
                               f" {self.erased_at.date().isoformat()}: nothing more about"
                               " them is drafted, recorded, sent or shared; nothing was"
                               " changed")


def _standing(kind: str, standing: Any) -> str | None:
    if standing is None:
        return None
    standing = code(Standing, standing, "standing")
    if kind == MatterKind.CRIMINAL_PROCEEDINGS and standing not in CRIMINAL_STANDINGS:
        raise InvalidValue("standing", "in criminal proceedings: witness, injured_party or"
                                       " auxiliary_prosecutor")
    return standing
