"""What notifications knows of the rest of the centre, to decide whom to tell: a case's
reference and caseworker (and whether a supervisor confirmed them), who is at the
helpline desk, who is on call, which dead-letter queues hold messages, which webhook
targets are gone.

Facts from other services arrive on separate queues, so in any order: each is kept with
its own time (a case's, with casework's version of the case), and an older one never
overwrites a newer. Pure: times come in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.notifications.domain.errors import InvalidValue, OnCallEnded
from services.notifications.domain.ids import case_file_id, desk_shift_id, target_id, watch_id
from shared.checks import moment
from shared.keyed import OnePerKey
from shared.need_to_know import Versioned, confirmed_caseworker

LONGEST_ON_CALL = timedelta(days=7)  # a longer stretch is a typo, not a roster


class CaseFile(OnePerKey):
    """A case as casework announced it: its reference, its current caseworker (whom the
    case's alerts tell) and whether a supervisor confirmed that caseworker on the case.
    Only a confirmed caseworker (and supervisors) may acknowledge the case's alerts: taking
    an unassigned case waits for a supervisor, here as in casework.

    casework's facts arrive on a queue per event type, so out of order: each carries the
    case's version, and only a later one changes what is known. A case file noted before
    versions were kept (CaseOpenedNoted, CaseworkerNoted) replays as version 0, and no
    confirmation was noted then: any fact that carries a version is newer."""

    key, create_id = "case_id", staticmethod(case_file_id)

    @event("CaseFileStarted")
    def __init__(self, case_id: str):
        self.case_id = case_id
        self.reference: str | None = None
        self.assigned: Versioned = (0, None)  # (case version in casework, caseworker)
        self.confirmed: Versioned = (0, None)
        self.assigned_at: datetime | None = None  # kept by the events before versions

    @property
    def caseworker_id(self) -> str | None:
        """The caseworker on the case, confirmed or not: whom its alerts tell."""
        return self.assigned[1]

    @property
    def confirmed_caseworker_id(self) -> str | None:
        """The caseworker a supervisor confirmed on the case (shared.need_to_know): the
        one, besides supervisors, who may acknowledge its alerts. None while pending."""
        return confirmed_caseworker(self.assigned, self.confirmed)

    def note_opened(self, reference: str, caseworker_id: str | None, opened_at: datetime,
                    version: int) -> bool:
        """casework's CaseOpened; a second delivery changes nothing."""
        if self.reference is not None:
            return False
        self._opening_noted(case_id=self.case_id, case_reference=reference,
                            opened_at=moment(opened_at, "opened_at"),
                            caseworker_id=caseworker_id, version=version)
        return True

    @event("CaseOpeningNoted")
    def _opening_noted(self, case_id: str, case_reference: str, opened_at: datetime,
                       caseworker_id: str | None, version: int) -> None:
        self.reference = case_reference
        if version > self.assigned[0]:  # an assignment that came first is newer
            self.assigned = (version, caseworker_id)

    def note_assigned(self, caseworker_id: str, assigned_at: datetime, version: int) -> bool:
        """casework's CaseworkerAssigned: older news than what is known changes nothing."""
        if version <= self.assigned[0]:
            return False
        self._assignment_noted(case_id=self.case_id, caseworker_id=caseworker_id,
                               assigned_at=moment(assigned_at, "assigned_at"), version=version)
        return True

    @event("CaseworkerAssignmentNoted")
    def _assignment_noted(self, case_id: str, caseworker_id: str, assigned_at: datetime,
                          version: int) -> None:
        self.assigned, self.assigned_at = (version, caseworker_id), assigned_at

    def note_confirmed(self, caseworker_id: str, confirmed_at: datetime, version: int) -> bool:
        """casework's AssignmentConfirmed: a supervisor confirmed `caseworker_id`."""
        if version <= self.confirmed[0]:
            return False
        self._confirmation_noted(case_id=self.case_id, caseworker_id=caseworker_id,
                                 confirmed_at=moment(confirmed_at, "confirmed_at"),
                                 version=version)
        return True

    @event("CaseworkerConfirmationNoted")
    def _confirmation_noted(self, case_id: str, caseworker_id: str, confirmed_at: datetime,
                            version: int) -> None:
        self.confirmed = (version, caseworker_id)

    # -- stored before casework's versions were kept: replayed, no longer recorded ----------
    @event("CaseOpenedNoted")
    def _opened(self, reference: str, opened_at: datetime, caseworker_id: str | None) -> None:
        self.reference, self.assigned = reference, (0, caseworker_id)

    @event("CaseworkerNoted")
    def _assigned(self, caseworker_id: str, assigned_at: datetime) -> None:
        self.assigned, self.assigned_at = (0, caseworker_id), assigned_at


class DeskShift(Aggregate):
    """An operator's shift at the helpline desk, from intake's ShiftStarted and ShiftEnded."""

    @classmethod
    def start(cls, shift_id: str, operator_id: str) -> DeskShift:
        return cls(id=desk_shift_id(shift_id), shift_id=shift_id, operator_id=operator_id)

    @event("DeskShiftNoted")
    def __init__(self, id: UUID, shift_id: str, operator_id: str):  # noqa: A002
        self.shift_id, self.operator_id = shift_id, operator_id
        self.started_at: datetime | None = None
        self.ended_at: datetime | None = None

    def note(self, *, started_at: datetime | None = None,
             ended_at: datetime | None = None) -> bool:
        """A start or an end not known before (each arrives once, in either order)."""
        started, ended = self.started_at or started_at, self.ended_at or ended_at
        if (started, ended) == (self.started_at, self.ended_at):
            return False
        self._times(started_at=started, ended_at=ended)
        return True

    @event("DeskShiftTimesNoted")
    def _times(self, started_at: datetime | None, ended_at: datetime | None) -> None:
        self.started_at, self.ended_at = started_at, ended_at


class OnCallShift(Aggregate):
    """A caseworker on call for emergencies, put on the roster by a supervisor."""

    @classmethod
    def put(cls, *, user_id: str, starts_at: datetime, ends_at: datetime) -> OnCallShift:
        starts, ends = moment(starts_at, "starts_at"), moment(ends_at, "ends_at")
        if ends <= starts:
            raise InvalidValue("ends_at", "must be after starts_at")
        if ends - starts > LONGEST_ON_CALL:
            raise InvalidValue("ends_at", "an on-call shift lasts at most 7 days")
        return cls(user_id=user_id, starts_at=starts, ends_at=ends)

    @event("OnCallScheduled")
    def __init__(self, user_id: str, starts_at: datetime, ends_at: datetime):
        self.user_id, self.starts_at, self.ends_at = user_id, starts_at, ends_at

    def end(self, at: datetime) -> None:
        """Off call early (ill, swapped): from `at`, or from the start if it had not begun."""
        at = moment(at, "at")
        if self.ends_at <= at:
            raise OnCallEnded("the on-call shift has already ended")
        self._end(ends_at=max(at, self.starts_at))

    @event("OnCallEnded")
    def _end(self, ends_at: datetime) -> None:
        self.ends_at = ends_at


class DeadLetterWatch(Aggregate):
    """One dead-letter queue as the watch last saw it. An episode opens when the queue
    starts holding messages (ops are told once) and ends when it is emptied (replayed)."""

    @classmethod
    def start(cls, queue: str) -> DeadLetterWatch:
        return cls(id=watch_id(queue), queue=queue)

    @event("DeadLetterWatchStarted")
    def __init__(self, id: UUID, queue: str):  # noqa: A002
        self.queue, self.count, self.episode = queue, 0, 0

    def observe(self, count: int, at: datetime) -> int | None:
        """The episode that `count` opens, if it opens one."""
        if count > 0 and self.count == 0:
            self._appeared(count=count, episode=self.episode + 1, at=moment(at, "at"))
            return self.episode
        if count == 0 and self.count > 0:
            self._cleared(at=moment(at, "at"))
        return None

    @event("DeadLettersAppeared")
    def _appeared(self, count: int, episode: int, at: datetime) -> None:
        self.count, self.episode = count, episode

    @event("DeadLettersCleared")
    def _cleared(self, at: datetime) -> None:
        self.count = 0


class WebhookTarget(OnePerKey):
    """A webhook endpoint that answered 410 Gone is not called again until ops enable it."""

    key, create_id = "name", staticmethod(target_id)

    @event("WebhookTargetNoted")
    def __init__(self, name: str):
        self.name = name
        self.disabled_at: datetime | None = None

    def disable(self, at: datetime) -> bool:
        if self.disabled_at is not None:
            return False
        self._disable(at=moment(at, "at"))
        return True

    @event("WebhookTargetDisabled")
    def _disable(self, at: datetime) -> None:
        self.disabled_at = at

    def enable(self, at: datetime) -> bool:
        if self.disabled_at is None:
            return False
        self._enable(at=moment(at, "at"))
        return True

    @event("WebhookTargetEnabled")
    def _enable(self, at: datetime) -> None:
        self.disabled_at = None
