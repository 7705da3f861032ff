"""Outreach's read models: the consultations and prevention activities, one row each, and
the questions asked of them (lists, the month's figures). Intake's projections and views
include these (projections.py). Codes, counts and times only: outreach holds no victim's
personal data. A withdrawn record keeps its row, marked, and leaves the figures.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.intake.outreach_domain import Consultation, PreventionActivity
from shared.projections import Cursor, Projection, ReadModelStore, handles, month_of, stream_id

Row = dict[str, Any]
_KEPT = "withdrawn_reason IS NULL"  # fixed SQL: what the figures count
_PENDING = ("(follow_up_action IS NOT NULL AND follow_up_done_at IS NULL AND"
            f" {_KEPT}) = %s")


class OutreachLog(Projection):
    name, version = "outreach", 1
    tables = {
        "consultations": (
            "consultation_id text PRIMARY KEY, month text NOT NULL, held_at {timestamp} NOT NULL,"
            " institution text NOT NULL, institution_type text NOT NULL, topic text NOT NULL,"
            " outcome text NOT NULL, channel text NOT NULL, follow_up_action text,"
            " follow_up_due {timestamp}, follow_up_done_at {timestamp}, recorded_by text NOT NULL,"
            " withdrawn_reason text"),
        "prevention_activities": (
            "activity_id text PRIMARY KEY, month text NOT NULL, held_at {timestamp} NOT NULL,"
            " kind text NOT NULL, title text NOT NULL, audience text NOT NULL,"
            " participants integer NOT NULL, materials_distributed integer NOT NULL,"
            " language text NOT NULL, recorded_by text NOT NULL, withdrawn_reason text"),
    }
    indexes = ("CREATE INDEX IF NOT EXISTS consultations_month ON {consultations} (month)",
               "CREATE INDEX IF NOT EXISTS prevention_month ON {prevention_activities} (month)")

    @handles(Consultation, "ConsultationRecorded")
    def consultation(self, e: Any, cur: Cursor) -> None:
        cur.execute(
            "INSERT INTO {consultations} (consultation_id, month, held_at, institution,"
            " institution_type, topic, outcome, channel, follow_up_action, follow_up_due,"
            " recorded_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (stream_id(e), month_of(e.held_at), e.held_at, e.institution, e.institution_type,
             e.topic, e.outcome, e.channel, e.follow_up_action, e.follow_up_due, e.recorded_by))

    @handles(Consultation, "ConsultationFollowUpDone")
    def followed_up(self, e: Any, cur: Cursor) -> None:
        cur.update("consultations", ("consultation_id", stream_id(e)),
                   follow_up_done_at=e.done_at)

    @handles(Consultation, "ConsultationWithdrawn")
    def consultation_withdrawn(self, e: Any, cur: Cursor) -> None:
        cur.update("consultations", ("consultation_id", stream_id(e)), withdrawn_reason=e.reason)

    @handles(PreventionActivity, "PreventionActivityRecorded")
    def activity(self, e: Any, cur: Cursor) -> None:
        cur.execute(
            "INSERT INTO {prevention_activities} (activity_id, month, held_at, kind, title,"
            " audience, participants, materials_distributed, language, recorded_by)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (stream_id(e), month_of(e.held_at), e.held_at, e.kind, e.title, e.audience,
             e.participants, e.materials_distributed, e.language, e.recorded_by))

    @handles(PreventionActivity, "PreventionActivityWithdrawn")
    def activity_withdrawn(self, e: Any, cur: Cursor) -> None:
        cur.update("prevention_activities", ("activity_id", stream_id(e)),
                   withdrawn_reason=e.reason)


class OutreachViews:
    """Mixed into intake's views: `store` and `settle` are theirs."""

    store: ReadModelStore
    settle: Callable[[], Any]

    def _times(self, rows: list[Row], *names: str) -> list[Row]:
        return [{**r, **{n: self.store.when(r[n]) for n in names}} for r in rows]

    def consultations(self, month: str | None = None, institution_type: str | None = None,
                      follow_up_pending: bool | None = None, page: int = 1,
                      page_size: int = 50) -> Row:
        """Newest first; `follow_up_pending`: only those with a follow-up still to do (or,
        False, only those without)."""
        self.settle()
        found = self.store.page("consultations", "held_at DESC, consultation_id", [
            ("month = %s", month), ("institution_type = %s", institution_type),
            (_PENDING, follow_up_pending)], page, page_size)
        return {**found, "items": self._times(found["items"], "held_at", "follow_up_due",
                                              "follow_up_done_at")}

    def prevention_activities(self, month: str | None = None, kind: str | None = None,
                              page: int = 1, page_size: int = 50) -> Row:
        self.settle()
        found = self.store.page("prevention_activities", "held_at DESC, activity_id",
                                [("month = %s", month), ("kind = %s", kind)], page, page_size)
        return {**found, "items": self._times(found["items"], "held_at")}

    def outreach_stats(self, month: str) -> Row:
        """The month's outreach, as the centre reports it to the ministry."""
        self.settle()

        def grouped(table: str, column: str, sums: str = "") -> list[Row]:
            return self.store.query(f"SELECT {column} AS k, count(*) AS n{sums} FROM {{{table}}}"
                                    f" WHERE month = %s AND {_KEPT} GROUP BY {column}"
                                    f" ORDER BY {column}", [month])

        sums = ", sum(participants) AS participants, sum(materials_distributed) AS materials"
        by_kind = grouped("prevention_activities", "kind", sums)
        return {
            "month": month,
            "consultations": sum(r["n"] for r in grouped("consultations", "topic")),
            "consultations_by_institution_type": {
                r["k"]: r["n"] for r in grouped("consultations", "institution_type")},
            "consultations_by_topic": {r["k"]: r["n"] for r in grouped("consultations", "topic")},
            "prevention_activities": sum(r["n"] for r in by_kind),
            "prevention_by_kind": {r["k"]: {"activities": r["n"],
                                            "participants": int(r["participants"]),
                                            "materials_distributed": int(r["materials"])}
                                   for r in by_kind},
            "participants_by_audience": {
                r["k"]: int(r["participants"])
                for r in grouped("prevention_activities", "audience", sums)},
            "participants": sum(int(r["participants"]) for r in by_kind),
            "materials_distributed": sum(int(r["materials"]) for r in by_kind),
        }
