"""Accompaniment and witness-preparation sessions, booked in a member of staff's calendar.

The session and the calendar are saved together: of two bookings that overlap, decided at
the same moment, one commits and the other starts over from fresh state and is refused,
naming the booking it clashes with (domain/calendar.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from uuid import UUID

from services.legal.domain import Hearing, Matter, Session
from services.legal.domain.access import check_may_book
from services.legal.domain.rules import InvalidValue, MatterClosed
from services.legal.store import Fields, LegalStore
from shared.audit import CommandContext
from shared.errors import domain_refusals


class Sessions(LegalStore):
    def _check_may_book(self, ctx: CommandContext, matter: Matter,
                        session: Session | None = None) -> None:
        if session is not None and ctx.actor_id == session.staff_id:
            return  # one's own session
        # The caseworker a supervisor confirmed: a session booked for a hearing takes its
        # times, and where the client will be waits for a supervisor like the rest.
        check_may_book(ctx.actor_role, ctx.actor_id, matter.lawyer_id,
                       self.case_record(matter.case_id).trusted_caseworker)

    def schedule_session(self, ctx: CommandContext, matter_id: UUID, kind: str, staff_id: str,
                         starts_at: datetime | None = None, ends_at: datetime | None = None,
                         hearing_id: UUID | None = None) -> Fields:
        """An accompaniment may name the hearing it goes to (its times by default)."""
        session_id = uuid.uuid4()

        def attempt() -> None:
            matter = self.load(Matter, matter_id, sealed=True)
            self._check_may_book(ctx, matter)
            if not matter.is_open:
                raise MatterClosed("the matter is closed")
            hearing = self._accompanied(matter, kind, hearing_id)
            start = starts_at or (hearing.starts_at if hearing else None)
            end = ends_at or (hearing.ends_at if hearing else None)
            if start is None or end is None:
                raise InvalidValue("starts_at", "is required (with ends_at) without a hearing")
            session = Session.schedule(session_id=session_id, case_id=matter.case_id,
                                       matter_id=str(matter.id), kind=kind, staff_id=staff_id,
                                       starts_at=start, ends_at=end,
                                       hearing_id=str(hearing.id) if hearing else None)
            calendar = self.calendar(session.staff_id)
            calendar.book(slot_id=str(session_id), case_id=matter.case_id, kind=session.kind,
                          starts_at=session.starts_at, ends_at=session.ends_at,
                          hearing_id=session.hearing_id)
            changed: list[Any] = [session, calendar]
            if hearing is not None:
                hearing.arrange_accompaniment(str(session_id), session.staff_id)
                changed.append(hearing)
            self.save(*changed, ctx=ctx)

        with domain_refusals():
            self.retrying(attempt)
        return {"session_id": str(session_id), "version": 1}

    def _accompanied(self, matter: Matter, kind: str, hearing_id: UUID | None) -> Hearing | None:
        if hearing_id is None:
            return None
        if kind != "accompaniment":
            raise InvalidValue("hearing_id", "only an accompaniment goes to a hearing")
        hearing = self.load(Hearing, hearing_id, sealed=True)
        if hearing.matter_id != str(matter.id):
            raise InvalidValue("hearing_id", "is not a hearing of this matter")
        return hearing

    def _session_to_change(self, ctx: CommandContext, session_id: UUID,
                           change: Any) -> Fields:
        def attempt() -> None:
            session = self.load(Session, session_id, sealed=True)
            matter = self.load(Matter, session.matter_id, sealed=True)
            self._check_may_book(ctx, matter, session)
            calendar = self.calendar(session.staff_id)
            changed = [session, calendar, *change(session, calendar)]
            self.save(*changed, ctx=ctx)

        with domain_refusals():
            self.retrying(attempt)
        return {"session_id": str(session_id)}

    def move_session(self, ctx: CommandContext, session_id: UUID, starts_at: datetime,
                     ends_at: datetime) -> Fields:
        def move(session: Session, calendar: Any) -> list[Any]:
            session.move(starts_at, ends_at)
            calendar.move(str(session.id), session.starts_at, session.ends_at)
            return []

        return self._session_to_change(ctx, session_id, move)

    def cancel_session(self, ctx: CommandContext, session_id: UUID) -> Fields:
        now = self.clock()

        def cancel(session: Session, calendar: Any) -> list[Any]:
            session.cancel("cancelled_by_staff", now)
            calendar.release(str(session.id))
            if session.hearing_id is None:
                return []
            hearing = self.load(Hearing, session.hearing_id, sealed=True)
            hearing.drop_accompaniment(str(session.id))
            return [hearing]

        return self._session_to_change(ctx, session_id, cancel)

    def record_session_done(self, ctx: CommandContext, session_id: UUID,
                            done_at: datetime | None = None, notes: str | None = None) -> Fields:
        at = done_at or self.clock()

        def done(session: Session, calendar: Any) -> list[Any]:
            session.record_done(at, notes)
            return []

        return self._session_to_change(ctx, session_id, done)

    def staff_calendar(self, ctx: CommandContext, staff_id: str, date_from: datetime,
                       date_to: datetime) -> Fields:
        """The person's bookings in [from, to): kinds, times and cases, nothing personal."""
        calendar = self.calendar(staff_id)
        return {"staff_id": staff_id, "items": [
            {"id": slot_id, **slot} for slot_id, slot in sorted(
                calendar.slots.items(), key=lambda item: item[1]["starts_at"])
            if slot["starts_at"] < date_to and date_from < slot["ends_at"]]}
