"""The shell every nameko service wears: who is calling, may they, is the input valid,
and one error contract on the way out.

    class IntakeService:
        name = "intake"
        app = ApplicationProvider(Intake)
        metrics = Metrics()

        @rpc
        @entrypoint(roles=("helpline_operator",), schema=LogContactSchema)
        def log_contact(self, ctx, data):
            return self.app.log_contact(ctx, **data)

Callers send `method(payload)` with the token in nameko's context data under
"authorization"; "correlation_id" and "causation_id" are optional.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

import jwt
from eventsourcing.postgres import PostgresDatastore
from marshmallow import RAISE, Schema, ValidationError
from nameko.extensions import DependencyProvider
from psycopg import sql

from shared import deadline
from shared.audit import CommandContext, acting_as
from shared.audit import correlation_id as audit_correlation_id
from shared.auth import (
    LEEWAY_SECONDS,
    ROLES,
    Principal,
    Revoked,
    TokenRefused,
    authenticate,
    bearer,
    revocation_check,
)
from shared.config import Settings, settings
from shared.errors import Forbidden, HavenError, InvalidInput, as_haven_error
from shared.eventstore import HavenApplication, serialise_ddl
from shared.fields import code, text
from shared.idempotency import AnswerLog, once
from shared.metrics import AUTH_REFUSALS
from shared.observability import Metrics
from shared.vocabulary import ChangeReason

__all__ = ["MAX_REASON", "ApplicationProvider", "EntrypointSpec", "Metrics", "Refusal",
           "RefusalLog", "TokenGuard", "entrypoint", "haven_error", "record_refusal"]

_log = logging.getLogger("haven.shell")
MAX_REASON = 500


@dataclass(frozen=True)
class _Call:
    """What the shell knows about the RPC a worker is running."""

    service: str
    method: str
    context_data: Mapping[str, Any]
    settings: Settings
    refusals: RefusalLog
    answers: Callable[[], AnswerLog]  # the Idempotency-Key answers, made on first use


# Each nameko worker runs in its own greenlet, and a greenlet starts with an empty
# contextvars context: concurrent calls never see each other's call.
_current_call: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "haven_current_call", default=None)


class ApplicationProvider(DependencyProvider):
    """One HavenApplication per container, injected as is; it also owns the refusal log."""

    def __init__(self, app_cls: type[HavenApplication] | None) -> None:
        self.app_cls = app_cls
        self.app: HavenApplication | None = None

    def setup(self) -> None:
        self.settings = settings()
        assert self.app_cls is not None, "a provider without a class builds in its own setup"
        self.app = self.app_cls(self.settings)
        self.refusals = RefusalLog.of(self.app)

    def stop(self) -> None:
        self._close()

    def kill(self) -> None:
        self._close()

    def _close(self) -> None:
        if self.app is not None:
            self.app.close()
            self.app = None

    def get_dependency(self, worker_ctx: Any) -> HavenApplication | None:
        return self.app

    _answers: AnswerLog | None = None

    def answers(self) -> AnswerLog:
        """Where the first answers to callers' Idempotency-Keys are kept: the service's store."""
        if self._answers is None:
            assert self.app is not None
            self._answers = AnswerLog(self.app.recorder.datastore)  # type: ignore[attr-defined]
        return self._answers

    def worker_setup(self, worker_ctx: Any) -> None:
        _current_call.set(_Call(self.container.service_name, worker_ctx.entrypoint.method_name,
                                worker_ctx.data, self.settings, self.refusals, self.answers))

    def worker_teardown(self, worker_ctx: Any) -> None:
        _current_call.set(None)


@dataclass(frozen=True)
class EntrypointSpec:
    """Kept on the wrapped method, for tools that describe the API (e.g. the gateway)."""

    roles: tuple[str, ...] | None  # None: the service's policy table names them
    schema: type[Schema] | None
    command: str
    output: type[Schema] | None = None


def entrypoint(roles: tuple[str, ...] | None = None, schema: type[Schema] | None = None,
               command: str | None = None, output: type[Schema] | None = None,
               ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Authenticate, authorise, validate, then call `method(self, ctx, data)`.

    Goes under nameko's `@rpc`; the wire signature becomes `method(payload=None)`. Without
    `roles`, the service class's `policy` table names them, by the RPC's name.
    """
    unknown = set(roles or ()) - set(ROLES)
    if roles is not None and (not roles or unknown):
        raise ValueError(f"entrypoint needs known roles, got {sorted(roles)}")

    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        spec = EntrypointSpec(tuple(roles) if roles else None, schema,
                              command or method.__name__, output)

        def handle(self: Any, payload: Any = None) -> Any:
            call = _current_call.get()
            if call is None:
                _log.error("%s.%s uses @entrypoint but its service declares no "
                           "ApplicationProvider", type(self).__name__, method.__name__)
                raise HavenError()
            correlation_id = audit_correlation_id(call.context_data.get("correlation_id"))
            try:
                allowed = spec.roles or type(self).policy.roles(call.method)
                principal, role = _authorise(call, allowed)
                why, data = _validated(payload, spec.schema)
                ctx = CommandContext(actor_id=principal.user_id, actor_role=role,
                                     command=spec.command, correlation_id=correlation_id,
                                     causation_id=_text(call.context_data, "causation_id"),
                                     **why)
                with acting_as(ctx), deadline.until(
                        deadline.parse(call.context_data.get(deadline.CONTEXT_KEY))):
                    deadline.check()  # a request taken after its caller gave up: not begun
                    return once(call.answers, principal.user_id,
                                _replay_key(type(self), call), call.method, payload,
                                lambda: method(self, ctx, data))
            except Exception as exc:  # noqa: BLE001 - the one place errors are mapped
                # `from None`: the original's text may hold personal data; callers and
                # nameko's own error log get only the mapped error.
                raise haven_error(exc, call, correlation_id) from None

        # Not functools.wraps: its __wrapped__ would make inspect report (self, ctx, data)
        # instead of the wire signature.
        handle.__name__, handle.__qualname__ = method.__name__, method.__qualname__
        handle.__doc__, handle.__module__ = method.__doc__, method.__module__
        handle.haven_entrypoint = spec  # type: ignore[attr-defined]
        return handle

    return decorate


def _replay_key(service: type, call: _Call) -> str | None:
    """The caller's Idempotency-Key, unless the policy says the call answers with personal
    data: such an answer is never kept to be replayed (it would sit in clear beside the
    store, outlive an erasure, and come back without the access check and the access log).
    A read needs no key anyway: asked again, it is simply read again."""
    policy = getattr(service, "policy", None)
    if policy is not None and call.method in policy and policy[call.method].personal:
        return None
    return call.context_data.get(IDEMPOTENCY_KEY)


def _text(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return str(value) if value else None


# -- who may call ------------------------------------------------------------------
# The RPC context keys a caller's choices travel in: the role they act in (the gateway's
# X-Haven-Role header) and their command's Idempotency-Key.
ACTING_ROLE = "acting_role"
IDEMPOTENCY_KEY = "idempotency_key"


def _authorise(call: _Call, allowed: tuple[str, ...]) -> tuple[Principal, str]:
    """The caller and the role they act in: the one they name, else the first of their
    roles that `allowed` accepts. Someone with two roles chooses: a caseworker who is a
    supervisor as well reads the supervisors' inbox by naming that role."""
    try:
        principal = verified(bearer(call.context_data.get("authorization")),
                             call.settings.token_public_key, revocation_check(call.settings))
    except TokenRefused as refused:
        _refuse(call, refused.reason, refused.user_id)
        raise refused.as_error() from None
    wanted = call.context_data.get(ACTING_ROLE)
    if wanted and wanted not in principal.roles:
        _refuse(call, "forbidden", principal.user_id)
        raise Forbidden(f"your token does not give you the role {wanted}")
    role = next((r for r in ((wanted,) if wanted else principal.roles) if r in allowed), None)
    if role is None:
        _refuse(call, "forbidden", principal.user_id)
        raise Forbidden(f"{call.method} needs one of the roles: {', '.join(allowed)}")
    return principal, role


class _VerifiedTokens:
    """Tokens whose signature this process has already checked. A caller sends one token
    with every request, and its Ed25519 check cost about 0.2 ms each time, in the gateway
    and again in the service (5 % of either's CPU under POST /contacts). Expiry and
    revocation are still checked on every request; anything else goes the full way, so a
    refusal names its reason as before."""

    SIZE = 4096  # distinct tokens kept, per process: a shift's staff, many times over

    def __init__(self) -> None:
        self._known: dict[tuple[str, bytes], tuple[Principal, float, str]] = {}

    def principal(self, token: str | None, key: bytes | None, revoked: Revoked
                  ) -> Principal | None:
        known = self._known.get((token, key)) if token and key else None
        if known is None:
            return None
        principal, valid_until, jti = known
        if time.time() >= valid_until or revoked(jti):
            return None
        return principal

    def remember(self, token: str, key: bytes, principal: Principal) -> None:
        # Verified a moment ago by authenticate(): reading its claims again needs no check.
        claims = jwt.decode(token, options={"verify_signature": False})
        if len(self._known) >= self.SIZE:
            self._known.clear()
        # PyJWT accepts a token until `exp` plus the leeway it is given.
        self._known[(token, key)] = (principal, float(claims["exp"]) + LEEWAY_SECONDS,
                                     str(claims["jti"]))


_tokens = _VerifiedTokens()


def verified(token: str | None, key: bytes | None, revoked: Revoked) -> Principal:
    """authenticate(token, key, revoked), checking each token's signature once per process."""
    known = _tokens.principal(token, key, revoked)
    if known is not None:
        return known
    principal = authenticate(token, key, revoked)
    if token and key:
        _tokens.remember(token, key, principal)
    return principal


def _refuse(call: _Call, reason: str, user_id: str | None) -> None:
    record_refusal(call.refusals, call.service, call.method, reason, user_id)


def record_refusal(refusals: RefusalLog, service: str, method: str, reason: str,
                   user_id: str | None) -> None:
    """Counted, logged and stored: every refused call, by a service or by the gateway."""
    AUTH_REFUSALS.labels(service, method, reason).inc()
    _log.warning(json.dumps({"event": "rpc_refused", "service": service, "method": method,
                             "reason": reason, "user_id": user_id}, sort_keys=True))
    try:
        refusals.record(service, method, reason, user_id)
    except Exception as exc:  # noqa: BLE001 - the caller is refused either way
        _log.error("could not record a refusal for %s.%s: %s", service, method,
                   type(exc).__name__)


# -- is the input valid ------------------------------------------------------------
@cache
def schema_instance(schema_cls: type[Schema]) -> Schema:
    """One instance per schema class, reused by every call: building a schema deep-copies
    its declared fields (and a Nested field builds its own schema once per instance), about
    a fifth of an embedded read's CPU. Haven's schemas keep no per-call state (marshmallow 4
    has no context), so one instance serves every call."""
    return schema_cls()


class _NoInput(Schema):
    """For methods without a schema: any field is an unknown field."""


class _Why(Schema):
    """Why a command is issued: a code stored in clear with its events, and optional free
    text stored only sealed under the person the change concerns."""

    reason = code(ChangeReason, load_default=None)
    reason_detail = text(MAX_REASON, load_default=None)


def _validated(payload: Any, schema: type[Schema] | None) -> tuple[dict[str, Any], Any]:
    """(why, loaded data); raises InvalidInput naming every bad field."""
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise InvalidInput(errors={"_schema": ["The payload must be a JSON object."]})
    data = dict(payload)
    why_fields = {k: data.pop(k) for k in ("reason", "reason_detail") if k in data}
    errors: dict[str, Any] = {}
    why: dict[str, Any] = {}
    loaded: Any = None
    for schema_cls, given in ((_Why, why_fields), (schema or _NoInput, data)):
        try:
            result = schema_instance(schema_cls).load(given, unknown=RAISE)
        except ValidationError as exc:
            messages = exc.messages
            errors.update(messages if isinstance(messages, dict) else {"_schema": messages})
            continue
        if schema_cls is _Why:
            why = result
        else:
            loaded = result
    if errors:
        raise InvalidInput(errors=errors)
    return why, loaded


# -- one error contract ------------------------------------------------------------
def haven_error(exc: Exception, call: _Call, correlation_id: str) -> HavenError:
    """The HavenError a caller sees for whatever a command raised."""
    mapped = as_haven_error(exc)
    if mapped is not None:
        return mapped
    # Type and place only: the message may quote personal data.
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    where = f"{tb.tb_frame.f_code.co_filename}:{tb.tb_lineno}" if tb else "?"
    _log.error(json.dumps({"event": "rpc_failed", "service": call.service,
                           "method": call.method, "error_type": type(exc).__name__,
                           "at": where, "correlation_id": correlation_id}, sort_keys=True))
    return HavenError()


# -- the refusal log ---------------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    service: str
    method: str
    reason: str  # missing / expired / invalid / lifetime / revoked / forbidden ...
    user_id: str | None
    at: datetime


class RefusalLog:
    """`auth_refusals` in the service's own store, for security staff to review.

    Written through the application's own datastore (its pool, its schema or file),
    outside any event transaction: a refused call stores nothing else.
    """

    def __init__(self, datastore: Any):
        self._datastore = datastore
        self._postgres = isinstance(datastore, PostgresDatastore)
        if self._postgres:
            self._table: Any = sql.SQL("{}.auth_refusals").format(
                sql.Identifier(datastore.schema))
            self._mark = "%s"
        else:
            self._table, self._mark = sql.SQL("auth_refusals"), "?"
        self._create_table()

    @classmethod
    def of(cls, app: HavenApplication) -> RefusalLog:
        return cls(app.recorder.datastore)  # type: ignore[attr-defined]

    def _sql(self, template: str) -> Any:
        statement = sql.SQL(template.replace("?", self._mark)).format(table=self._table)
        # sqlite3 takes plain strings; the table name is a fixed identifier there.
        return statement if self._postgres else statement.as_string(None)

    def _create_table(self) -> None:
        key = "id bigserial PRIMARY KEY" if self._postgres else "id INTEGER PRIMARY KEY"
        at = "timestamptz" if self._postgres else "TEXT"
        with self._datastore.transaction(commit=True) as curs:
            if self._postgres:
                serialise_ddl(curs, self._datastore.schema)
            curs.execute(self._sql(
                f"CREATE TABLE IF NOT EXISTS {{table}} ({key}, service text NOT NULL,"
                f" method text NOT NULL, reason text NOT NULL, user_id text, at {at} NOT NULL)"))

    def record(self, service: str, method: str, reason: str, user_id: str | None) -> None:
        now = datetime.now(UTC)
        with self._datastore.transaction(commit=True) as curs:
            curs.execute(self._sql("INSERT INTO {table} (service, method, reason, user_id, at)"
                                   " VALUES (?, ?, ?, ?, ?)"),
                         (service, method, reason, user_id,
                          now if self._postgres else now.isoformat()))

    def recent(self, limit: int = 100) -> list[Refusal]:
        """The latest refusals, newest first."""
        with self._datastore.transaction(commit=False) as curs:
            curs.execute(self._sql("SELECT service, method, reason, user_id, at FROM {table}"
                                   " ORDER BY id DESC LIMIT ?"), (limit,))
            rows = curs.fetchall()
        return [Refusal(r["service"], r["method"], r["reason"], r["user_id"],
                        r["at"] if self._postgres else datetime.fromisoformat(r["at"]))
                for r in rows]


class TokenGuard(DependencyProvider):
    """The gateway's early check of a caller's token: the same verification as a service's
    (public key, revocation list), and every refusal recorded like a service's, in the
    `auth` store's `auth_refusals` (the gateway keeps no store of its own).

        guard = TokenGuard()
        ...
        self.guard(token, "log_contact")   # the Principal, or Unauthorized after recording
    """

    def setup(self) -> None:
        from shared.revocations import auth_store

        self.settings = settings()
        self.refusals = RefusalLog(auth_store(self.settings))

    def get_dependency(self, worker_ctx: Any) -> Callable[[str | None, str], Principal]:
        def check(token: str | None, method: str) -> Principal:
            try:
                return verified(token, self.settings.token_public_key,
                                revocation_check(self.settings))
            except TokenRefused as refused:
                record_refusal(self.refusals, self.container.service_name, method,
                               refused.reason, refused.user_id)
                raise refused.as_error() from None

        return check

