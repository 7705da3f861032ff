"""The helpline's domain: contacts, missed calls and shifts.

Pure: no clock reads and no I/O; times, and the referred person's subject id,
come in as arguments. Public methods check the rules and then trigger a private
`@event` method that only mutates, so replaying old events never re-runs
today's rules against yesterday's facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.intake.rules import (
    REFERRABLE,
    AlreadyReferred,
    CallbackAlreadyDone,
    ContactClosed,
    InvalidValue,
    LinkedToAnotherCase,
    ReferralNotWarranted,
    ShiftAlreadyEnded,
    code,
    moment,
    not_before,
    pattern,
)
from services.intake.vocabulary import (
    LANGUAGE_CODE,
    Assessment,
    CallerType,
    Channel,
    Direction,
    Exploitation,
    Gender,
    Indicator,
    Outcome,
    Topic,
    Urgency,
)
from shared.checks import country
from shared.checks import languages as checked_languages
from shared.person import birth_year_of, checked_person

__all__ = ["Contact", "MissedCall", "Referral", "Screening", "Shift"]


@dataclass(frozen=True)
class Screening:
    indicators: tuple[str, ...]
    assessment: str
    screened_at: datetime


@dataclass(frozen=True)
class Referral:
    """The referral's categories. The person's details are not here but on the
    contact itself (`person`), where the PERSONAL_DATA declaration seals them in
    snapshots too."""

    person_subject_id: str
    blind_index: str
    birth_year: int | None
    gender: str
    citizenship: str | None
    languages: tuple[str, ...]
    exploitation_types: tuple[str, ...]
    urgency: str
    referred_at: datetime


# -- contact -----------------------------------------------------------------
class Contact(Aggregate):
    """One conversation with the helpline, on any channel."""

    PERSONAL_DATA = {"summary": "id", "callback_contact": "id", "person": "person_subject_id",
                     "blind_index": "person_subject_id"}

    @classmethod
    def log(cls, *, channel: str, direction: str, started_at: datetime, language: str,
            caller_type: str, topic: str, urgency: str, operator_id: str,
            interpreter_used: bool = False, ended_at: datetime | None = None,
            summary: str | None = None, callback_contact: str | None = None) -> Contact:
        started = moment(started_at, "started_at")
        return cls(
            channel=code(Channel, channel, "channel"),
            direction=code(Direction, direction, "direction"),
            started_at=started,
            ended_at=None if ended_at is None else not_before(ended_at, started, "ended_at"),
            language=pattern(LANGUAGE_CODE, language, "language"),
            interpreter_used=bool(interpreter_used),
            caller_type=code(CallerType, caller_type, "caller_type"),
            topic=code(Topic, topic, "topic"),
            urgency=code(Urgency, urgency, "urgency"),
            operator_id=operator_id, summary=summary, callback_contact=callback_contact)

    @event("ContactLogged")
    def __init__(self, channel: str, direction: str, started_at: datetime,
                 ended_at: datetime | None, language: str, interpreter_used: bool,
                 caller_type: str, topic: str, urgency: str, operator_id: str,
                 summary: str | None, callback_contact: str | None):
        self.channel, self.direction, self.language = channel, direction, language
        self.started_at, self.ended_at = started_at, ended_at
        self.interpreter_used, self.caller_type = interpreter_used, caller_type
        self.topic, self.urgency, self.operator_id = topic, urgency, operator_id
        self.summary, self.callback_contact = summary, callback_contact
        self.screening: Screening | None = None
        self.outcome: str | None = None
        self.referral: Referral | None = None
        self.person: Any = None
        self.person_subject_id: str | None = None
        self.case_id: str | None = None
        self.case_reference: str | None = None

    @property
    def closed(self) -> bool:
        return self.outcome is not None

    @property
    def duration_seconds(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((self.ended_at - self.started_at).total_seconds())

    def _check_open(self) -> None:
        if self.closed:
            raise ContactClosed("the contact is closed")

    def screen(self, indicators: list[str], assessment: str, screened_at: datetime) -> None:
        """Record what the operator observed; a later screening supersedes an earlier one."""
        self._check_open()
        seen = {code(Indicator, i, "indicators") for i in indicators}
        self._screen(indicators=[i.value for i in Indicator if i.value in seen],
                     assessment=code(Assessment, assessment, "assessment"),
                     screened_at=not_before(screened_at, self.started_at, "screened_at"))

    @event("ContactScreened")
    def _screen(self, indicators: list[str], assessment: str, screened_at: datetime) -> None:
        self.screening = Screening(tuple(indicators), assessment, screened_at)

    def close(self, outcome: str, ended_at: datetime) -> None:
        self._check_open()
        outcome = code(Outcome, outcome, "outcome")
        if outcome == Outcome.REFERRED_TO_CASEWORK and self.referral is None:
            raise ReferralNotWarranted("refer the person to casework before closing with"
                                       " outcome referred_to_casework")
        self._close(outcome=outcome, ended_at=not_before(ended_at, self.started_at, "ended_at"))

    @event("ContactClosed")
    def _close(self, outcome: str, ended_at: datetime) -> None:
        self.outcome, self.ended_at = outcome, ended_at

    def refer_to_casework(self, *, person_subject_id: str, person: dict[str, Any],
                          blind_index: str, birth_year: int | None, gender: str,
                          citizenship: str | None, languages: list[str],
                          exploitation_types: list[str], urgency: str | None,
                          referred_at: datetime) -> None:
        """Hand the person to casework: one referral per contact, after a screening that
        did not rule trafficking out, while the contact is still open."""
        self._check_open()
        if self.referral is not None:
            raise AlreadyReferred("this contact has already been referred to casework")
        if self.screening is None or self.screening.assessment not in REFERRABLE:
            raise ReferralNotWarranted("a referral needs a screening that assessed the person"
                                       " as presumed_victim or unclear")
        person = checked_person(person, prefix="person.")
        year = birth_year_of(person.get("birth_date"), birth_year, referred_at.date())
        self._refer(
            person_subject_id=person_subject_id, person=person, blind_index=blind_index,
            birth_year=year, gender=code(Gender, gender, "gender"),
            citizenship=None if citizenship is None else country(citizenship, "citizenship"),
            languages=checked_languages(languages),
            exploitation_types=[code(Exploitation, e, "exploitation_types")
                                for e in exploitation_types],
            urgency=code(Urgency, urgency or self.urgency, "urgency"),
            referred_at=not_before(referred_at, self.started_at, "referred_at"),
            assessment=self.screening.assessment, indicators=list(self.screening.indicators))

    @event("ReferredToCasework")
    def _refer(self, person_subject_id: str, person: Any, blind_index: str,
               birth_year: int | None, gender: str, citizenship: str | None,
               languages: list[str], exploitation_types: list[str], urgency: str,
               referred_at: datetime, assessment: str, indicators: list[str]) -> None:
        self.person, self.person_subject_id = person, person_subject_id
        self.referral = Referral(person_subject_id, blind_index, birth_year, gender,
                                 citizenship, tuple(languages), tuple(exploitation_types),
                                 urgency, referred_at)

    def link_to_case(self, case_id: str, case_reference: str | None) -> bool:
        """Allowed on a closed contact too: casework answers after the call has ended.
        Linking again to the same case changes nothing (a redelivered message is harmless)."""
        if self.case_id == case_id:
            return False
        if self.case_id is not None:
            raise LinkedToAnotherCase(f"the contact is already linked to case {self.case_id};"
                                      " a supervisor corrects a wrong link")
        self._link(case_id=case_id, case_reference=case_reference)
        return True

    @event("ContactLinkedToCase")
    def _link(self, case_id: str, case_reference: str | None) -> None:
        self.case_id, self.case_reference = case_id, case_reference

    def correct_link(self, case_id: str, case_reference: str | None) -> bool:
        """Link to another case than before: a supervisor correcting a wrong link, or the
        case casework opened from this contact's own referral. False if already so."""
        if self.case_id == case_id:
            return False
        self._correct_link(case_id=case_id, case_reference=case_reference,
                           previous_case_id=self.case_id)
        return True

    @event("ContactLinkCorrected")
    def _correct_link(self, case_id: str, case_reference: str | None,
                      previous_case_id: str | None) -> None:
        self.case_id, self.case_reference = case_id, case_reference

    @property
    def missed_calls_answered(self) -> list[str]:
        return list(getattr(self, "_answered", []))

    def answer_missed_call(self, missed_call_id: str) -> None:
        """This contact was the callback of a missed call. Remembered here so that erasing
        the person erases the number they left then (sealed under the missed call)."""
        if missed_call_id not in self.missed_calls_answered:
            self._answer(missed_call_id=missed_call_id)

    @event("MissedCallAnswered")
    def _answer(self, missed_call_id: str) -> None:
        self._answered = [*self.missed_calls_answered, missed_call_id]

    def erase(self, erased_at: datetime) -> bool:
        """The person the contact was about was erased in casework. The key of the
        contact's own personal data is shredded by the application; this records that
        it happened, and when. Erasing twice changes nothing."""
        if getattr(self, "erased_at", None) is not None:
            return False
        self._erase(erased_at=erased_at)
        return True

    @event("ContactErased")
    def _erase(self, erased_at: datetime) -> None:
        self.erased_at = erased_at


# -- missed calls ----------------------------------------------------------
class MissedCall(Aggregate):
    """An unanswered call or message: a callback task until someone calls back."""

    PERSONAL_DATA = {"callback_contact": "id"}

    @classmethod
    def record(cls, *, channel: str, missed_at: datetime,
               callback_contact: str | None = None) -> MissedCall:
        return cls(channel=code(Channel, channel, "channel"),
                   missed_at=moment(missed_at, "missed_at"), callback_contact=callback_contact)

    @event("CallMissed")
    def __init__(self, channel: str, missed_at: datetime, callback_contact: str | None):
        self.channel, self.missed_at = channel, missed_at
        self.callback_contact = callback_contact
        self.contact_id: str | None = None
        self.done_at: datetime | None = None

    def complete(self, contact_id: str, done_at: datetime) -> None:
        """The callback happened and was logged as contact `contact_id`."""
        if self.contact_id is not None:
            raise CallbackAlreadyDone("the callback has already been done")
        self._complete(contact_id=contact_id,
                       done_at=not_before(done_at, self.missed_at, "done_at"))

    @event("CallbackDone")
    def _complete(self, contact_id: str, done_at: datetime) -> None:
        self.contact_id, self.done_at = contact_id, done_at


# -- shifts ----------------------------------------------------------------
class Shift(Aggregate):
    """One operator on duty at the 24/7 helpline, from start to end."""

    @classmethod
    def start(cls, *, operator_id: str, started_at: datetime) -> Shift:
        if not operator_id:
            raise InvalidValue("operator_id", "is required")
        return cls(operator_id=operator_id, started_at=moment(started_at, "started_at"))

    @event("ShiftStarted")
    def __init__(self, operator_id: str, started_at: datetime):
        self.operator_id, self.started_at = operator_id, started_at
        self.ended_at: datetime | None = None

    def end(self, ended_at: datetime) -> None:
        if self.ended_at is not None:
            raise ShiftAlreadyEnded("the shift has already ended")
        # operator_id travels with the event so consumers need not remember the start.
        self._end(operator_id=self.operator_id,
                  ended_at=not_before(ended_at, self.started_at, "ended_at"))

    @event("ShiftEnded")
    def _end(self, operator_id: str, ended_at: datetime) -> None:
        self.ended_at = ended_at
