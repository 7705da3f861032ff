"""The deployment artefacts are valid, and agree with the code they deploy.

Schema validation needs no Docker engine and no cluster: check-jsonschema (Compose
specification) and kubernetes-validate (Kubernetes API schemas) are dev dependencies.
Only promtool is optional: it is a Debian package, not a Python one.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import prometheus_client
import pytest
import yaml

from shared import metrics
from shared.registry import FRONTS, SERVICES

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
# deploy/k8s/base/ and the generated deploy/k8s/services/ (kustomization.yaml is no API object)
K8S_FILES = sorted(p for p in (DEPLOY / "k8s").rglob("*.yaml") if p.name != "kustomization.yaml")
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
ALERT_TESTS = DEPLOY / "prometheus" / "alerts.test.yml"
DASHBOARDS = sorted((DEPLOY / "grafana").glob("*.json"))
SECRET_KEYS = ("HAVEN_MASTER_KEY", "HAVEN_BLIND_INDEX_KEY", "HAVEN_TOKEN_SIGNING_KEY",
               "HAVEN_TOKEN_PUBLIC_KEY")
ISSUER_TOOL = "token-issuer"  # compose's one holder of the token signing key
MEMORY_LIMIT_MIB = 256
# Read by shared/runner.py and the gateway rather than by Settings: allowed by name.
PROCESS_ENV = {"HAVEN_METRICS_PORT", "HAVEN_HTTP_PORT"}


def _tool(name: str) -> str:
    """A console script of the dev dependencies, next to this interpreter (or on PATH)."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    assert found, f"{name} is missing: install the dev extras (pip install -e '.[dev]')"
    return found


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT)


def _compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _k8s_objects() -> list[dict[str, Any]]:
    return [doc for path in K8S_FILES for doc in yaml.safe_load_all(path.read_text()) if doc]


def _k8s(kind: str) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in _k8s_objects() if o["kind"] == kind}


def _haven_processes() -> dict[str, dict[str, Any]]:
    """Compose services built from this repository's image (not postgres, rabbitmq), but
    not the tools that run only on demand (profiles) nor the setup steps that run once."""
    return {name: s for name, s in _compose()["services"].items()
            if "build" in s and "profiles" not in s and s.get("restart") != "no"}


def _containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    return deployment["spec"]["template"]["spec"]["containers"]


def _pod_labels(deployment: dict[str, Any]) -> dict[str, str]:
    return deployment["spec"]["template"]["metadata"]["labels"]


def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def _config_map() -> dict[str, str]:
    (config,) = _k8s("ConfigMap").values()
    return config["data"]


def _dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    return [(m[1].upper(), m[2].strip())
            for m in re.finditer(r"^\s*([A-Za-z]+)\s+(.*)$", joined, re.MULTILINE)]


def _final_stage() -> list[tuple[str, str]]:
    instructions = _dockerfile()
    last_from = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[last_from:]


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for op, args in _final_stage():
        if op == "ENV":
            env.update(dict(re.findall(r"(\w+)=(\S+)", args)))
    return env


# --- validators ---------------------------------------------------------------------------


def test_compose_file_follows_the_compose_specification():
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec",
                  "docker-compose.yml")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", K8S_FILES, ids=lambda p: str(p.relative_to(DEPLOY / "k8s")))
def test_kubernetes_manifest_follows_the_api_schemas(path):
    result = _run(_tool("kubernetes-validate"), "--strict", "--quiet", str(path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_alert_rules_and_their_unit_tests():
    promtool = shutil.which("promtool")
    assert promtool, "promtool is not on PATH: `make test` installs it (Debian package prometheus)"
    checked = _run(promtool, "check", "rules", str(ALERTS))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = _run(promtool, "test", "rules", str(ALERT_TESTS))
    assert tested.returncode == 0, tested.stdout + tested.stderr


# --- alert rules and dashboard -------------------------------------------------------------


@functools.cache
def _exported_metrics() -> dict[str, tuple[str, frozenset[str]]]:
    """Series name -> (its constant in shared/metrics.py, its label names)."""
    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_sum", "_count"],
                "summary": ["", "_sum", "_count"]}
    exported = {}
    for constant, metric in vars(metrics).items():
        if isinstance(metric, prometheus_client.metrics.MetricWrapperBase):
            for suffix in suffixes[metric._type]:
                labels = set(metric._labelnames) | ({"le"} if suffix == "_bucket" else set())
                exported[metric._name + suffix] = (constant, frozenset(labels))
    return exported


@functools.cache
def _code_recording(constant: str) -> str:
    """The source of every module that records the metric `constant` of shared/metrics.py."""
    sources = [p.read_text() for folder in ("shared", "services") for p in
               (ROOT / folder).rglob("*.py") if p.name != "metrics.py"]
    return "\n".join(text for text in sources if re.search(rf"\b{constant}\b", text))


def _check_promql(expr: str, where: str) -> set[str]:
    """Every haven_* series and every label an expression names must exist; returns the series."""
    exported = _exported_metrics()
    used = set(re.findall(r"\bhaven_\w+", expr))
    unknown = used - exported.keys()
    assert not unknown, f"{where}: no such metric in shared/metrics.py: {sorted(unknown)}"
    if not used:
        return used
    known_labels = set().union(*(exported[name][1] for name in used))
    named = set()
    for group in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr):
        named |= {label.strip() for label in group.split(",") if label.strip()}
    for series, selector in re.findall(r"\b(haven_\w+)\{([^}]*)\}", expr):
        named |= set(re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", selector))
        # An outcome the code never records would make the alert silently never fire.
        for values in re.findall(r"\boutcome\s*=~?\s*\"([^\"]*)\"", selector):
            for value in values.split("|"):
                assert f'"{value}"' in _code_recording(exported[series][0]), \
                    f"{where}: no code records {series} with outcome {value!r}"
    assert named <= known_labels, f"{where}: unknown labels {sorted(named - known_labels)}"
    return used


def _alert_rules() -> list[dict[str, Any]]:
    document = yaml.safe_load(ALERTS.read_text())
    assert isinstance(document, dict) and document.get("groups"), "alerts.yml needs groups"
    rules = []
    for group in document["groups"]:
        assert group.get("name") and group.get("rules"), f"group without name or rules: {group}"
        rules.extend(group["rules"])
    return rules


def test_every_alert_rule_is_complete_and_names_real_metrics():
    rules = _alert_rules()
    names = [rule["alert"] for rule in rules]
    assert len(names) == len(set(names)), "alert names must be unique"
    for rule in rules:
        assert re.fullmatch(r"Haven[A-Z]\w+", rule["alert"]), rule["alert"]
        assert set(rule) <= {"alert", "expr", "for", "labels", "annotations"}, rule["alert"]
        assert rule["labels"]["severity"] in {"page", "ticket"}, rule["alert"]
        for annotation in ("summary", "description", "runbook"):
            assert str(rule["annotations"].get(annotation, "")).strip(), \
                f"{rule['alert']} has no {annotation}"
        _check_promql(rule["expr"], rule["alert"])


def test_alerts_watch_every_operational_signal():
    watched = set().union(*(_check_promql(r["expr"], r["alert"]) for r in _alert_rules()))
    for series in ("haven_dead_letters_total", "haven_outbox_backlog",
                   "haven_consumer_lag_seconds", "haven_projection_lag_events",
                   "haven_rpc_calls_total", "haven_auth_refusals_total"):
        assert series in watched, f"no alert watches {series}"


def test_alert_unit_tests_name_existing_alerts_only():
    defined = {rule["alert"] for rule in _alert_rules()}
    tested = set(re.findall(r'alertname="(\w+)"', ALERT_TESTS.read_text()))
    assert tested, "alerts.test.yml tests no alert"
    assert tested <= defined, f"tests of alerts that do not exist: {sorted(tested - defined)}"
    assert yaml.safe_load(ALERT_TESTS.read_text())["rule_files"] == [ALERTS.name]


def test_dashboards_query_real_metrics():
    assert DASHBOARDS, "no Grafana dashboard under deploy/grafana"
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        assert dashboard["uid"] and dashboard["title"], path.name
        exprs = [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]
        assert exprs, f"{path.name} has no query"
        for expr in exprs:
            _check_promql(expr, f"{path.name}: {expr}")


# --- every process kind is deployed, the same way everywhere -------------------------------


def _process_commands() -> dict[str, list[str]]:
    """Process kind -> `haven` arguments it must run with."""
    commands = {name: ["run", name] for name in FRONTS}
    for service in SERVICES:
        commands[service] = ["run", service]
        commands[f"{service}-relay"] = ["relay", service]
    return commands


def test_compose_runs_every_service_its_relay_and_the_gateway():
    processes = _haven_processes()
    for name, command in _process_commands().items():
        assert name in processes, f"docker-compose.yml has no {name}"
        assert processes[name]["command"] == command, name
    assert set(processes) == set(_process_commands()), "a process compose runs is unknown"


def test_kubernetes_deploys_every_service_its_relay_and_the_gateway():
    deployments = _k8s("Deployment")
    for name, command in _process_commands().items():
        assert name in deployments, f"deploy/k8s has no Deployment {name}"
        (container,) = _containers(deployments[name])
        assert container["args"] == command, name
    assert set(deployments) == set(_process_commands()), "a Deployment runs an unknown process"


def test_the_commands_exist_in_the_haven_cli():
    from shared.cli import main

    used = {command[0] for command in _process_commands().values()}
    assert used <= set(main.commands), f"haven has no command {sorted(used - set(main.commands))}"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    entrypoint = dict(_final_stage())["ENTRYPOINT"]
    assert json.loads(entrypoint)[0] in scripts, "the image's entry point is not a console script"


def _env_texts() -> dict[str, str]:
    files = [ROOT / "Dockerfile", ROOT / "docker-compose.yml", *K8S_FILES,
             *(p for p in DEPLOY.rglob("*") if p.is_file())]
    return {str(p.relative_to(ROOT)): p.read_text() for p in dict.fromkeys(files)}


def test_every_haven_setting_named_in_deployment_files_exists():
    from shared.broker_cli import password_variable
    from shared.manifest import manifest

    config_source = (ROOT / "shared" / "config.py").read_text()
    known = set(re.findall(r'"(HAVEN_[A-Z0-9_]+)"', config_source)) | PROCESS_ENV
    # Each service's broker password: read by `haven broker definitions` (shared/broker_cli.py)
    known |= {password_variable(name) for name in manifest().names}
    for name, text in _env_texts().items():
        unknown = set(re.findall(r"\bHAVEN_[A-Z0-9_]+", text)) - known
        assert not unknown, f"{name} names settings shared/config.py does not read: {unknown}"


def test_ports_agree_across_image_compose_and_kubernetes():
    image_env = _dockerfile_env()
    metrics_port, http_port = image_env["HAVEN_METRICS_PORT"], image_env["HAVEN_HTTP_PORT"]
    exposed = set(dict(_final_stage())["EXPOSE"].split())
    assert {metrics_port, http_port} <= exposed
    assert _config_map()["HAVEN_METRICS_PORT"] == metrics_port
    assert _config_map()["HAVEN_HTTP_PORT"] == http_port
    for name, process in _haven_processes().items():
        assert process["environment"]["HAVEN_METRICS_PORT"] == metrics_port, name
    gateway = _haven_processes()["gateway"]
    assert gateway["environment"]["HAVEN_HTTP_PORT"] == http_port
    assert any(str(p).endswith(f":{http_port}") for p in gateway["ports"]), gateway["ports"]
    for name, deployment in _k8s("Deployment").items():
        ports = {p["name"]: str(p["containerPort"]) for c in _containers(deployment)
                 for p in c["ports"]}
        assert ports["metrics"] == metrics_port, name
        annotations = deployment["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/port"] == metrics_port, name
        if name == "gateway":
            assert ports["http"] == http_port


# --- compose ----------------------------------------------------------------------------------


def test_compose_processes_start_after_healthy_store_and_broker():
    services = _compose()["services"]
    assert services["postgres"]["image"].split(":")[1].startswith("16")
    assert services["rabbitmq"]["image"] == "rabbitmq:3-management"
    for backing in ("postgres", "rabbitmq"):
        assert services[backing]["healthcheck"]["test"], backing
        assert services[backing]["volumes"], f"{backing} would lose its data"
    for name, process in _haven_processes().items():
        assert process["build"] == ".", name
        conditions = {dep: spec["condition"] for dep, spec in process["depends_on"].items()}
        assert conditions.get("rabbitmq") == "service_healthy", name
        assert set(conditions.values()) <= {"service_healthy", "service_completed_successfully"}
        assert {dep for dep, c in conditions.items() if c != "service_healthy"} <= \
            {"db-grants", "db-roles"}
        if name != "gateway":
            assert conditions.get("postgres") == "service_healthy", name
        assert process["read_only"] is True and process["cap_drop"] == ["ALL"], name
        assert dict(_final_stage())["WORKDIR"] in process["tmpfs"], f"{name}: no writable dir"
    for service in SERVICES:  # the service creates the store its relay reads
        relay = _haven_processes()[f"{service}-relay"]
        assert relay["depends_on"][service]["condition"] == "service_healthy", service


def _interpolated(value: str) -> set[str]:
    return set(re.findall(r"\$\{(\w+):\?[^}]+\}", value))


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []


def test_compose_secrets_come_only_from_the_env_file():
    values = _strings(_compose())
    substitutions = {m for v in values for m in re.findall(r"\$\{[^}]*\}", v)}
    assert all(":?" in s for s in substitutions), "a variable without :? would start empty"
    example = dict(re.findall(r"^(\w+)=(.*)$", (DEPLOY / "compose.env.example").read_text(),
                              re.MULTILINE))
    assert set(example.values()) == {"REPLACE-ME"}, "the example must hold placeholders only"
    used = set().union(*map(_interpolated, values))
    assert used == set(example), "deploy/compose.env.example is out of date"
    services = _compose()["services"]
    for name, process in _haven_processes().items():
        for key in SECRET_KEYS:
            if key in process["environment"]:
                assert _interpolated(process["environment"][key]) == {key}, (name, key)
        for key in ("HAVEN_POSTGRES_URL", "HAVEN_AMQP_URI"):
            if key in process["environment"]:
                assert _interpolated(process["environment"][key]), (name, key)
    assert _interpolated(services["postgres"]["environment"]["POSTGRES_PASSWORD"])
    assert not any(k.startswith("RABBITMQ_DEFAULT") for k in
                   services["rabbitmq"].get("environment", {})), "no shared broker user"
    assert "HAVEN_MASTER_KEY" not in services["gateway"]["environment"], "least privilege"


def test_only_the_token_issuer_holds_the_signing_key_and_every_process_the_public_key():
    services = _compose()["services"]
    for name, process in _haven_processes().items():
        assert process["environment"]["HAVEN_ENV"] == "production", name
        assert "HAVEN_TOKEN_PUBLIC_KEY" in process["environment"], name
        assert "HAVEN_TOKEN_SIGNING_KEY" not in process["environment"], name
    holders = {name for name, s in services.items()
               if "HAVEN_TOKEN_SIGNING_KEY" in s.get("environment", {})}
    assert holders == {ISSUER_TOOL}
    issuer = services[ISSUER_TOOL]
    assert issuer["profiles"] == ["tools"], "the issuer must not run by itself"
    assert issuer["command"] == ["token"] and issuer["environment"]["HAVEN_ENV"] == "production"
    assert "ports" not in issuer and "HAVEN_AMQP_URI" not in issuer["environment"]
    for path in (ROOT / "docker-compose.yml", DEPLOY / "compose.env.example", *K8S_FILES):
        assert not re.search(r"HAVEN_TOKEN_SECRET|token-secret", path.read_text()), \
            f"{path.name}: the retired shared token secret is still deployed"


# --- kubernetes --------------------------------------------------------------------------------


def _mebibytes(quantity: str) -> float:
    units = {"Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "K": 1e3 / 2**20, "M": 1e6 / 2**20,
             "G": 1e9 / 2**20}
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([A-Za-z]*)", quantity).groups()
    return float(number) * (units[unit] if unit else 1 / 2**20)


def test_every_process_is_bounded_probed_and_unprivileged():
    metrics_port = _config_map()["HAVEN_METRICS_PORT"]
    workdir = dict(_final_stage())["WORKDIR"]  # the image's working directory must be writable
    image_uid = dict(_final_stage())["USER"].split(":")[0]
    for name, deployment in _k8s("Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert str(pod["securityContext"]["runAsUser"]) == image_uid, f"{name}: not the image uid"
        assert pod["automountServiceAccountToken"] is False, name
        mounts_tmp = {v["name"] for v in pod["volumes"] if "emptyDir" in v}
        for container in pod["containers"]:
            resources = container["resources"]
            assert resources["requests"]["memory"] and resources["requests"]["cpu"], name
            assert _mebibytes(resources["limits"]["memory"]) <= MEMORY_LIMIT_MIB, name
            ports = {p["name"]: str(p["containerPort"]) for p in container["ports"]}
            for probe, path in (("livenessProbe", "/health"), ("readinessProbe", "/ready")):
                get = container[probe]["httpGet"]
                assert get["path"] == path and ports[get["port"]] == metrics_port, (name, probe)
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, name
            assert security["allowPrivilegeEscalation"] is False, name
            assert security["capabilities"]["drop"] == ["ALL"], name
            assert not security["capabilities"].get("add"), name
            assert any(m["mountPath"] == workdir and m["name"] in mounts_tmp
                       for m in container["volumeMounts"]), f"{name}: {workdir} is read-only"


def _check_env(container: dict[str, Any], secret: dict[str, Any], where: str) -> None:
    """Every variable from the Secret names a key it has; a value built from others
    (`$(NAME)`) names variables defined before it."""
    defined: set[str] = set()
    for var in container.get("env", []):
        if "valueFrom" in var:
            ref = var["valueFrom"]["secretKeyRef"]
            assert ref["name"] == secret["metadata"]["name"], (where, var["name"])
            assert ref["key"] in secret["stringData"], (where, var["name"])
        else:
            assert set(re.findall(r"\$\((\w+)\)", var["value"])) <= defined, (where, var)
        defined.add(var["name"])


def _pod_containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    pod = obj["spec"]["template"]["spec"]
    return [*pod.get("initContainers", []), *pod["containers"]]


def test_setup_job_references_resolve():
    (secret,) = _k8s("Secret").values()
    claims = _k8s("PersistentVolumeClaim")
    for kind in ("Job", "Deployment"):
        for name, obj in _k8s(kind).items():
            pod = obj["spec"]["template"]["spec"]
            volumes = {v["name"]: v for v in pod["volumes"]}
            for container in _pod_containers(obj):
                _check_env(container, secret, f"{name}/{container['name']}")
                for mount in container["volumeMounts"]:
                    assert mount["name"] in volumes, (name, mount)
            for volume in volumes.values():
                if "persistentVolumeClaim" in volume:
                    assert volume["persistentVolumeClaim"]["claimName"] in claims, name


def test_kubernetes_references_resolve():
    (secret,) = _k8s("Secret").values()
    config_name = next(iter(_k8s("ConfigMap")))
    (namespace,) = _k8s("Namespace")
    for obj in _k8s_objects():
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == namespace, obj["metadata"]["name"]
    for name, deployment in _k8s("Deployment").items():
        assert deployment["spec"]["selector"]["matchLabels"].items() <= \
            _pod_labels(deployment).items(), name
        for container in _containers(deployment):
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] == config_name, name
            _check_env(container, secret, name)
    assert "HAVEN_MASTER_KEY" not in {v["name"] for v in
                                      _containers(_k8s("Deployment")["gateway"])[0]["env"]}


def test_kubernetes_processes_verify_tokens_and_none_can_sign_them():
    (secret,) = _k8s("Secret").values()
    assert "token-public-key" in secret["stringData"]
    assert not any("token-sign" in key for key in secret["stringData"]), \
        "the token signing key stays with the issuer, outside the cluster"
    assert _config_map()["HAVEN_ENV"] == "production"
    for name, deployment in _k8s("Deployment").items():
        for container in _containers(deployment):
            env = {v["name"]: v for v in container.get("env", [])}
            assert env["HAVEN_TOKEN_PUBLIC_KEY"]["valueFrom"]["secretKeyRef"]["key"] == \
                "token-public-key", name
            assert "HAVEN_TOKEN_SIGNING_KEY" not in env, name
            assert "HAVEN_ENV" not in env, f"{name}: HAVEN_ENV comes from the ConfigMap only"


def test_secret_template_holds_placeholders_only():
    (secret,) = _k8s("Secret").values()
    assert "data" not in secret, "base64 data would hide a real value; use stringData"
    for key, value in secret["stringData"].items():
        assert value.startswith("REPLACE-ME"), f"{key} looks like a real secret"


def test_only_the_gateway_is_reachable_and_disruptions_are_bounded():
    deployments = _k8s("Deployment")
    gateway_labels = _pod_labels(deployments["gateway"])
    (service,) = _k8s("Service").values()
    assert _selects(service["spec"]["selector"], gateway_labels)
    container_ports = {p["name"] for p in _containers(deployments["gateway"])[0]["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= container_ports
    policies = _k8s("NetworkPolicy").values()
    assert any(p["spec"]["podSelector"] == {} and "ingress" not in p["spec"]
               and p["spec"]["policyTypes"] == ["Ingress"] for p in policies), "no default deny"
    http_port = int(_config_map()["HAVEN_HTTP_PORT"])
    metrics_port = int(_config_map()["HAVEN_METRICS_PORT"])
    for policy in policies:
        selector = policy["spec"]["podSelector"].get("matchLabels", {})
        for rule in policy["spec"].get("ingress", []):
            ports = {p["port"] for p in rule["ports"]}
            if ports != {metrics_port}:  # scraping may reach every pod; nothing else may
                assert ports == {http_port} and _selects(selector, gateway_labels) and \
                    selector.get("app.kubernetes.io/component") == "gateway", policy
    for name, budget in _k8s("PodDisruptionBudget").items():
        matched = [n for n, d in deployments.items()
                   if _selects(budget["spec"]["selector"]["matchLabels"], _pod_labels(d))]
        assert len(matched) == 1, name
        assert _fewest_replicas(matched[0]) > budget["spec"]["minAvailable"], \
            f"{name}: the budget would block every node drain"


def _autoscalers() -> dict[str, dict[str, Any]]:
    """The HorizontalPodAutoscalers by the Deployment they scale."""
    scalers = list(_k8s("HorizontalPodAutoscaler").values())
    targets = [a["spec"]["scaleTargetRef"]["name"] for a in scalers]
    assert len(targets) == len(set(targets)), "two autoscalers scale one Deployment"
    return dict(zip(targets, scalers, strict=True))


def _fewest_replicas(deployment: str) -> int:
    """What runs at the least: the autoscaler's floor, or the Deployment's fixed count."""
    scaler = _autoscalers().get(deployment)
    return scaler["spec"]["minReplicas"] if scaler else \
        _k8s("Deployment")[deployment]["spec"]["replicas"]


def _budgets_of(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in _k8s("PodDisruptionBudget").values()
            if _selects(b["spec"]["selector"]["matchLabels"], _pod_labels(deployment))]


def test_every_service_process_autoscales_on_cpu_and_keeps_a_pod_through_drains():
    """`haven run NAME` (every service, the gateway): safe as several replicas, so an
    autoscaler keeps two at least, which a budget of one lets a node drain take."""
    deployments, scalers = _k8s("Deployment"), _autoscalers()
    runs = {name for name, command in _process_commands().items() if command[0] == "run"}
    assert set(scalers) == runs, "an autoscaler for every service process, and for no other"
    for name in runs:
        scaler, deployment = scalers[name]["spec"], deployments[name]
        assert scaler["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                            "name": name}
        assert scaler["minReplicas"] >= 2, name
        assert scaler["maxReplicas"] > scaler["minReplicas"], name
        (metric,) = scaler["metrics"]
        assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu", name
        assert 0 < metric["resource"]["target"]["averageUtilization"] < 100, name
        assert metric["resource"]["target"]["type"] == "Utilization", name
        # The autoscaler owns the count: `kubectl apply` must not put it back.
        assert "replicas" not in deployment["spec"], f"{name}: replicas fixed in the file"
        assert deployment["spec"]["strategy"]["type"] == "RollingUpdate", name
        for container in _containers(deployment):  # utilisation is measured against it
            assert container["resources"]["requests"]["cpu"], name
        (budget,) = _budgets_of(deployment)
        assert 1 <= budget["spec"]["minAvailable"] < scaler["minReplicas"], name


def test_relays_run_one_replica_and_are_never_autoscaled():
    deployments, scalers = _k8s("Deployment"), _autoscalers()
    relays = {name for name, command in _process_commands().items() if command[0] == "relay"}
    assert relays, "no relay deployed"
    for name in relays:
        deployment = deployments[name]
        assert deployment["spec"]["replicas"] == 1, name
        assert deployment["spec"]["strategy"] == {"type": "Recreate"}, name
        assert name not in scalers, f"{name}: a relay must not be autoscaled"
        assert not _budgets_of(deployment), f"{name}: a budget would block node drains"
    targets = {(a["spec"]["scaleTargetRef"]["kind"], a["spec"]["scaleTargetRef"]["name"])
               for a in _k8s("HorizontalPodAutoscaler").values()}
    assert all(kind == "Deployment" and name in deployments for kind, name in targets)


# Egress of every Haven pod: DNS, the store, the broker. Notifications alone also sends
# e-mail (SMTP, SMTPS, submission) and webhooks (HTTPS).
DNS = {("UDP", 53), ("TCP", 53)}
OUTBOUND = {("TCP", 25), ("TCP", 465), ("TCP", 587), ("TCP", 443)}


def _egress_rules(labels: dict[str, str]) -> list[dict[str, Any]]:
    """The egress rules of every policy that selects pods labelled `labels`."""
    return [rule for policy in _k8s("NetworkPolicy").values()
            if "Egress" in policy["spec"]["policyTypes"]
            and _selects(policy["spec"]["podSelector"].get("matchLabels", {}), labels)
            for rule in policy["spec"].get("egress", [])]


def _reached(rules: list[dict[str, Any]]) -> set[tuple[str, int]]:
    return {(port.get("protocol", "TCP"), port["port"]) for rule in rules
            for port in rule["ports"]}


def _haven_pods() -> dict[str, dict[str, str]]:
    """Every pod template of the manifests (the Deployments', the setup Job's): its labels."""
    return {name: obj["spec"]["template"]["metadata"]["labels"] for kind in ("Deployment", "Job")
            for name, obj in _k8s(kind).items()}


def _host_port(url: str) -> tuple[str, int]:
    host, port = url.split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)
    return host.split(".")[0], int(port)


def test_haven_pods_reach_only_dns_the_store_and_the_broker():
    """Egress is denied by default; what each pod may open is exactly DNS, PostgreSQL and
    RabbitMQ, at the hosts and ports of the URLs it is given; notifications alone reaches
    SMTP and HTTPS, the setup Job alone the broker's management API."""
    policies = list(_k8s("NetworkPolicy").values())
    denials = [p["spec"]["podSelector"].get("matchLabels", {}) for p in policies
               if p["spec"]["policyTypes"] == ["Egress"] and not p["spec"].get("egress")]
    # the URLs every process is given, as generated
    store_host, store_port = _host_port(_k8s_env(_k8s("Deployment")["intake"])[
        "HAVEN_POSTGRES_URL"]["value"])
    broker_host, broker_port = _host_port(_k8s_env(_k8s("Deployment")["intake"])[
        "HAVEN_AMQP_URI"]["value"])
    (job,) = _k8s("Job").values()
    (importer,) = [c for c in _pod_containers(job) if c["name"] == "broker-import"]
    management = int(next(a.split("=")[1] for a in importer["command"] if a.startswith("--port=")))
    for name, labels in _haven_pods().items():
        assert labels.get("app.kubernetes.io/part-of") == "haven", name
        assert any(_selects(selector, labels) for selector in denials), \
            f"{name}: egress is not denied by default"
        rules = _egress_rules(labels)
        assert all(rule.get("ports") for rule in rules), f"{name}: a rule opens every port"
        expected = DNS | {("TCP", store_port), ("TCP", broker_port)}
        expected |= OUTBOUND if name == "notifications" else set()
        expected |= {("TCP", management)} if name == job["metadata"]["name"] else set()
        assert _reached(rules) == expected, name
        for rule in rules:
            ports = _reached([rule])
            if ports & DNS:
                assert ports == DNS and rule["to"] == [{"namespaceSelector": {"matchLabels": {
                    "kubernetes.io/metadata.name": "kube-system"}}}], (name, rule)
            elif ports == {("TCP", store_port)}:  # CloudNativePG's pods of Cluster haven-pg
                assert rule["to"] == [{"podSelector": {"matchLabels": {
                    "cnpg.io/cluster": store_host.removesuffix("-rw")}}}], (name, rule)
                assert store_host.endswith("-rw"), "the store's URL is not its read-write Service"
            elif ports & {("TCP", broker_port), ("TCP", management)}:
                assert rule["to"] == [{"podSelector": {"matchLabels": {
                    "app.kubernetes.io/name": broker_host}}}], (name, rule)  # the operator's
            else:
                assert ports <= OUTBOUND and name == "notifications", (name, rule)
    assert not any(_selects(selector, {}) for selector in denials), \
        "egress is denied to Haven pods only: the operators' pods keep theirs"


def test_the_cluster_declares_quorum_queues_and_the_config_map_lists_its_settings():
    from shared.config import Settings
    from shared.deploy_files import CONFIG_MAP_SETTINGS

    assert _config_map()["HAVEN_QUEUE_TYPE"] == "quorum", "a replicated broker, replicated queues"
    assert set(_config_map()) == set(CONFIG_MAP_SETTINGS)
    assert Settings.from_env({**_config_map(), "HAVEN_ENV": "development"}).queue_type == "quorum"


# --- image ---------------------------------------------------------------------------------


def test_image_is_slim_non_root_and_carries_no_secret():
    stage = _final_stage()
    assert stage[0] == ("FROM", "python:3.11-slim")
    users = [args for op, args in stage if op == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert any(op == "RUN" and re.search(r"pip install \.(\s|$)", args)
               for op, args in _dockerfile())
    assert any(op == "HEALTHCHECK" and "/health" in args for op, args in stage)
    for op, args in _dockerfile():
        if op in {"ENV", "ARG"}:
            assert not re.search(r"KEY|SECRET|PASSWORD|TOKEN|_URL|_URI", args), args


def _dockerignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last pattern matching the path (or a parent folder) wins."""
    def regex(pattern: str) -> re.Pattern[str]:
        out = re.escape(pattern.strip("/")).replace(r"\*\*/", "(?:.*/)?")
        out = out.replace(r"\*\*", ".*").replace(r"\*", "[^/]*").replace(r"\?", "[^/]")
        return re.compile(out)

    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if any(regex(pattern.lstrip("!")).fullmatch(prefix) for prefix in prefixes):
            ignored = not negated
    return ignored


def test_build_context_holds_the_package_and_nothing_secret():
    patterns = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    copied = [args.split()[0] for op, args in _dockerfile()
              if op == "COPY" and not args.startswith("--from")]
    for source in copied + ["shared/config.py", "services/__init__.py"]:
        assert not _dockerignored(source.rstrip("/"), patterns), f"{source} left out of the build"
    for secret_or_junk in (".env", ".git/config", ".venv/bin/python", "var/intake.sqlite",
                           "shared/__pycache__/config.cpython-311.pyc", "bench/results.json",
                           "deploy/compose.env.example"):
        assert _dockerignored(secret_or_junk, patterns), f"{secret_or_junk} reaches the image"


# --- no shared credential: broker users, database roles, checkpoint keys --------------------


def _service_of(process: str) -> str:
    return process.removesuffix("-relay")


def _url_user(url: str) -> str:
    return url.split("://", 1)[1].split(":", 1)[0]


def _k8s_env(deployment: dict[str, Any]) -> dict[str, dict[str, Any]]:
    (container,) = _containers(deployment)
    return {var["name"]: var for var in container["env"]}


def test_each_service_logs_in_to_the_broker_as_its_own_user_and_none_as_a_shared_one():
    """The user in every HAVEN_AMQP_URI is the one `haven broker definitions` gives that
    service (its permissions: its own exchange), with the password the definitions hash."""
    from shared.broker_cli import hashed_definitions, password_variable
    from shared.config import Settings
    from shared.manifest import manifest

    cfg = Settings.from_env({"HAVEN_ENV": "development"})
    passwords = {password_variable(n): f"{n}-password-".ljust(40, "x") for n in manifest().names}
    defined = {u["name"] for u in hashed_definitions("haven", passwords)["users"]}
    assert defined == {cfg.broker_user(n) for n in manifest().names}
    compose = _compose()["services"]
    for name, process in _haven_processes().items():
        service = _service_of(name)
        uri = process["environment"]["HAVEN_AMQP_URI"]
        assert _url_user(uri) == cfg.broker_user(service), name
        assert _interpolated(uri) == {password_variable(service)}, name
    users = {_url_user(p["environment"]["HAVEN_AMQP_URI"]) for p in _haven_processes().values()}
    assert users == defined, "a service without a user of its own, or a user no one has"
    assert not users & {"haven", "guest"}
    # RabbitMQ loads the definitions (and so creates no default user), written by the
    # one-shot that holds every service's password and nothing else.
    writer = compose["broker-definitions"]
    assert writer["command"][:2] == ["broker", "definitions"] and "--output" in writer["command"]
    output = writer["command"][writer["command"].index("--output") + 1]
    assert set(writer["environment"]) == set(passwords)
    volume = next(v for v in writer["volumes"] if output.startswith(v.split(":")[1]))
    rabbitmq = compose["rabbitmq"]
    assert rabbitmq["depends_on"]["broker-definitions"]["condition"] == \
        "service_completed_successfully"
    assert "environment" not in rabbitmq, "no RABBITMQ_DEFAULT_USER: no shared user"
    mounted = {v.split(":")[0]: v.split(":")[1] for v in rabbitmq["volumes"]}
    config = next(Path(ROOT / host) for host, target in mounted.items()
                  if target.startswith("/etc/rabbitmq/conf.d/"))
    loads = re.search(r"^load_definitions = (\S+)$", config.read_text(), re.MULTILINE)
    assert loads, f"{config.name} does not load the definitions"
    assert loads[1] == mounted[volume.split(":")[0]] + output.removeprefix(volume.split(":")[1])


def test_each_kubernetes_process_has_its_own_broker_user_from_the_secret_the_definitions_read():
    from shared.broker_cli import password_variable
    from shared.config import Settings

    cfg = Settings.from_env({"HAVEN_ENV": "development"})
    (job,) = _k8s("Job").values()
    steps = {c["name"]: c for c in _pod_containers(job)}
    definitions = {v["name"]: v["valueFrom"]["secretKeyRef"]["key"]
                   for v in steps["broker-definitions"]["env"]}
    assert steps["broker-definitions"]["args"][:2] == ["broker", "definitions"]
    assert "broker-import" in steps
    for name, deployment in _k8s("Deployment").items():
        service = _service_of(name)
        env = _k8s_env(deployment)
        uri = env["HAVEN_AMQP_URI"]["value"]
        assert _url_user(uri) == cfg.broker_user(service), name
        (holder,) = re.findall(r"\$\((\w+)\)", uri)
        key = env[holder]["valueFrom"]["secretKeyRef"]["key"]
        assert definitions[password_variable(service)] == key, \
            f"{name}: its password is not the one its broker user is defined with"


def test_a_setup_grants_every_store_before_its_processes_start_as_its_writer_role():
    """`haven db grants NAME --apply` for every store runs once the login roles exist;
    every process of a store waits for it and connects as that store's writer role with
    HAVEN_POSTGRES_LEAST_PRIVILEGE=1; the audit tools as a read-only role of their own."""
    from shared.config import Settings
    from shared.db_roles import roles_for
    from shared.deploy_files import AUDITOR_ROLE
    from shared.manifest import manifest

    cfg = Settings.from_env({"HAVEN_ENV": "development"})
    compose = _compose()["services"]
    grants = compose["db-grants"]
    script = grants["command"][0]
    assert grants["depends_on"]["db-roles"]["condition"] == "service_completed_successfully"
    superuser = _url_user(grants["environment"]["HAVEN_POSTGRES_URL"])
    assert superuser == compose["postgres"]["environment"]["POSTGRES_USER"]
    stores = {_service_of(n) for n, p in _haven_processes().items()
              if "HAVEN_POSTGRES_LEAST_PRIVILEGE" in p["environment"]}
    assert stores == {s.name for s in manifest() if s.application}
    writers = {roles_for(s, cfg, AUDITOR_ROLE).writer for s in stores}
    for service in stores:
        assert f"haven db grants {service} --apply --audit-role {AUDITOR_ROLE}" in script
    for name, process in _haven_processes().items():
        env = process["environment"]
        roles = roles_for(_service_of(name), cfg, AUDITOR_ROLE)
        # every process has a role of its own (the revocation list), never the superuser's
        assert _url_user(env["HAVEN_POSTGRES_URL"]) == roles.writer, name
        if _service_of(name) not in stores:
            assert process["depends_on"]["db-roles"]["condition"] == \
                "service_completed_successfully", name
            assert "HAVEN_KEYS_POSTGRES_URL" not in env, name
            continue
        assert process["depends_on"]["db-grants"]["condition"] == \
            "service_completed_successfully", name
        assert env["HAVEN_POSTGRES_LEAST_PRIVILEGE"] == "1", name
        assert _url_user(env["HAVEN_KEYS_POSTGRES_URL"]) not in writers | {superuser}, name
    audit = compose["audit"]["environment"]
    assert _url_user(audit["HAVEN_AUDIT_POSTGRES_URL"]) == AUDITOR_ROLE
    assert AUDITOR_ROLE not in writers, "the read-only role may not be a service's writer"
    # Kubernetes: the same steps in one Job, and each store's pods wait for the grants.
    (job,) = _k8s("Job").values()
    steps = [c.get("args", []) for c in _pod_containers(job)]
    for service in stores:
        assert ["db", "grants", service, "--apply", "--audit-role", AUDITOR_ROLE] in steps
    for name, deployment in _k8s("Deployment").items():
        env = _k8s_env(deployment)
        assert _url_user(env["HAVEN_POSTGRES_URL"]["value"]) == \
            roles_for(_service_of(name), cfg).writer, name
        if _service_of(name) not in stores:
            assert "HAVEN_POSTGRES_LEAST_PRIVILEGE" not in env, name
            continue
        assert env["HAVEN_POSTGRES_LEAST_PRIVILEGE"]["value"] == "1", name
        (wait,) = deployment["spec"]["template"]["spec"]["initContainers"]
        assert "haven_lock_events" in wait["command"][-1], name


def test_relays_sign_checkpoints_into_a_writable_volume_and_the_auditor_checks_them():
    compose = _compose()["services"]
    directories = set()
    for name, process in _haven_processes().items():
        env = process["environment"]
        relay = name.endswith("-relay")
        assert ("HAVEN_CHECKPOINT_SIGNING_KEY" in env) is relay, name
        if relay or name == "audit":
            (volume,) = process["volumes"]
            source, target, *mode = volume.split(":")
            assert env["HAVEN_CHECKPOINT_DIR"].startswith(target + "/"), name
            assert (mode == ["ro"]) is (not relay), f"{name}: {volume}"
            assert source in _compose()["volumes"], name
            directories.add((source, env["HAVEN_CHECKPOINT_DIR"].removeprefix(target)))
        else:
            assert "HAVEN_CHECKPOINT_DIR" not in env, name
    assert "HAVEN_CHECKPOINT_PUBLIC_KEY" in compose["audit"]["environment"]
    assert "HAVEN_CHECKPOINT_SIGNING_KEY" not in compose["audit"]["environment"]
    assert len(directories) == 1, f"the auditor reads where the relays write: {directories}"
    for name, deployment in _k8s("Deployment").items():
        env = _k8s_env(deployment)
        relay = name.endswith("-relay")
        assert ("HAVEN_CHECKPOINT_SIGNING_KEY" in env) is relay, name
        if not (relay or name == "audit"):
            continue
        (container,) = _containers(deployment)
        pod = deployment["spec"]["template"]["spec"]
        claims = {v["name"]: v["persistentVolumeClaim"] for v in pod["volumes"]
                  if "persistentVolumeClaim" in v}
        (mount,) = [m for m in container["volumeMounts"] if m["name"] in claims]
        assert env["HAVEN_CHECKPOINT_DIR"]["value"].startswith(mount["mountPath"] + "/")
        assert mount["readOnly"] is (not relay) and claims[mount["name"]]["readOnly"] is \
            (not relay), name
        assert pod["securityContext"]["fsGroup"] == pod["securityContext"]["runAsGroup"], name
    audit = _k8s_env(_k8s("Deployment")["audit"])
    assert audit["HAVEN_CHECKPOINT_PUBLIC_KEY"]["valueFrom"]["secretKeyRef"]["key"] == \
        "checkpoint-public-key"
