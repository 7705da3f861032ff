"""Casework's read models: the case list, follow-ups, services delivered and clients,
fed from casework's own notification log (the queries are in queries.py).

Only ids, codes, countries and times: no name, no note, no evidence. On an erasure
the rows stay -- they are the statistics -- and what ties them to a person beyond
that (the helpline contact) is dropped. Months are UTC calendar months.
"""

from __future__ import annotations

from typing import Any

from services.casework.domain import AccessLog, Case, Client
from services.casework.queries import CaseworkViews
from shared.countries import continent_of
from shared.projections import Cursor, Projection, ReadModelSet, handles, month_of, stream_id
from shared.row_updates import RowUpdates, from_event


class CaseList(Projection):
    name, version = "case_list", 2
    tables = {
        "cases": (
            "case_id text PRIMARY KEY, reference text NOT NULL, client_id text NOT NULL,"
            " contact_id text, source text NOT NULL, status text NOT NULL, caseworker_id text,"
            " origin_country text, continent text NOT NULL, exploitation_country text,"
            " exploitation_types text NOT NULL, methods_of_control text NOT NULL,"
            " recruitment text, relationship_to_trafficker text, urgency text NOT NULL,"
            " opened_at {timestamp} NOT NULL, month text NOT NULL, closed_at {timestamp},"
            " closure_reason text, identification_status text,"
            " possible_duplicate boolean NOT NULL, erased boolean NOT NULL,"
            " assignment_pending boolean NOT NULL"),
        # One row per exploitation type, so the list filters by type with an index.
        "case_exploitation": "case_id text NOT NULL, exploitation_type text NOT NULL,"
                             " PRIMARY KEY (case_id, exploitation_type)",
        # One row per time a case was open: "pending at a date" survives reopening.
        "case_periods": "case_id text NOT NULL, opened_at {timestamp} NOT NULL,"
                        " closed_at {timestamp}, PRIMARY KEY (case_id, opened_at)",
    }
    indexes = ("CREATE INDEX IF NOT EXISTS cases_opened ON {cases} (opened_at DESC, case_id)",
               "CREATE INDEX IF NOT EXISTS cases_month ON {cases} (month)",
               "CREATE INDEX IF NOT EXISTS cases_caseworker ON {cases} (caseworker_id, status)",
               "CREATE INDEX IF NOT EXISTS cases_client ON {cases} (client_id)",
               "CREATE INDEX IF NOT EXISTS cases_reference ON {cases} (reference)",
               "CREATE INDEX IF NOT EXISTS case_exploitation_type ON {case_exploitation}"
               " (exploitation_type)")

    @handles(Case, "CaseOpened")
    def opened(self, e: Any, cur: Cursor) -> None:
        cur.execute(
            "INSERT INTO {cases} (case_id, reference, client_id, contact_id, source, status,"
            " caseworker_id, origin_country, continent, exploitation_country,"
            " exploitation_types, methods_of_control, recruitment, relationship_to_trafficker,"
            " urgency, opened_at, month, possible_duplicate, erased, assignment_pending)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " false, %s)",
            (stream_id(e), e.reference, e.client_id, e.contact_id, e.source,
             "Active" if e.caseworker_id else "Open", e.caseworker_id, e.origin_country,
             continent_of(e.origin_country), e.exploitation_country,
             " ".join(e.exploitation_types), " ".join(e.methods_of_control), e.recruitment,
             e.relationship_to_trafficker, e.urgency, e.opened_at, month_of(e.opened_at),
             e.possible_duplicate, e.caseworker_id is not None))
        self._types(e, cur)
        cur.execute("INSERT INTO {case_periods} (case_id, opened_at) VALUES (%s, %s)",
                    (stream_id(e), e.opened_at))

    def _types(self, e: Any, cur: Cursor) -> None:
        cur.execute("DELETE FROM {case_exploitation} WHERE case_id = %s", (stream_id(e),))
        for kind in e.exploitation_types:
            cur.execute("INSERT INTO {case_exploitation} VALUES (%s, %s)", (stream_id(e), kind))

    @handles(Case, "CaseFactsUpdated")
    def facts(self, e: Any, cur: Cursor) -> None:
        cur.execute(
            "UPDATE {cases} SET origin_country = %s, continent = %s, exploitation_country = %s,"
            " exploitation_types = %s, methods_of_control = %s, recruitment = %s,"
            " relationship_to_trafficker = %s, urgency = %s WHERE case_id = %s",
            (e.origin_country, continent_of(e.origin_country), e.exploitation_country,
             " ".join(e.exploitation_types), " ".join(e.methods_of_control), e.recruitment,
             e.relationship_to_trafficker, e.urgency, stream_id(e)))
        self._types(e, cur)

    row_updates = RowUpdates("cases", "case_id", Case, {
        "CaseworkerAssigned": {"caseworker_id": from_event.caseworker_id,
                               "status": from_event.status, "assignment_pending": True},
        "AssignmentConfirmed": {"assignment_pending": False},
        "CasePhaseChanged": {"status": from_event.phase},
        "IdentificationStatusChanged": {"identification_status": from_event.status},
        "DuplicateReviewed": {"possible_duplicate": False},
        "ClientChanged": {"client_id": from_event.client_id},
        # The contact id would lead back to the call; the case's facts stay as statistics.
        "CasePersonalDataErased": {"erased": True, "contact_id": None,
                                   "possible_duplicate": False},
    })

    @handles(Case, "CaseClosed")
    def closed(self, e: Any, cur: Cursor) -> None:
        cur.update("cases", ("case_id", stream_id(e)), status=e.status, closed_at=e.closed_at,
                   closure_reason=e.closure_reason)
        cur.execute("UPDATE {case_periods} SET closed_at = %s WHERE case_id = %s"
                    " AND closed_at IS NULL", (e.closed_at, stream_id(e)))

    @handles(Case, "CaseReopened")
    def reopened(self, e: Any, cur: Cursor) -> None:
        cur.update("cases", ("case_id", stream_id(e)), status=e.status, closed_at=None,
                   closure_reason=None)
        cur.execute("INSERT INTO {case_periods} (case_id, opened_at) VALUES (%s, %s)",
                    (stream_id(e), e.reopened_at))


class CaseActivity(Projection):
    """Follow-ups and services delivered: the work done, month by month."""

    name, version = "case_activity", 1
    tables = {
        "follow_ups": "follow_up_id text PRIMARY KEY, case_id text NOT NULL,"
                      " due_at {timestamp} NOT NULL, done_at {timestamp}",
        "services": "service_id text PRIMARY KEY, case_id text NOT NULL,"
                    " service_type text NOT NULL, provided_at {timestamp} NOT NULL,"
                    " month text NOT NULL, duration_minutes integer, response_seconds integer",
    }
    indexes = ("CREATE INDEX IF NOT EXISTS follow_ups_due ON {follow_ups} (due_at)",
               "CREATE INDEX IF NOT EXISTS follow_ups_case ON {follow_ups} (case_id)",
               "CREATE INDEX IF NOT EXISTS services_month ON {services} (month)")

    @handles(Case, "FollowUpScheduled")
    def scheduled(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {follow_ups} (follow_up_id, case_id, due_at)"
                    " VALUES (%s, %s, %s)", (e.follow_up_id, stream_id(e), e.due_at))

    @handles(Case, "FollowUpDone")
    def follow_up_done(self, e: Any, cur: Cursor) -> None:
        cur.update("follow_ups", ("follow_up_id", e.follow_up_id), done_at=e.done_at)

    @handles(Case, "ServiceProvided")
    def service(self, e: Any, cur: Cursor) -> None:
        self._service(e, e.service_type, None, cur)

    @handles(Case, "CrisisInterventionProvided")
    def crisis_intervention(self, e: Any, cur: Cursor) -> None:
        self._service(e, "crisis_intervention", e.response_seconds, cur)

    def _service(self, e: Any, kind: str, response: int | None, cur: Cursor) -> None:
        cur.execute("INSERT INTO {services} VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (e.service_id, stream_id(e), kind, e.provided_at, month_of(e.provided_at),
                     e.duration_minutes, response))


class ClientList(Projection):
    name, version = "client_list", 1
    tables = {"clients": "client_id text PRIMARY KEY, gender text NOT NULL, birth_year integer,"
                         " citizenship text, registered_at {timestamp} NOT NULL,"
                         " case_count integer NOT NULL, erased boolean NOT NULL"}

    @handles(Client, "ClientRegistered")
    def registered(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {clients} VALUES (%s, %s, %s, %s, %s, 0, false)",
                    (stream_id(e), e.gender, e.birth_year, e.citizenship, e.registered_at))

    @handles(Client, "CaseLinked")
    def linked(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {clients} SET case_count = case_count + 1 WHERE client_id = %s",
                    (stream_id(e),))

    @handles(Client, "CaseUnlinked")
    def unlinked(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {clients} SET case_count = case_count - 1 WHERE client_id = %s",
                    (stream_id(e),))

    row_updates = RowUpdates("clients", "client_id", Client, {
        "ClientDetailsCorrected": {"gender": from_event.gender,
                                   "birth_year": from_event.birth_year,
                                   "citizenship": from_event.citizenship},
        "SubjectErased": {"erased": True},
    })


class EmergencyAccesses(Projection):
    """Emergency access to people's data, for supervisors to review (no reasons in text)."""

    name, version = "emergency_accesses", 1
    tables = {"emergency_accesses": (
        "grant_id text PRIMARY KEY, client_id text NOT NULL, case_id text NOT NULL,"
        " actor_id text NOT NULL, reason_code text NOT NULL, granted_at {timestamp} NOT NULL,"
        " expires_at {timestamp} NOT NULL, review text, reviewed_by text")}

    @handles(AccessLog, "EmergencyAccessGranted")
    def granted(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {emergency_accesses} (grant_id, client_id, case_id, actor_id,"
                    " reason_code, granted_at, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (e.grant_id, e.client_id, e.case_id, e.actor_id, e.reason_code,
                     e.granted_at, e.expires_at))

    @handles(AccessLog, "EmergencyAccessReviewed")
    def reviewed(self, e: Any, cur: Cursor) -> None:
        cur.update("emergency_accesses", ("grant_id", e.grant_id), review=e.outcome,
                   reviewed_by=e.reviewed_by)


def projections() -> list[Projection]:
    return [CaseList(), CaseActivity(), ClientList(), EmergencyAccesses()]


READ_MODELS = ReadModelSet(projections, CaseworkViews)
