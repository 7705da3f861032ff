"""Idempotency-Key: a command sent twice under one key is carried out once.

The caller names each command with a key (the gateway forwards the HTTP header as the
RPC's "idempotency_key"). The service that executes the command keeps, in its own store,
the first request's fingerprint and its answer, per caller and key:

- a new key is claimed before the command runs, so two deliveries at once cannot both
  run it (the second is told the first is still running: 409);
- the same key and the same request again get the first answer, and nothing is redone;
- the same key with another request is refused (422): a key names one request;
- a command refused (bad input, a rule, a conflict) changed nothing, so its key is let
  go and may be used again once the request is fixed.

The claim is its own transaction, committed before the command's: the event store saves
each command in a transaction of its own, which nothing outside it can join. So a crash
after the claim and before the answer is stored leaves the key claimed without an
answer, whether or not the command's events were saved; a retry is then told so (409)
instead of being carried out a second time. At most once, never silently twice.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eventsourcing.postgres import PostgresDatastore
from psycopg import sql

from shared.errors import Conflict, DeadlinePassed, InvalidInput, RuleViolated, as_haven_error
from shared.eventstore import serialise_ddl

KEY = re.compile(r"\A[\x21-\x7e]{1,200}\Z")  # as the OpenAPI document declares the header
KEPT_FOR = timedelta(hours=24)  # after that a key is forgotten, and may be used again
SWEEP_EVERY = 600.0  # seconds between two deletions of expired keys, per process
PENDING = None  # a claimed key's answer until the command has answered


@dataclass(frozen=True)
class _Claim:
    fingerprint: str
    answer: str | None  # JSON of the first answer, or None while (or if never) answered


def fingerprint(method: str, payload: Any) -> str:
    """What makes two requests the same request: the operation and everything sent."""
    canonical = json.dumps({"method": method, "payload": payload}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


class AnswerLog:
    """`idempotency_keys` in the service's own store (its schema, or its SQLite file)."""

    def __init__(self, datastore: Any):
        self._datastore = datastore
        self._postgres = isinstance(datastore, PostgresDatastore)
        self._mark = "%s" if self._postgres else "?"
        self._table: Any = sql.SQL("{}.idempotency_keys").format(
            sql.Identifier(datastore.schema)) if self._postgres else sql.SQL("idempotency_keys")
        self._next_sweep = 0.0  # time.monotonic() of the next sweep of expired keys
        self._statements: dict[str, str] = {}
        self._create()

    def _run(self, template: str, params: tuple[Any, ...] = (), fetch: bool = False
             ) -> list[Any]:
        """One statement, committed on its own."""
        statement = self._statement(template)
        if not self._postgres:
            with self._datastore.transaction(commit=True) as curs:
                curs.execute(statement, params)
                return list(curs.fetchall()) if fetch else []
        # The pool's connections autocommit: one round trip, where a transaction block
        # would add a BEGIN and a COMMIT round trip. Prepared: run on every command.
        with self._datastore.get_connection() as conn:
            cursor = conn.execute(statement, params, prepare=True)
            return list(cursor.fetchall()) if fetch else []

    def _statement(self, template: str) -> str:
        """The template as text, composed once: sqlite3 takes only text, and psycopg
        re-composes a `sql.Composed` on every execute but caches what it makes of text."""
        found = self._statements.get(template)
        if found is None:
            found = self._statements[template] = sql.SQL(
                template.replace("?", self._mark)).format(table=self._table).as_string(None)
        return found

    def _create(self) -> None:
        at = "timestamptz" if self._postgres else "TEXT"
        statement = sql.SQL("CREATE TABLE IF NOT EXISTS {table} (caller text NOT NULL,"
                            " idempotency_key text NOT NULL, fingerprint text NOT NULL,"
                            f" answer text, claimed_at {at} NOT NULL,"
                            " PRIMARY KEY (caller, idempotency_key))").format(table=self._table)
        with self._datastore.transaction(commit=True) as curs:
            if self._postgres:  # another process of the service may be starting too
                serialise_ddl(curs, self._datastore.schema)
            curs.execute(statement if self._postgres else statement.as_string(None))

    def _time(self, at: datetime) -> Any:
        return at if self._postgres else at.isoformat()

    def claim(self, caller: str, key: str, print_: str, now: datetime) -> _Claim | None:
        """None when the key is now ours; otherwise what an earlier request left."""
        self._sweep(now)
        # One statement on the common path (a new key): an expired key is taken over in
        # place, so no DELETE has to run before each claim.
        expired = self._time(now - KEPT_FOR)
        claimed = self._run("INSERT INTO {table} (caller, idempotency_key, fingerprint,"
                            " claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT (caller,"
                            " idempotency_key) DO UPDATE SET fingerprint = excluded.fingerprint,"
                            " answer = NULL, claimed_at = excluded.claimed_at"
                            " WHERE idempotency_keys.claimed_at < ? RETURNING caller",
                            (caller, key, print_, self._time(now), expired), fetch=True)
        if claimed:
            return None
        rows = self._run("SELECT fingerprint, answer FROM {table} WHERE caller = ?"
                         " AND idempotency_key = ?", (caller, key), fetch=True)
        if not rows:  # released between the two statements: try once more
            return self.claim(caller, key, print_, now)
        return _Claim(rows[0]["fingerprint"], rows[0]["answer"])

    def _sweep(self, now: datetime) -> None:
        """Forget expired keys now and then (claims take over expired keys themselves):
        the table stays a day's worth of keys, at no cost per command."""
        if time.monotonic() < self._next_sweep:
            return
        self._next_sweep = time.monotonic() + SWEEP_EVERY
        self._run("DELETE FROM {table} WHERE claimed_at < ?", (self._time(now - KEPT_FOR),))

    def answer(self, caller: str, key: str, answer: Any) -> None:
        self._run("UPDATE {table} SET answer = ? WHERE caller = ? AND idempotency_key = ?",
                  (json.dumps(answer, default=str), caller, key))

    def release(self, caller: str, key: str) -> None:
        self._run("DELETE FROM {table} WHERE caller = ? AND idempotency_key = ?"
                  " AND answer IS NULL", (caller, key))


def once(log: Callable[[], AnswerLog], caller: str, key: str | None, method: str,
         payload: Any, run: Callable[[], Any]) -> Any:
    """`run()`'s answer, carried out at most once per caller and key."""
    if key is None:
        return run()
    if not KEY.match(key):
        raise InvalidInput("the Idempotency-Key is not valid", {"Idempotency-Key": [
            "Use 1 to 200 visible characters (letters, digits, punctuation), e.g. a UUID."]})
    answers, print_ = log(), fingerprint(method, payload)
    earlier = answers.claim(caller, key, print_, datetime.now(UTC))
    if earlier is not None:
        return _replay(earlier, print_)
    try:
        answer = run()
    except Exception as exc:
        refused = as_haven_error(exc)
        if refused is not None and (refused.http_status < 500
                                    or isinstance(refused, DeadlinePassed)):
            answers.release(caller, key)  # a refused command changed nothing
        raise
    answers.answer(caller, key, answer)
    return answer


def _replay(earlier: _Claim, print_: str) -> Any:
    if earlier.fingerprint != print_:
        raise RuleViolated("this Idempotency-Key was already used for a different request;"
                           " send a new key with a new request")
    if earlier.answer is PENDING:
        raise Conflict("the first request with this Idempotency-Key has not answered yet"
                       " (or was interrupted): look at the record before you send the request"
                       " again with a new key")
    return json.loads(earlier.answer)
