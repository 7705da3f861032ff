"""Legal's read models, fed from its own notification log (the queries are in queries.py):
matters and their deadlines, hearings and sessions, disclosures, and the reminder table.

Only ids, codes, places and times: no caption, no docket number (it leads to court
records naming the client), no attorney, no letter, no note. On an erasure the rows stay:
they are the statistics.
"""

from __future__ import annotations

from typing import Any

from services.legal.domain import CaseRecord, Disclosure, Hearing, Matter, Session
from services.legal.domain.reminders import DEADLINE_REMINDER, token
from services.legal.queries import LegalViews
from shared.projections import Cursor, Projection, ReadModelSet, handles, stream_id
from shared.row_updates import RowUpdates, from_event

_DETAILS = ("court", "standing")


class MatterList(Projection):
    name, version = "matter_list", 2  # 2: without the docket number
    tables = {
        "cases": "case_id text PRIMARY KEY, reference text, caseworker_id text",
        "matters": (
            "matter_id text PRIMARY KEY, case_id text NOT NULL, case_reference text,"
            " kind text NOT NULL, standing text, stage text NOT NULL, status text NOT NULL,"
            " outcome text, lawyer_id text, court text,"
            " source text NOT NULL, opened_at {timestamp} NOT NULL, closed_at {timestamp},"
            " erased boolean NOT NULL"),
        "deadlines": (
            "deadline_id text PRIMARY KEY, matter_id text NOT NULL, case_id text NOT NULL,"
            " kind text NOT NULL, due_on text NOT NULL, hearing_id text, outcome text,"
            " closed_on text"),
    }
    indexes = ("CREATE INDEX IF NOT EXISTS matters_case ON {matters} (case_id)",
               "CREATE INDEX IF NOT EXISTS deadlines_due ON {deadlines} (due_on)")

    @handles(CaseRecord, "CaseRecordStarted")
    def case_started(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {cases} (case_id) VALUES (%s) ON CONFLICT (case_id) DO NOTHING",
                    (e.case_id,))

    @handles(CaseRecord, "CaseOpenedNoted")
    def case_opened(self, e: Any, cur: Cursor) -> None:
        cur.update("cases", ("case_id", e.case_id), reference=e.case_reference)
        cur.update("matters", ("case_id", e.case_id), case_reference=e.case_reference)

    @handles(CaseRecord, "CaseworkerNoted")
    def caseworker(self, e: Any, cur: Cursor) -> None:
        if e.kind == "assigned":  # whose lists the case is on; access is the record's
            cur.update("cases", ("case_id", e.case_id), caseworker_id=e.caseworker_id)

    @handles(Matter, "MatterOpened")
    def opened(self, e: Any, cur: Cursor) -> None:
        cur.execute(
            "INSERT INTO {matters} (matter_id, case_id, case_reference, kind, standing, stage,"
            " status, lawyer_id, source, opened_at, erased) VALUES (%s, %s, (SELECT reference"
            " FROM {cases} WHERE case_id = %s), %s, %s, 'assessment', 'open', %s, %s, %s, false)",
            (stream_id(e), e.case_id, e.case_id, e.kind, e.standing, e.lawyer_id, e.source,
             e.opened_at))

    @handles(Matter, "MatterDetailsRecorded")
    def details(self, e: Any, cur: Cursor) -> None:
        changed = {name: getattr(e, name) for name in _DETAILS if name in e.changed}
        if changed:
            cur.update("matters", ("matter_id", stream_id(e)), **changed)

    row_updates = RowUpdates("matters", "matter_id", Matter, {
        "MatterStageChanged": {"stage": from_event.stage},
        "LawyerAssigned": {"lawyer_id": from_event.lawyer_id},
        "MatterClosed": {"status": "closed", "outcome": from_event.outcome,
                         "closed_at": from_event.closed_at},
        "MatterErased": {"erased": True},
    })

    @handles(Matter, "DeadlineSet")
    def deadline(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {deadlines} (deadline_id, matter_id, case_id, kind, due_on,"
                    " hearing_id) VALUES (%s, %s, %s, %s, %s, %s)",
                    (e.deadline_id, stream_id(e), e.case_id, e.kind, e.due_on.isoformat(),
                     e.hearing_id))

    @handles(Matter, "DeadlineMoved")
    def deadline_moved(self, e: Any, cur: Cursor) -> None:
        cur.update("deadlines", ("deadline_id", e.deadline_id), due_on=e.due_on.isoformat())

    @handles(Matter, "DeadlineClosed")
    def deadline_closed(self, e: Any, cur: Cursor) -> None:
        cur.update("deadlines", ("deadline_id", e.deadline_id), outcome=e.outcome,
                   closed_on=e.on.isoformat())


class Diary(Projection):
    """Hearings and sessions: who is where, when."""

    name, version = "diary", 1
    tables = {
        "hearings": (
            "hearing_id text PRIMARY KEY, matter_id text NOT NULL, case_id text NOT NULL,"
            " starts_at {timestamp} NOT NULL, ends_at {timestamp} NOT NULL,"
            " time_zone text NOT NULL, hearing_type text NOT NULL, court text NOT NULL,"
            " room text, judge text, interpreter_needed boolean NOT NULL,"
            " interpreter_language text, accompaniment_needed boolean NOT NULL,"
            " companions integer NOT NULL, measures_requested text NOT NULL,"
            " measures_granted text NOT NULL, status text NOT NULL, outcome text"),
        "sessions": (
            "session_id text PRIMARY KEY, matter_id text NOT NULL, case_id text NOT NULL,"
            " kind text NOT NULL, staff_id text NOT NULL, starts_at {timestamp} NOT NULL,"
            " ends_at {timestamp} NOT NULL, hearing_id text, status text NOT NULL,"
            " done_at {timestamp}"),
    }
    indexes = ("CREATE INDEX IF NOT EXISTS hearings_starts ON {hearings} (starts_at)",
               "CREATE INDEX IF NOT EXISTS sessions_starts ON {sessions} (starts_at)")

    @handles(Hearing, "HearingScheduled")
    def scheduled(self, e: Any, cur: Cursor) -> None:
        cur.execute(
            "INSERT INTO {hearings} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " %s, 0, %s, '', 'scheduled', NULL)",
            (stream_id(e), e.matter_id, e.case_id, e.starts_at, e.ends_at, e.time_zone,
             e.hearing_type, e.court, e.room, e.judge, e.interpreter_needed,
             e.interpreter_language, e.accompaniment_needed, " ".join(e.measures_requested)))

    hearing_updates = RowUpdates("hearings", "hearing_id", Hearing, {
        "HearingMoved": {"starts_at": from_event.starts_at, "ends_at": from_event.ends_at,
                         "court": from_event.court, "room": from_event.room},
        "HearingCancelled": {"status": "cancelled"},
        "HearingOutcomeRecorded": {"status": "held", "outcome": from_event.outcome},
    })

    @handles(Hearing, "ProtectiveMeasuresRecorded")
    def measures(self, e: Any, cur: Cursor) -> None:
        cur.update("hearings", ("hearing_id", stream_id(e)),
                   measures_requested=" ".join(e.requested), measures_granted=" ".join(e.granted))

    @handles(Hearing, "AccompanimentArranged", "AccompanimentDropped")
    def companions(self, e: Any, cur: Cursor) -> None:
        step = 1 if type(e).__name__ == "AccompanimentArranged" else -1
        cur.execute("UPDATE {hearings} SET companions = companions + %s WHERE hearing_id = %s",
                    (step, stream_id(e)))

    @handles(Session, "SessionScheduled")
    def session(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {sessions} VALUES (%s, %s, %s, %s, %s, %s, %s, %s,"
                    " 'scheduled', NULL)",
                    (stream_id(e), e.matter_id, e.case_id, e.kind, e.staff_id, e.starts_at,
                     e.ends_at, e.hearing_id))

    session_updates = RowUpdates("sessions", "session_id", Session, {
        "SessionMoved": {"starts_at": from_event.starts_at, "ends_at": from_event.ends_at},
        "SessionCancelled": {"status": "cancelled"},
        "SessionDone": {"status": "done", "done_at": from_event.done_at},
    })


class Disclosures(Projection):
    name, version = "disclosures", 1
    tables = {"disclosures": (
        "disclosure_id text PRIMARY KEY, matter_id text NOT NULL, case_id text NOT NULL,"
        " recipient_type text NOT NULL, recipient text NOT NULL, purpose text NOT NULL,"
        " letter_id text, consent_recipient text NOT NULL, consent_decided_on text NOT NULL,"
        " status text NOT NULL, prepared_at {timestamp} NOT NULL, made_at {timestamp},"
        " cancelled_reason text")}
    indexes = ("CREATE INDEX IF NOT EXISTS disclosures_case ON {disclosures} (case_id)",)

    @handles(Disclosure, "DisclosurePrepared")
    def prepared(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {disclosures} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s,"
                    " 'pending', %s, NULL, NULL)",
                    (stream_id(e), e.matter_id, e.case_id, e.recipient_type, e.recipient,
                     e.purpose, e.letter_id, e.consent["recipient"], e.consent["decided_on"],
                     e.prepared_at))

    @handles(Disclosure, "DisclosureMade")
    def made(self, e: Any, cur: Cursor) -> None:
        cur.update("disclosures", ("disclosure_id", stream_id(e)), status="made",
                   made_at=e.made_at, consent_recipient=e.consent["recipient"],
                   consent_decided_on=e.consent["decided_on"])

    @handles(Disclosure, "DisclosureCancelled")
    def cancelled(self, e: Any, cur: Cursor) -> None:
        cur.update("disclosures", ("disclosure_id", stream_id(e)), status="cancelled",
                   cancelled_reason=e.reason)


class ReminderSchedule(Projection):
    """The due-time table the reminder poll claims rows of (reminders.py). A row's token
    is the time its reminder was computed for; when a hearing or deadline moves, its
    unfired rows are replaced."""

    name, version = "reminder_schedule", 1
    tables = {"reminders": (
        "reminder_id text PRIMARY KEY, item_kind text NOT NULL, aggregate_id text NOT NULL,"
        " item_id text NOT NULL, reminder text NOT NULL, token text NOT NULL,"
        " due_at {timestamp} NOT NULL, fired_at {timestamp}, claimed_until {timestamp}")}
    indexes = ("CREATE INDEX IF NOT EXISTS reminders_due ON {reminders} (due_at)"
               " WHERE fired_at IS NULL",)

    def _plan(self, cur: Cursor, kind: str, aggregate_id: str, item_id: str,
              due: dict[str, Any], for_time: Any) -> None:
        cur.execute("DELETE FROM {reminders} WHERE item_id = %s AND fired_at IS NULL",
                    (item_id,))
        for reminder, due_at in due.items():
            cur.execute("INSERT INTO {reminders} (reminder_id, item_kind, aggregate_id,"
                        " item_id, reminder, token, due_at) VALUES (%s, %s, %s, %s, %s, %s, %s)"
                        " ON CONFLICT (reminder_id) DO NOTHING",
                        (f"{item_id}:{reminder}:{token(for_time)}", kind, aggregate_id, item_id,
                         reminder, token(for_time), due_at))

    def _drop(self, cur: Cursor, column: str, value: str) -> None:
        cur.execute(f"DELETE FROM {{reminders}} WHERE {column} = %s AND fired_at IS NULL",
                    (value,))

    def _fired(self, cur: Cursor, item_id: str, reminder: str, for_time: Any, at: Any) -> None:
        cur.update("reminders", ("reminder_id", f"{item_id}:{reminder}:{token(for_time)}"),
                   fired_at=at)

    @handles(Hearing, "HearingScheduled", "HearingMoved")
    def hearing_set(self, e: Any, cur: Cursor) -> None:
        self._plan(cur, "hearing", stream_id(e), stream_id(e), e.reminders, e.starts_at)

    @handles(Hearing, "HearingCancelled", "HearingOutcomeRecorded")
    def hearing_over(self, e: Any, cur: Cursor) -> None:
        self._drop(cur, "item_id", stream_id(e))

    @handles(Hearing, "HearingReminderDue")
    def hearing_reminded(self, e: Any, cur: Cursor) -> None:
        self._fired(cur, stream_id(e), e.reminder, e.starts_at, e.reminded_at)

    @handles(Matter, "DeadlineSet", "DeadlineMoved")
    def deadline_set(self, e: Any, cur: Cursor) -> None:
        due = {} if e.remind_at is None else {DEADLINE_REMINDER: e.remind_at}
        self._plan(cur, "deadline", stream_id(e), e.deadline_id, due, e.due_on)

    @handles(Matter, "DeadlineClosed")
    def deadline_over(self, e: Any, cur: Cursor) -> None:
        self._drop(cur, "item_id", e.deadline_id)

    @handles(Matter, "MatterClosed", "MatterErased")
    def matter_over(self, e: Any, cur: Cursor) -> None:
        self._drop(cur, "aggregate_id", stream_id(e))

    @handles(Matter, "DeadlineReminderDue")
    def deadline_reminded(self, e: Any, cur: Cursor) -> None:
        self._fired(cur, e.deadline_id, e.reminder, e.due_on, e.reminded_at)


def projections() -> list[Projection]:
    return [MatterList(), Diary(), Disclosures(), ReminderSchedule()]


READ_MODELS = ReadModelSet(projections, LegalViews)
