"""docker-compose.yml and deploy/k8s/ follow the manifest (shared/deploy_files.py).

The checked-in files are exactly what `make deploy-files` writes, and a new manifest entry
is all it takes to deploy a new service, its relay included.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.deploy_files import (
    COMPOSE,
    ENV_EXAMPLE,
    KUSTOMIZATION,
    SECRET_TEMPLATE,
    SERVICE_FILES,
    SETUP,
    render,
    stale,
    sync,
)
from shared.manifest import Manifest, Service, manifest
from tests.test_deploy_files import _run, _tool

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"


def _with_outreach(**kind: Any) -> Manifest:
    outreach = Service("outreach", service="services.outreach.service:OutreachService",
                      summary="prevention work: trainings, seminars", **kind)
    return Manifest(*manifest(), outreach)


def _store(**kind: Any) -> Manifest:
    return _with_outreach(application="services.outreach.application:Outreach", relay=True,
                         unseals=True, **kind)


def _objects(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(text)}


def _env(deployment: dict[str, Any]) -> set[str]:
    """The HAVEN_* settings a Deployment's process gets (not the passwords its URLs are
    built from)."""
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {variable["name"] for variable in container["env"]
            if variable["name"].startswith("HAVEN_")}


def _checkout(tmp_path: Path, files: dict[str, str]) -> Path:
    """A repository root holding deploy/k8s/base/ and the given generated files."""
    shutil.copytree(K8S / "base", tmp_path / "deploy" / "k8s" / "base")
    for path, text in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    return tmp_path


def test_checked_in_deployment_files_are_what_the_manifest_generates():
    out_of_date = stale(ROOT, manifest())
    assert not out_of_date, f"stale {out_of_date}: run `make deploy-files` and commit the result"


def test_the_check_names_each_stale_file_and_the_command_to_run(tmp_path, capsys):
    root = _checkout(tmp_path, render(manifest()))
    assert sync(check=True, root=root) == 0
    (root / COMPOSE).write_text((root / COMPOSE).read_text() + "# edited by hand\n")
    (root / SERVICE_FILES / "retired.yaml").write_text("")
    assert sync(check=True, root=root) == 1
    errors = capsys.readouterr().err
    assert f"stale: {COMPOSE}" in errors and f"stale: {SERVICE_FILES}/retired.yaml" in errors
    assert "make deploy-files" in errors


def test_writing_mends_stale_files_and_drops_those_of_removed_services(tmp_path):
    root = _checkout(tmp_path, {**render(manifest()), f"{SERVICE_FILES}/retired.yaml": ""})
    (root / COMPOSE).write_text("")
    assert sync(check=False, root=root) == 0
    assert not (root / SERVICE_FILES / "retired.yaml").exists()
    assert stale(root, manifest()) == []


def test_a_new_manifest_entry_changes_only_generated_files():
    before, after = render(manifest()), render(_store())
    changed = {path for path, text in after.items() if before.get(path) != text}
    # and its credentials: the .env example, the Secret template, the setup's steps
    assert changed == {COMPOSE, KUSTOMIZATION, f"{SERVICE_FILES}/outreach.yaml", ENV_EXAMPLE,
                       SECRET_TEMPLATE, SETUP}
    assert before.keys() <= after.keys()


@pytest.mark.parametrize("relay", [True, False], ids=["with relay", "without relay"])
def test_a_new_store_gets_its_process_and_relay_in_compose(relay):
    processes = yaml.safe_load(render(_with_outreach(
        application="services.outreach.application:Outreach", relay=relay))[COMPOSE])["services"]
    assert processes["outreach"]["command"] == ["run", "outreach"]
    assert processes["outreach"]["depends_on"].keys() == {"postgres", "rabbitmq", "db-grants"}
    assert "haven db grants outreach --apply" in processes["db-grants"]["command"][0]
    assert processes["outreach"]["environment"]["HAVEN_POSTGRES_URL"].startswith(
        "postgresql://haven_outreach:")
    assert ("outreach-relay" in processes) is relay
    if relay:
        assert processes["outreach-relay"]["command"] == ["relay", "outreach"]
        assert processes["outreach-relay"]["depends_on"]["outreach"] == {
            "condition": "service_healthy"}


@pytest.mark.parametrize("relay", [True, False], ids=["with relay", "without relay"])
def test_a_new_store_gets_its_kubernetes_file_listed_in_the_kustomization(relay):
    files = render(_with_outreach(application="services.outreach.application:Outreach",
                                 relay=relay))
    objects = _objects(files[f"{SERVICE_FILES}/outreach.yaml"])
    deployments = {name for kind, name in objects if kind == "Deployment"}
    assert deployments == ({"outreach", "outreach-relay"} if relay else {"outreach"})
    assert ("PodDisruptionBudget", "outreach") in objects  # 2 replicas by default
    assert ("HorizontalPodAutoscaler", "outreach") in objects
    assert ("HorizontalPodAutoscaler", "outreach-relay") not in objects  # one relay at a time
    assert "services/outreach.yaml" in yaml.safe_load(files[KUSTOMIZATION])["resources"]


@pytest.mark.parametrize(("replicas", "floor"), [(1, 2), (2, 2), (4, 4)])
def test_an_entry_may_raise_the_autoscalers_floor_but_not_below_two(replicas, floor):
    objects = _objects(render(_with_outreach(replicas=replicas))[f"{SERVICE_FILES}/outreach.yaml"])
    scaler = objects["HorizontalPodAutoscaler", "outreach"]["spec"]
    assert scaler["minReplicas"] == floor and scaler["maxReplicas"] > floor
    assert objects["PodDisruptionBudget", "outreach"]["spec"]["minAvailable"] < floor
    assert "replicas" not in objects["Deployment", "outreach"]["spec"]


def test_only_a_service_that_unseals_gets_the_data_keys():
    keys = {"HAVEN_MASTER_KEY", "HAVEN_BLIND_INDEX_KEY"}
    for unseals in (True, False):
        files = render(_with_outreach(application="services.outreach.application:Outreach",
                                     relay=True, unseals=unseals))
        processes = yaml.safe_load(files[COMPOSE])["services"]
        objects = _objects(files[f"{SERVICE_FILES}/outreach.yaml"])
        for name in ("outreach", "outreach-relay"):
            assert (keys <= processes[name]["environment"].keys()) is unseals, name
            assert (keys <= _env(objects["Deployment", name])) is unseals, name


def test_a_new_front_gets_no_store_no_keys_and_no_relay():
    files = render(_with_outreach())
    process = yaml.safe_load(files[COMPOSE])["services"]["outreach"]
    # PostgreSQL only for the revocation list, as its own role: no store, no key store
    assert process["depends_on"].keys() == {"postgres", "rabbitmq", "db-roles"}
    assert set(process["environment"]) == {"HAVEN_ENV", "HAVEN_METRICS_PORT", "HAVEN_AMQP_URI",
                                           "HAVEN_TOKEN_PUBLIC_KEY", "HAVEN_POSTGRES_URL"}
    assert process["environment"]["HAVEN_AMQP_URI"].startswith("amqp://haven-outreach:")
    assert process["environment"]["HAVEN_POSTGRES_URL"].startswith(
        "postgresql://haven_outreach:")
    objects = _objects(files[f"{SERVICE_FILES}/outreach.yaml"])
    assert _env(objects["Deployment", "outreach"]) == {"HAVEN_AMQP_URI", "HAVEN_POSTGRES_URL",
                                                       "HAVEN_TOKEN_PUBLIC_KEY"}
    assert ("Deployment", "outreach-relay") not in objects


def test_the_files_of_a_new_service_pass_the_validators(tmp_path):
    root = _checkout(tmp_path, render(_store()))
    compose = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                   str(root / COMPOSE))
    assert compose.returncode == 0, compose.stdout + compose.stderr
    k8s = _run(_tool("kubernetes-validate"), "--strict", "--quiet",
               str(root / SERVICE_FILES / "outreach.yaml"))
    assert k8s.returncode == 0, k8s.stdout + k8s.stderr


def test_the_kustomization_lists_every_manifest_but_the_secret_template():
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert all((K8S / path).is_file() for path in listed), listed
    present = {str(p.relative_to(K8S)) for p in K8S.rglob("*.yaml")}
    assert present - set(listed) == {"kustomization.yaml", "base/secret.template.yaml"}


# --- the generated database setup, run against the real PostgreSQL -------------------------


def _start_as_writer(service: str) -> None:
    """Run in a process of its own (its pools die with it): a store as deployed, connecting
    as its writer role with HAVEN_POSTGRES_LEAST_PRIVILEGE=1 (settings from the environment)."""
    import psycopg

    from shared.config import settings
    from shared.eventstore import HavenApplication, _conninfo
    from shared.revocations import revocation_list

    cfg = settings()
    app = type("Deployed", (HavenApplication,), {"name": service})(cfg)
    assert app.recorder.max_notification_id() in (None, 0)
    assert revocation_list(cfg).is_revoked("no-such-token") is False  # auth.revoked_tokens
    with psycopg.connect(_conninfo(cfg)) as conn:
        try:
            conn.execute(f'UPDATE "{service}"."{service}_events" SET topic = topic')
        except psycopg.errors.InsufficientPrivilege:
            print("UPDATE refused")
    app.close()


def _start_as_front() -> None:
    """A front (the gateway) as deployed: its own role reads the revocation list and keeps
    its refusal log (schema auth), and there is nothing else it could touch."""
    from shared.config import settings
    from shared.revocations import auth_store, revocation_list
    from shared.shell import RefusalLog

    cfg = settings()
    assert revocation_list(cfg).is_revoked("no-such-token") is False
    RefusalLog(auth_store(cfg)).record("front", "call", "invalid", None)
    print("front ok")


def _run_as(code: str, env: dict[str, str]) -> str:
    import subprocess
    import sys

    ran = subprocess.run([sys.executable, "-c", f"from tests import test_deploy_generated as t;"
                          f" {code}"], capture_output=True, text=True, timeout=120, cwd=ROOT,
                         env=env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    return ran.stdout


def test_the_generated_database_setup_starts_a_store_as_its_writer_role(tmp_path):
    """db-roles' psql script and db-grants' commands, exactly as generated, in a database of
    their own: a store then starts as its writer role (key store and revocation list
    included) and cannot UPDATE its events; the auditor role reads but cannot write."""
    import subprocess
    import uuid
    from urllib.parse import urlparse, urlunparse

    import psycopg

    from shared.config import Settings
    from shared.deploy_files import (
        AUDITOR,
        KEYS,
        database_logins,
        grant_commands,
        roles_script,
        store_login,
    )
    from shared.eventstore import _conninfo
    from shared.testing import haven_script

    psql = shutil.which("psql")
    assert psql, "psql (PostgreSQL 15 or later, for \\getenv) is needed to run the setup"
    tag = uuid.uuid4().hex[:8]
    service, front = f"dpl{tag}", f"dplfront{tag}"
    m = Manifest(Service(service, "DeployedService", application="Deployed"),
                 Service(front, "FrontService", http=True))
    admin = Settings.from_env()
    url = urlparse(admin.postgres_url)
    database = f"deploy_{tag}"

    def url_as(user: str) -> str:
        return urlunparse(url._replace(netloc=f"{user}@{url.hostname}:{url.port or 5432}",
                                       path=f"/{database}"))

    admin_url = urlunparse(url._replace(path=f"/{database}"))
    base = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    passwords = {login.variable: f"pw-{tag}-{login.variable.lower()}" for login in
                 database_logins(m)}
    with psycopg.connect(_conninfo(admin), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    try:
        for _ in range(2):  # every deploy runs it again: idempotent
            roles = subprocess.run(["/bin/sh", "-ec", roles_script(m)], capture_output=True,
                                   text=True, timeout=60,
                                   env={**base, **passwords, "POSTGRES_ADMIN_URL": admin_url})
            assert roles.returncode == 0, roles.stderr
            for command in grant_commands(m):
                granted = subprocess.run(
                    [haven_script(), *command], capture_output=True, text=True, timeout=120,
                    env={**base, "HAVEN_ENV": "production", "HAVEN_STORE": "postgres",
                         "HAVEN_POSTGRES_URL": admin_url,
                         "HAVEN_KEYS_POSTGRES_URL": url_as(KEYS.user)})
                assert granted.returncode == 0, granted.stdout + granted.stderr
        started = _run_as(f"t._start_as_writer({service!r})", {
            **base, "HAVEN_ENV": "development", "HAVEN_STORE": "postgres",
            "HAVEN_POSTGRES_LEAST_PRIVILEGE": "1",
            "HAVEN_POSTGRES_URL": url_as(store_login(service).user),
            "HAVEN_KEYS_POSTGRES_URL": url_as(KEYS.user)})
        assert "UPDATE refused" in started
        assert "front ok" in _run_as("t._start_as_front()", {
            **base, "HAVEN_ENV": "development", "HAVEN_POSTGRES_URL": url_as(
                store_login(front).user)})
        with psycopg.connect(admin_url, autocommit=True) as conn:
            owners = dict(conn.execute(
                "SELECT schemaname || '.' || tablename, tableowner FROM pg_tables"
                " WHERE schemaname IN (%s, 'keys')", (service,)).fetchall())
        assert owners[f"{service}.{service}_events"] == f"haven_{service}_owner"
        assert owners["keys.subject_keys"] == KEYS.user, "the key store is its role's alone"
        with psycopg.connect(url_as(AUDITOR.user), autocommit=True) as conn:
            events = f'"{service}"."{service}_events"'
            assert conn.execute(f"SELECT count(*) FROM {events}").fetchone() == (0,)
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"DELETE FROM {events}")
    finally:
        with psycopg.connect(_conninfo(admin), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            for role in (f"haven_{service}", f"haven_{service}_owner", f"haven_{front}"):
                conn.execute(f'DROP ROLE IF EXISTS "{role}"')
