"""Casework's read models: the case list, follow-ups, services delivered and clients,
fed from casework's own notification log (the queries are in queries.py).

Only ids, codes, countries and times: no name, no note, no evidence. On an erasure
the rows stay -- they are the statistics -- and what ties them to a person beyond
that (the helpline contact) is dropped. Months are UTC calendar months.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from services.casework.countries import continent_of
from services.casework.domain import Case, Client
from shared.projections import Cursor, Projection, handles


def _month(when: datetime) -> str:
    return when.strftime("%Y-%m")


def _id(event: Any) -> str:
    return str(event.originator_id)


class CaseList(Projection):
    name, version = "case_list", 1
    tables = {
        "cases": (
            "case_id text PRIMARY KEY, reference text NOT NULL, client_id text NOT NULL,"
            " contact_id text, source text NOT NULL, status text NOT NULL, caseworker_id text,"
            " origin_country text, continent text NOT NULL, exploitation_country text,"
            " exploitation_types text NOT NULL, methods_of_control text NOT NULL,"
            " recruitment text, relationship_to_trafficker text, urgency text NOT NULL,"
            " opened_at {timestamp} NOT NULL, month text NOT NULL, closed_at {timestamp},"
            " closure_reason text, identification_status text,"
            " possible_duplicate boolean NOT NULL, erased boolean NOT NULL"),
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
               "CREATE INDEX IF NOT EXISTS case_exploitation_type ON {case_exploitation}"
               " (exploitation_type)")

    @handles(Case, "CaseOpened")
    def opened(self, e: Any, cur: Cursor) -> None:
        cur.execute(
            "INSERT INTO {cases} (case_id, reference, client_id, contact_id, source, status,"
            " caseworker_id, origin_country, continent, exploitation_country,"
            " exploitation_types, methods_of_control, recruitment, relationship_to_trafficker,"
            " urgency, opened_at, month, possible_duplicate, erased) VALUES (%s, %s, %s, %s,"
            " %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, false)",
            (_id(e), e.reference, e.client_id, e.contact_id, e.source,
             "Active" if e.caseworker_id else "Open", e.caseworker_id, e.origin_country,
             continent_of(e.origin_country), e.exploitation_country,
             " ".join(e.exploitation_types), " ".join(e.methods_of_control), e.recruitment,
             e.relationship_to_trafficker, e.urgency, e.opened_at, _month(e.opened_at),
             e.possible_duplicate))
        self._types(e, cur)
        cur.execute("INSERT INTO {case_periods} (case_id, opened_at) VALUES (%s, %s)",
                    (_id(e), e.opened_at))

    def _types(self, e: Any, cur: Cursor) -> None:
        cur.execute("DELETE FROM {case_exploitation} WHERE case_id = %s", (_id(e),))
        for kind in e.exploitation_types:
            cur.execute("INSERT INTO {case_exploitation} VALUES (%s, %s)", (_id(e), kind))

    @handles(Case, "CaseFactsUpdated")
    def facts(self, e: Any, cur: Cursor) -> None:
        cur.execute(
            "UPDATE {cases} SET origin_country = %s, continent = %s, exploitation_country = %s,"
            " exploitation_types = %s, methods_of_control = %s, recruitment = %s,"
            " relationship_to_trafficker = %s, urgency = %s WHERE case_id = %s",
            (e.origin_country, continent_of(e.origin_country), e.exploitation_country,
             " ".join(e.exploitation_types), " ".join(e.methods_of_control), e.recruitment,
             e.relationship_to_trafficker, e.urgency, _id(e)))
        self._types(e, cur)

    @handles(Case, "CaseworkerAssigned")
    def assigned(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {cases} SET caseworker_id = %s, status = %s WHERE case_id = %s",
                    (e.caseworker_id, e.status, _id(e)))

    @handles(Case, "CasePhaseChanged")
    def phase(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {cases} SET status = %s WHERE case_id = %s", (e.phase, _id(e)))

    @handles(Case, "IdentificationStatusChanged")
    def identified(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {cases} SET identification_status = %s WHERE case_id = %s",
                    (e.status, _id(e)))

    @handles(Case, "CaseClosed")
    def closed(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {cases} SET status = %s, closed_at = %s, closure_reason = %s"
                    " WHERE case_id = %s", (e.status, e.closed_at, e.closure_reason, _id(e)))
        cur.execute("UPDATE {case_periods} SET closed_at = %s WHERE case_id = %s"
                    " AND closed_at IS NULL", (e.closed_at, _id(e)))

    @handles(Case, "CaseReopened")
    def reopened(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {cases} SET status = %s, closed_at = NULL, closure_reason = NULL"
                    " WHERE case_id = %s", (e.status, _id(e)))
        cur.execute("INSERT INTO {case_periods} (case_id, opened_at) VALUES (%s, %s)",
                    (_id(e), e.reopened_at))

    @handles(Case, "DuplicateReviewed")
    def reviewed(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {cases} SET possible_duplicate = false WHERE case_id = %s",
                    (_id(e),))

    @handles(Case, "ClientChanged")
    def moved(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {cases} SET client_id = %s WHERE case_id = %s",
                    (e.client_id, _id(e)))

    @handles(Case, "CasePersonalDataErased")
    def erased(self, e: Any, cur: Cursor) -> None:
        # The contact id would lead back to the call; the case's facts stay as statistics.
        cur.execute("UPDATE {cases} SET erased = true, contact_id = NULL,"
                    " possible_duplicate = false WHERE case_id = %s", (_id(e),))


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
                    " VALUES (%s, %s, %s)", (e.follow_up_id, _id(e), e.due_at))

    @handles(Case, "FollowUpDone")
    def follow_up_done(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {follow_ups} SET done_at = %s WHERE follow_up_id = %s",
                    (e.done_at, e.follow_up_id))

    @handles(Case, "ServiceProvided")
    def service(self, e: Any, cur: Cursor) -> None:
        self._service(e, e.service_type, None, cur)

    @handles(Case, "CrisisInterventionProvided")
    def crisis_intervention(self, e: Any, cur: Cursor) -> None:
        self._service(e, "crisis_intervention", e.response_seconds, cur)

    def _service(self, e: Any, kind: str, response: int | None, cur: Cursor) -> None:
        cur.execute("INSERT INTO {services} VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    (e.service_id, _id(e), kind, e.provided_at, _month(e.provided_at),
                     e.duration_minutes, response))


class ClientList(Projection):
    name, version = "client_list", 1
    tables = {"clients": "client_id text PRIMARY KEY, gender text NOT NULL, birth_year integer,"
                         " citizenship text, registered_at {timestamp} NOT NULL,"
                         " case_count integer NOT NULL, erased boolean NOT NULL"}

    @handles(Client, "ClientRegistered")
    def registered(self, e: Any, cur: Cursor) -> None:
        cur.execute("INSERT INTO {clients} VALUES (%s, %s, %s, %s, %s, 0, false)",
                    (_id(e), e.gender, e.birth_year, e.citizenship, e.registered_at))

    @handles(Client, "ClientDetailsCorrected")
    def corrected(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {clients} SET gender = %s, birth_year = %s, citizenship = %s"
                    " WHERE client_id = %s", (e.gender, e.birth_year, e.citizenship, _id(e)))

    @handles(Client, "CaseLinked")
    def linked(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {clients} SET case_count = case_count + 1 WHERE client_id = %s",
                    (_id(e),))

    @handles(Client, "CaseUnlinked")
    def unlinked(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {clients} SET case_count = case_count - 1 WHERE client_id = %s",
                    (_id(e),))

    @handles(Client, "SubjectErased")
    def erased(self, e: Any, cur: Cursor) -> None:
        cur.execute("UPDATE {clients} SET erased = true WHERE client_id = %s", (_id(e),))


def projections() -> list[Projection]:
    return [CaseList(), CaseActivity(), ClientList()]

