"""The centre's outreach: consultations with state and local bodies, and prevention work
(trainings, seminars, workshops, meetings, counselling, publications).

No victim's personal data here, by design: institutions, topics, codes and counts --
participants are a number, never names. So nothing is sealed, and every field may reach a
read model and the monthly report.

Pure: no clock reads; the time of recording comes in as an argument. Public methods check
the rules, then a private `@event` method only mutates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.intake.outreach_vocabulary import (
    Audience,
    ConsultationChannel,
    ConsultationOutcome,
    ConsultationTopic,
    FollowUpAction,
    InstitutionType,
    PreventionKind,
    WithdrawalReason,
)
from shared.checks import InvalidValue, RuleBroken, code, moment
from shared.vocabulary import LANGUAGE_CODE

MAX_NAME = 200
MAX_COUNT = 100_000  # participants or copies of one activity: a stadium, not a typo
# Recorded the same day or later; a clock a little ahead on a laptop is not an error.
CLOCK_SKEW = timedelta(minutes=10)


class AlreadyDone(RuleBroken):
    pass


def _name(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        raise InvalidValue(field, f"is required, at most {MAX_NAME} characters")
    return value.strip()


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise InvalidValue(field, f"must be a whole number from 0 to {MAX_COUNT}")
    return value


def _held(held_at: Any, recorded_at: datetime) -> datetime:
    held = moment(held_at, "held_at")
    if held > recorded_at + CLOCK_SKEW:
        raise InvalidValue("held_at", "must not be in the future: record what took place")
    return held


class _OutreachRecord(Aggregate):
    """What both kinds share: a record taken back (withdrawn) stays in the log, out of the
    figures, and nothing more may be done to it."""

    def _check_not_withdrawn(self) -> None:
        if getattr(self, "withdrawn", None) is not None:
            raise AlreadyDone("the record has been withdrawn")

    def _withdrawal(self, reason: str, withdrawn_at: datetime) -> dict[str, Any]:
        self._check_not_withdrawn()
        return {"reason": code(WithdrawalReason, reason, "withdrawal_reason"),
                "withdrawn_at": moment(withdrawn_at, "withdrawn_at")}


class Consultation(_OutreachRecord):
    """A consultation with a public body about work with victims of trafficking."""

    @classmethod
    def record(cls, *, institution: str, institution_type: str, topic: str, outcome: str,
               channel: str, held_at: datetime, recorded_by: str, recorded_at: datetime,
               follow_up_action: str | None = None,
               follow_up_due: datetime | None = None) -> Consultation:
        held = _held(held_at, recorded_at)
        if (follow_up_action is None) != (follow_up_due is None):
            raise InvalidValue("follow_up_due", "a follow-up needs both its action and its"
                                                " due date")
        due = None if follow_up_due is None else moment(follow_up_due, "follow_up_due")
        if due is not None and due < held:
            raise InvalidValue("follow_up_due", "must not be before the consultation")
        return cls(institution=_name(institution, "institution"),
                   institution_type=code(InstitutionType, institution_type, "institution_type"),
                   topic=code(ConsultationTopic, topic, "topic"),
                   outcome=code(ConsultationOutcome, outcome, "outcome"),
                   channel=code(ConsultationChannel, channel, "channel"), held_at=held,
                   follow_up_action=None if follow_up_action is None
                   else code(FollowUpAction, follow_up_action, "follow_up_action"),
                   follow_up_due=due, recorded_by=recorded_by)

    @event("ConsultationRecorded")
    def __init__(self, institution: str, institution_type: str, topic: str, outcome: str,
                 channel: str, held_at: datetime, follow_up_action: str | None,
                 follow_up_due: datetime | None, recorded_by: str):
        self.institution, self.institution_type = institution, institution_type
        self.topic, self.outcome, self.channel = topic, outcome, channel
        self.held_at, self.recorded_by = held_at, recorded_by
        self.follow_up_action, self.follow_up_due = follow_up_action, follow_up_due
        self.follow_up_done_at: datetime | None = None
        self.withdrawn: dict[str, Any] | None = None

    def complete_follow_up(self, done_at: datetime) -> None:
        self._check_not_withdrawn()
        if self.follow_up_action is None:
            raise AlreadyDone("the consultation has no follow-up to complete")
        if self.follow_up_done_at is not None:
            raise AlreadyDone("the follow-up is done already")
        done = moment(done_at, "done_at")
        if done < self.held_at:
            raise InvalidValue("done_at", "must not be before the consultation")
        self._follow_up_done(done_at=done)

    @event("ConsultationFollowUpDone")
    def _follow_up_done(self, done_at: datetime) -> None:
        self.follow_up_done_at = done_at

    def withdraw(self, reason: str, withdrawn_at: datetime) -> None:
        self._withdrawn(**self._withdrawal(reason, withdrawn_at))

    @event("ConsultationWithdrawn")
    def _withdrawn(self, reason: str, withdrawn_at: datetime) -> None:
        self.withdrawn = {"reason": reason, "withdrawn_at": withdrawn_at}


class PreventionActivity(_OutreachRecord):
    """A training, seminar, workshop, meeting, counselling or publication: how many took
    part, how many brochures and leaflets went out."""

    @classmethod
    def record(cls, *, kind: str, title: str, audience: str, held_at: datetime,
               participants: int, materials_distributed: int, language: str,
               recorded_by: str, recorded_at: datetime) -> PreventionActivity:
        if not isinstance(language, str) or not LANGUAGE_CODE.match(language):
            raise InvalidValue("language", "is not an ISO 639-1 language code")
        return cls(kind=code(PreventionKind, kind, "kind"), title=_name(title, "title"),
                   audience=code(Audience, audience, "audience"),
                   held_at=_held(held_at, recorded_at),
                   participants=_count(participants, "participants"),
                   materials_distributed=_count(materials_distributed,
                                                "materials_distributed"),
                   language=language, recorded_by=recorded_by)

    @event("PreventionActivityRecorded")
    def __init__(self, kind: str, title: str, audience: str, held_at: datetime,
                 participants: int, materials_distributed: int, language: str,
                 recorded_by: str):
        self.kind, self.title, self.audience, self.held_at = kind, title, audience, held_at
        self.participants, self.materials_distributed = participants, materials_distributed
        self.language, self.recorded_by = language, recorded_by
        self.withdrawn: dict[str, Any] | None = None

    def withdraw(self, reason: str, withdrawn_at: datetime) -> None:
        self._withdrawn(**self._withdrawal(reason, withdrawn_at))

    @event("PreventionActivityWithdrawn")
    def _withdrawn(self, reason: str, withdrawn_at: datetime) -> None:
        self.withdrawn = {"reason": reason, "withdrawn_at": withdrawn_at}
