"""The service shell over real RabbitMQ RPC and a real PostgreSQL store."""

from __future__ import annotations

import dataclasses
import inspect
import json
import logging
import socket
import threading
import time
import uuid
from datetime import timedelta

import eventlet
import jwt
import psycopg
import pytest
import requests
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import get_extension
from prometheus_client import REGISTRY
from psycopg import sql

from shared import observability
from shared.auth import issue_token
from shared.config import Settings
from shared.crypto import SEAL_PREFIX
from shared.errors import (
    Conflict,
    Forbidden,
    HavenError,
    InvalidInput,
    NotFound,
    Unauthorized,
    Unavailable,
    from_remote,
)
from shared.eventstore import _conninfo, reason_context
from shared.observability import readiness, serve_observability
from shared.revocations import revocation_list
from shared.shell import ApplicationProvider, RefusalLog, entrypoint
from shared.testing.plugin import eventually
from tests.platform import tokens
from tests.platform.shell_sample import DossierService, ShellDossiers

VALID = {"full_name": "Ana Popescu", "birth_year": 1999}


@pytest.fixture
def service(start_service):
    return start_service(DossierService)


@pytest.fixture
def store(cfg):
    """An independent reader of the service's store."""
    app = ShellDossiers(cfg)
    yield app
    app.close()


@pytest.fixture
def call(rabbit_config, cfg):
    """Call the sample service as a client would; HavenErrors come back rebuilt."""

    def call(method, payload=None, token=None, **context):
        if token is not None:
            context["authorization"] = token
        with ClusterRpcProxy(rabbit_config, context_data=context) as cluster:
            try:
                return getattr(cluster.shell_dossiers, method)(payload)
            except RemoteError as exc:
                raise from_remote(exc.exc_type, exc.value) from None

    return call


def caseworker(user_id="u-17", *roles):
    return issue_token(user_id, list(roles or ("caseworker",)))


def stored_count(store) -> int:
    return store.recorder.max_notification_id() or 0


def last_refusal(cfg):
    table = sql.SQL("{}.auth_refusals").format(sql.Identifier(cfg.schema("shell_dossiers")))
    with psycopg.connect(_conninfo(cfg)) as conn:
        return conn.execute(sql.SQL("SELECT service, method, reason, user_id FROM {}"
                                    " ORDER BY id DESC LIMIT 1").format(table)).fetchone()


def metric(name, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# -- a valid call --------------------------------------------------------------------
def test_a_valid_call_stores_the_event_with_actor_role_and_reason_from_the_token(
        service, call, store):
    token = issue_token("u-17", ["auditor", "caseworker", "supervisor"])
    correlation = str(uuid.uuid4())
    result = call("register", {**VALID, "reason": "new_information",
                               "reason_detail": "walk-in at the front desk"}, token=token,
                  correlation_id=correlation, causation_id="intake:41")
    stored = store.recorder.select_events(uuid.UUID(result["dossier_id"]))
    audit = store.mapper.audit_of(stored[0])
    assert audit["actor_id"] == "u-17"
    assert audit["actor_role"] == "caseworker"  # the first of the token's roles that may
    assert audit["command"] == "register_dossier"
    assert audit["reason"] == "new_information"  # a code, in clear for auditors
    # The free text may name the person: sealed under the event's subject, and nowhere
    # in clear.
    assert audit["reason_detail"].startswith(SEAL_PREFIX)
    assert store.vault.unseal(audit["reason_detail"], reason_context(store.name)) == \
        "walk-in at the front desk"
    assert b"front desk" not in stored[0].state
    assert (audit["correlation_id"], audit["causation_id"]) == (correlation, "intake:41")
    assert audit["service"] == "shell_dossiers"
    assert store.repository.get(stored[0].originator_id).full_name == "Ana Popescu"


def test_someone_with_two_roles_acts_in_the_one_they_name_and_only_if_they_have_it(
        service, call, store, cfg):
    token = issue_token("u-17", ["caseworker", "supervisor"])
    result = call("register", VALID, token=token, acting_role="supervisor")
    stored = store.recorder.select_events(uuid.UUID(result["dossier_id"]))
    assert store.mapper.audit_of(stored[0])["actor_role"] == "supervisor"
    before = stored_count(store)
    with pytest.raises(Forbidden):  # a role the token does not give
        call("register", VALID, token=token, acting_role="auditor")
    assert last_refusal(cfg) == ("shell_dossiers", "register", "forbidden", "u-17")
    with pytest.raises(Forbidden):  # one it gives, but the operation does not allow
        call("show", {"dossier_id": result["dossier_id"]}, token=token,
             acting_role="supervisor")
    assert stored_count(store) == before


def test_a_bearer_prefix_and_a_missing_reason_are_fine(service, call, store):
    result = call("register", VALID, token=f"Bearer {caseworker()}")
    audit = store.mapper.audit_of(store.recorder.select_events(
        uuid.UUID(result["dossier_id"]))[0])
    assert audit["reason"] is None
    assert audit["correlation_id"]  # one is made up when the caller sent none


def test_a_correlation_id_that_is_not_a_uuid_is_never_stored(service, call, store):
    """Correlation and causation ids are stored in clear with every event, and kept after
    an erasure: free text there (a phone number, a name) would outlive the person."""
    result = call("register", VALID, token=caseworker(), correlation_id="+48 601 234 567",
                  causation_id="Olena Kowalska")
    audit = store.mapper.audit_of(store.recorder.select_events(
        uuid.UUID(result["dossier_id"]))[0])
    assert str(uuid.UUID(audit["correlation_id"])) == audit["correlation_id"]
    assert audit["causation_id"] is None


def test_concurrent_calls_each_act_as_their_own_caller(service, call, store):
    users = [f"u-{i}" for i in range(8)]
    pool = eventlet.GreenPool()
    results = pool.imap(lambda u: (u, call("register", VALID, token=caseworker(u))), users)
    for user, result in results:
        stored = store.recorder.select_events(uuid.UUID(result["dossier_id"]))
        assert store.mapper.audit_of(stored[0])["actor_id"] == user


# -- invalid input -------------------------------------------------------------------
def test_invalid_input_gets_a_structured_error_naming_each_field_and_stores_nothing(
        service, rabbit_config, store):
    before = stored_count(store)
    payload = {"full_name": "", "birth_year": "nineteen", "colour": "red",
               "reason_detail": "x" * 501}
    with ClusterRpcProxy(rabbit_config, context_data={"authorization": caseworker()}) as rpc:
        with pytest.raises(RemoteError) as remote:
            rpc.shell_dossiers.register(payload)
    assert remote.value.exc_type == "InvalidInput"
    body = json.loads(remote.value.value)
    assert body["code"] == "INVALID_INPUT" and body["message"]
    assert set(body["errors"]) == {"full_name", "birth_year", "colour", "reason_detail"}
    assert body["errors"]["colour"] == ["Unknown field."]
    rebuilt = from_remote(remote.value.exc_type, remote.value.value)
    assert isinstance(rebuilt, InvalidInput) and rebuilt.errors == body["errors"]
    assert stored_count(store) == before


@pytest.mark.parametrize("payload, field", [
    (None, "full_name"),
    ({"birth_year": 1999}, "full_name"),
    (["Ana Popescu", 1999], "_schema"),
    ({**VALID, "reason": 42}, "reason"),
    ({**VALID, "reason": "she said her husband hit her"}, "reason"),  # codes only
])
def test_missing_fields_and_non_object_payloads_are_invalid(service, call, store, payload, field):
    before = stored_count(store)
    with pytest.raises(InvalidInput) as invalid:
        call("register", payload, token=caseworker())
    assert field in invalid.value.errors
    assert stored_count(store) == before


def test_a_method_without_a_schema_takes_no_fields(service, call):
    with pytest.raises(InvalidInput) as invalid:
        call("crash", {"anything": 1}, token=caseworker())
    assert invalid.value.errors == {"anything": ["Unknown field."]}


# -- refused calls -------------------------------------------------------------------
def _tampered() -> str:
    header, _, signature = issue_token("u-17", ["auditor"]).split(".")
    payload = jwt.utils.base64url_encode(json.dumps(tokens.claims()).encode()).decode()
    return f"{header}.{payload}.{signature}"


def _revoked() -> str:
    token = issue_token("u-17", ["caseworker"])
    revocation_list(Settings.from_env()).revoke(
        jwt.decode(token, options={"verify_signature": False})["jti"], "sec-1",
        timedelta(hours=13))
    return token


REFUSED = [
    (lambda: None, Unauthorized, "missing", None),
    (lambda: tokens.signed(tokens.claims(iat=int(time.time()) - 3600,
                                         exp=int(time.time()) - 60)),
     Unauthorized, "expired", "u-17"),
    (lambda: issue_token("u-17", ["caseworker"], signing_key=tokens.SERVICE_SEED),
     Unauthorized, "invalid", None),
    (lambda: tokens.hs256(tokens.claims()), Unauthorized, "invalid", None),
    (_tampered, Unauthorized, "invalid", None),
    (lambda: tokens.signed(tokens.claims(exp=int(time.time()) + 30 * 24 * 3600)),
     Unauthorized, "lifetime", "u-17"),
    (_revoked, Unauthorized, "revoked", "u-17"),
    (lambda: issue_token("u-17", ["lawyer", "auditor"]), Forbidden, "forbidden", "u-17"),
]


@pytest.mark.parametrize("token, error, reason, user_id", REFUSED,
                         ids=["no-token", "expired", "a-service-key", "old-hs256-secret",
                              "tampered", "beyond-max-lifetime", "revoked", "wrong-role"])
def test_a_refused_call_stores_nothing_and_is_recorded(service, call, store, cfg, caplog,
                                                       token, error, reason, user_id):
    raw = token()
    before = stored_count(store)
    refusals = metric("haven_auth_refusals_total", service="shell_dossiers", method="register",
                      reason=reason)
    with caplog.at_level(logging.WARNING, logger="haven.shell"), pytest.raises(error):
        call("register", VALID, token=raw)
    assert stored_count(store) == before
    assert last_refusal(cfg) == ("shell_dossiers", "register", reason, user_id)
    assert metric("haven_auth_refusals_total", service="shell_dossiers", method="register",
                  reason=reason) == refusals + 1
    logged = json.loads(next(r.getMessage() for r in caplog.records
                             if "rpc_refused" in r.getMessage()))
    assert logged == {"event": "rpc_refused", "service": "shell_dossiers", "method": "register",
                      "reason": reason, "user_id": user_id}
    if raw:
        assert raw not in caplog.text


def test_the_refusal_log_is_readable_by_security_staff(cfg, tmp_path):
    """Same table on both stores: PostgreSQL here, SQLite in embedded mode."""
    for store_cfg in (cfg, dataclasses.replace(cfg, store="sqlite", data_dir=tmp_path)):
        app = ShellDossiers(store_cfg)
        try:
            log = RefusalLog.of(app)
            log.record("shell_dossiers", "register", "expired", "u-3")
            log.record("shell_dossiers", "show", "invalid", None)
            latest, previous = log.recent(2)
            assert (latest.method, latest.reason, latest.user_id) == ("show", "invalid", None)
            assert (previous.reason, previous.user_id) == ("expired", "u-3")
            assert latest.at.tzinfo is not None
        finally:
            app.close()


# -- the one error contract ----------------------------------------------------------
def test_an_unknown_aggregate_is_not_found(service, call):
    with pytest.raises(NotFound):
        call("show", {"dossier_id": str(uuid.uuid4())}, token=caseworker())


def test_a_concurrent_save_of_the_same_version_is_a_conflict(service, call, store):
    dossier_id = call("register", VALID, token=caseworker())["dossier_id"]
    with pytest.raises(Conflict):
        call("add_note_racing", {"dossier_id": dossier_id}, token=caseworker())
    assert call("show", {"dossier_id": dossier_id}, token=caseworker())["notes"] == 1


CRASH_CORRELATION = str(uuid.uuid4())


def test_an_unexpected_error_is_a_generic_500_that_leaks_no_personal_data(service, call,
                                                                          caplog):
    with caplog.at_level(logging.DEBUG), pytest.raises(HavenError) as failed:
        call("crash", token=caseworker(), correlation_id=CRASH_CORRELATION)
    assert type(failed.value) is HavenError
    assert failed.value.to_dict() == {"code": "ERROR", "message": "unexpected error"}
    assert "Popescu" not in caplog.text and "old mill" not in caplog.text
    logged = next(json.loads(r.getMessage()) for r in caplog.records
                  if "rpc_failed" in r.getMessage())
    assert logged["error_type"] == "RuntimeError"
    assert logged["correlation_id"] == CRASH_CORRELATION


def test_a_database_that_gives_up_is_503_unavailable_not_500(service, call, store):
    before = stored_count(store)
    with pytest.raises(Unavailable) as failed:
        call("register_while_the_database_stalls", token=caseworker())
    assert failed.value.http_status == 503
    assert stored_count(store) == before


def test_an_answer_with_personal_data_is_never_kept_under_an_idempotency_key(service, call):
    """Kept, it would sit in clear beside the store, outlive an erasure and come back to a
    caller whose access was withdrawn, without the check and without the access log."""
    dossier = call("register", VALID, token=caseworker())["dossier_id"]
    key = str(uuid.uuid4())
    assert call("show_name", {"dossier_id": dossier}, token=caseworker(),
                idempotency_key=key) == {"full_name": VALID["full_name"]}
    # Nothing was claimed under the key: the caller's next command may use it.
    assert call("register", VALID, token=caseworker(), idempotency_key=key)["dossier_id"]


# -- the caller's deadline (shared.deadline) ------------------------------------------------
def events_in(store) -> int:
    """Counted, not the highest id: a rolled-back insert elsewhere leaves a gap in the ids."""
    return len(store.recorder.select_notifications(1, 10**6))


def test_a_request_taken_after_its_deadline_is_refused_and_keeps_no_key(service, call, store):
    before, key = events_in(store), str(uuid.uuid4())
    with pytest.raises(Unavailable) as late:
        call("register", VALID, token=caseworker(), deadline=time.time() - 1,
             idempotency_key=key)
    assert "nothing was done" in late.value.message
    assert events_in(store) == before
    # The key was not kept: the client's retry under it is carried out, not refused (409).
    again = call("register", VALID, token=caseworker(), deadline=time.time() + 60,
                 idempotency_key=key)
    assert again["dossier_id"] and events_in(store) == before + 1


def test_a_command_whose_deadline_passes_before_it_saves_stores_nothing(service, call, store):
    before = events_in(store)
    with pytest.raises(Unavailable):
        call("register_slowly", VALID, token=caseworker(), deadline=time.time() + 0.5)
    assert events_in(store) == before
    answered = call("register_slowly", VALID, token=caseworker())  # no deadline: no limit
    assert answered["dossier_id"] and events_in(store) == before + 1


def test_stopping_the_service_closes_its_application(service):
    provider = get_extension(service, ApplicationProvider)
    assert provider.app is not None
    service.stop()
    assert provider.app is None


def test_the_wire_signature_is_one_payload():
    params = list(inspect.signature(DossierService.register).parameters)
    assert params == ["self", "payload"]


def test_an_entrypoint_with_an_unknown_role_is_a_programming_error():
    with pytest.raises(ValueError):
        entrypoint(roles=("janitor",))


# -- metrics and health --------------------------------------------------------------
OUTCOMES = [
    ("register", VALID, lambda: caseworker(), "ok"),
    ("register", {}, lambda: caseworker(), "invalid"),
    ("register", VALID, lambda: None, "unauthorized"),
    ("register", VALID, lambda: caseworker("u-1", "lawyer"), "forbidden"),
    ("show", {"dossier_id": str(uuid.uuid4())}, lambda: caseworker(), "not_found"),
    ("crash", None, lambda: caseworker(), "error"),
]


@pytest.mark.parametrize("method, payload, token, outcome", OUTCOMES,
                         ids=[o[-1] for o in OUTCOMES])
def test_metrics_count_each_call_by_outcome(service, call, method, payload, token, outcome):
    labels = {"service": "shell_dossiers", "method": method, "outcome": outcome}
    calls = metric("haven_rpc_calls_total", **labels)
    timed = metric("haven_rpc_latency_seconds_count", **labels)
    try:
        call(method, payload, token=token())
    except HavenError:
        pass
    # The worker records its metrics just after it has sent the reply.
    eventually(lambda: metric("haven_rpc_calls_total", **labels) == calls + 1)
    assert metric("haven_rpc_latency_seconds_count", **labels) == timed + 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_health_ready_and_metrics_answer_over_http(service, call, cfg):
    call("register", VALID, token=caseworker())
    port = _free_port()
    stop = serve_observability(port, readiness(cfg, "shell_dossiers"), host="127.0.0.1")
    try:
        base = f"http://127.0.0.1:{port}"
        assert requests.get(f"{base}/health", timeout=5).json() == {"status": "up"}
        ready = requests.get(f"{base}/ready", timeout=5)
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"broker": True, "store": True}
        scraped = requests.get(f"{base}/metrics", timeout=5).text
        assert 'haven_rpc_calls_total{method="register",outcome="ok",service="shell_dossiers"}' \
            in scraped
        assert requests.get(f"{base}/nothing", timeout=5).status_code == 404
    finally:
        stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/health", timeout=5)


def test_not_ready_when_the_broker_or_the_store_cannot_be_reached(cfg):
    closed = _free_port()
    unreachable = dataclasses.replace(
        cfg, amqp_uri=f"amqp://guest:guest@127.0.0.1:{closed}/",
        postgres_url=f"postgresql://postgres@127.0.0.1:{closed}/postgres")
    port = _free_port()
    stop = serve_observability(port, readiness(unreachable, "shell_dossiers"), host="127.0.0.1")
    try:
        ready = requests.get(f"http://127.0.0.1:{port}/ready", timeout=10)
        assert ready.status_code == 503
        assert ready.json() == {"status": "not ready",
                                "checks": {"broker": False, "store": False}}
    finally:
        stop()


def test_port_zero_serves_nothing(monkeypatch):
    def no_server(*args, **kwargs):
        raise AssertionError("port 0 must not start a server")

    monkeypatch.setattr(observability, "make_server", no_server)
    stop = serve_observability(0, None)
    assert "haven-observability" not in {t.name for t in threading.enumerate()}
    stop()  # has nothing to stop, and says nothing about it


def test_a_client_error_is_logged_as_one_warning_without_traceback():
    import logging
    import sys

    from shared.errors import InvalidInput, NotFound
    from shared.observability import ClientErrorsAreNotFaults

    def record_for(exc: Exception) -> logging.LogRecord:
        try:
            raise exc
        except Exception:  # noqa: BLE001 - any exception: the filter is what is tested
            info = sys.exc_info()
        return logging.LogRecord("nameko.containers", logging.ERROR, __file__, 1,
                                 "error handling worker %s", ("w",), info)

    quiet = ClientErrorsAreNotFaults()
    for client_error in (InvalidInput(), NotFound()):
        record = record_for(client_error)
        assert quiet.filter(record)
        assert record.levelno == logging.WARNING and record.exc_info is None
    fault = record_for(RuntimeError("boom"))
    assert quiet.filter(fault)
    assert fault.levelno == logging.ERROR and fault.exc_info is not None
