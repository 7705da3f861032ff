"""docker-compose.yml and deploy/k8s/ follow the manifest (shared/deploy_files.py).

The checked-in files are exactly what `make deploy-files` writes, and a new manifest entry
is all it takes to deploy a new service, its relay included.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.deploy_files import COMPOSE, KUSTOMIZATION, SERVICE_FILES, render, stale, sync
from shared.manifest import Manifest, Service, manifest
from tests.test_deploy_files import _run, _tool

ROOT = Path(__file__).resolve().parents[1]
K8S = ROOT / "deploy" / "k8s"


def _with_shelter(**kind: Any) -> Manifest:
    shelter = Service("shelter", service="services.shelter.service:ShelterService",
                      summary="shelters, rooms, beds, stays", **kind)
    return Manifest(*manifest(), shelter)


def _store(**kind: Any) -> Manifest:
    return _with_shelter(application="services.shelter.application:Shelter", relay=True,
                         unseals=True, **kind)


def _objects(text: str) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(text)}


def _env(deployment: dict[str, Any]) -> set[str]:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return {variable["name"] for variable in container["env"]}


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
    assert changed == {COMPOSE, KUSTOMIZATION, f"{SERVICE_FILES}/shelter.yaml"}
    assert before.keys() <= after.keys()


@pytest.mark.parametrize("relay", [True, False], ids=["with relay", "without relay"])
def test_a_new_store_gets_its_process_and_relay_in_compose(relay):
    processes = yaml.safe_load(render(_with_shelter(
        application="services.shelter.application:Shelter", relay=relay))[COMPOSE])["services"]
    assert processes["shelter"]["command"] == ["run", "shelter"]
    assert processes["shelter"]["depends_on"].keys() == {"postgres", "rabbitmq"}
    assert ("shelter-relay" in processes) is relay
    if relay:
        assert processes["shelter-relay"]["command"] == ["relay", "shelter"]
        assert processes["shelter-relay"]["depends_on"]["shelter"] == {
            "condition": "service_healthy"}


@pytest.mark.parametrize("relay", [True, False], ids=["with relay", "without relay"])
def test_a_new_store_gets_its_kubernetes_file_listed_in_the_kustomization(relay):
    files = render(_with_shelter(application="services.shelter.application:Shelter",
                                 relay=relay))
    objects = _objects(files[f"{SERVICE_FILES}/shelter.yaml"])
    deployments = {name for kind, name in objects if kind == "Deployment"}
    assert deployments == ({"shelter", "shelter-relay"} if relay else {"shelter"})
    assert ("PodDisruptionBudget", "shelter") in objects  # 2 replicas by default
    assert "services/shelter.yaml" in yaml.safe_load(files[KUSTOMIZATION])["resources"]


def test_only_a_service_that_unseals_gets_the_data_keys():
    keys = {"HAVEN_MASTER_KEY", "HAVEN_BLIND_INDEX_KEY"}
    for unseals in (True, False):
        files = render(_with_shelter(application="services.shelter.application:Shelter",
                                     relay=True, unseals=unseals))
        processes = yaml.safe_load(files[COMPOSE])["services"]
        objects = _objects(files[f"{SERVICE_FILES}/shelter.yaml"])
        for name in ("shelter", "shelter-relay"):
            assert (keys <= processes[name]["environment"].keys()) is unseals, name
            assert (keys <= _env(objects["Deployment", name])) is unseals, name


def test_a_new_front_gets_no_store_no_keys_and_no_relay():
    files = render(_with_shelter())
    process = yaml.safe_load(files[COMPOSE])["services"]["shelter"]
    assert process["depends_on"].keys() == {"rabbitmq"}
    assert set(process["environment"]) == {"HAVEN_ENV", "HAVEN_METRICS_PORT", "HAVEN_AMQP_URI",
                                           "HAVEN_TOKEN_SECRET"}
    objects = _objects(files[f"{SERVICE_FILES}/shelter.yaml"])
    assert _env(objects["Deployment", "shelter"]) == {"HAVEN_AMQP_URI", "HAVEN_TOKEN_SECRET"}
    assert ("Deployment", "shelter-relay") not in objects


def test_the_files_of_a_new_service_pass_the_validators(tmp_path):
    root = _checkout(tmp_path, render(_store()))
    compose = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                   str(root / COMPOSE))
    assert compose.returncode == 0, compose.stdout + compose.stderr
    k8s = _run(_tool("kubernetes-validate"), "--strict", "--quiet",
               str(root / SERVICE_FILES / "shelter.yaml"))
    assert k8s.returncode == 0, k8s.stdout + k8s.stderr


def test_the_kustomization_lists_every_manifest_but_the_secret_template():
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    assert all((K8S / path).is_file() for path in listed), listed
    present = {str(p.relative_to(K8S)) for p in K8S.rglob("*.yaml")}
    assert present - set(listed) == {"kustomization.yaml", "base/secret.template.yaml"}
