"""docker-compose.yml and deploy/k8s/ as the manifest (services/manifest.py) says.

`haven deploy-files` (`make deploy-files`) writes them, `--check` names the stale ones.
Every file is Python data dumped with PyYAML. What a process gets follows from its entry:
every process the broker and the token secret; `application` (it keeps an event store)
the PostgreSQL URL; `unseals` the two data keys; `relay` a second process, `haven relay
NAME`, one replica at a time; `http` port 8080, published (compose) or behind a Service
reached only from the ingress controller (Kubernetes). The auditor alone also reads every
store, with read-only credentials. deploy/k8s/base/ holds what no entry changes.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import click
import yaml

from shared.manifest import Manifest, Service, manifest

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = "docker-compose.yml"
KUSTOMIZATION = "deploy/k8s/kustomization.yaml"
SERVICE_FILES = "deploy/k8s/services"
# The secret template is left out on purpose: applied, it would replace the real Secret.
BASE = ("base/namespace.yaml", "base/config.yaml", "base/networkpolicy.yaml")
IMAGE = "haven:0.1.0"
INGRESS_NAMESPACE = "ingress-nginx"  # where the cluster's ingress controller runs
HTTP_PORT, METRICS_PORT = 8080, 9100
WORKDIR = "/tmp"  # noqa: S108 - the image's WORKDIR: a tmpfs in the container, not the host's
GENERATED = ("Generated from services/manifest.py by `make deploy-files` "
             "(shared/deploy_files.py): to add or change a service, edit those, not this file.")


def _required(variable: str) -> str:
    return f"${{{variable}:?set {variable} in .env}}"


_POSTGRES_URL = f"postgresql://haven:{_required('POSTGRES_PASSWORD')}@postgres:5432/haven"
# Each secret setting: its value in docker-compose.yml, its key in the Secret haven-secrets.
SECRETS = {
    "HAVEN_POSTGRES_URL": (_POSTGRES_URL, "postgres-url"),
    "HAVEN_AUDIT_POSTGRES_URL": (_POSTGRES_URL, "audit-postgres-url"),
    "HAVEN_AMQP_URI": (f"amqp://haven:{_required('RABBITMQ_PASSWORD')}@rabbitmq:5672/haven",
                       "amqp-uri"),
    "HAVEN_MASTER_KEY": (_required("HAVEN_MASTER_KEY"), "master-key"),
    "HAVEN_BLIND_INDEX_KEY": (_required("HAVEN_BLIND_INDEX_KEY"), "blind-index-key"),
    "HAVEN_TOKEN_SECRET": (_required("HAVEN_TOKEN_SECRET"), "token-secret"),
}


def secrets_for(service: Service) -> list[str]:
    """The secret settings a process of `service` (or its relay) gets: no more than it needs."""
    needed = ["HAVEN_POSTGRES_URL"] if service.application else []
    needed += ["HAVEN_AUDIT_POSTGRES_URL"] if service.audits else []
    needed += ["HAVEN_AMQP_URI"]
    needed += ["HAVEN_MASTER_KEY", "HAVEN_BLIND_INDEX_KEY"] if service.unseals else []
    return [*needed, "HAVEN_TOKEN_SECRET"]


def _settings(service: Service) -> dict[str, str]:
    """The settings that are not secret (in Kubernetes: the ConfigMap, base/config.yaml)."""
    store = {"HAVEN_STORE": "postgres"} if service.application else {}
    http = {"HAVEN_HTTP_PORT": str(HTTP_PORT)} if service.http else {}
    return {"HAVEN_ENV": "production", **store, **http, "HAVEN_METRICS_PORT": str(METRICS_PORT)}


def _processes(service: Service) -> list[tuple[str, list[str]]]:
    """(process name, `haven` arguments): the service, then its relay if it has one."""
    relay = [(f"{service.name}-relay", ["relay", service.name])] if service.relay else []
    return [(service.name, ["run", service.name]), *relay]


def _comment(*paragraphs: str) -> str:
    """Comment lines; a paragraph starting with two spaces is kept as it is (a command)."""
    lines: list[str] = []
    for paragraph in paragraphs:
        keep = not paragraph or paragraph.startswith("  ")
        lines += [paragraph] if keep else textwrap.wrap(paragraph, 88, break_on_hyphens=False)
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)


def _catalogue(m: Manifest) -> list[str]:
    return [f"  {', '.join(n for n, _ in _processes(s)):<28} {s.summary}" for s in m]


class _Dumper(yaml.SafeDumper):
    """Block style, with short runs of scalars on one line, as a person would write them."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)  # list items indented under their key


def _represent(dumper: _Dumper, data: dict[str, Any] | list[Any]) -> yaml.Node:
    items = data.values() if isinstance(data, dict) else data
    short = len(str(data)) <= 100 and not any(isinstance(i, dict | list) for i in items)
    if isinstance(data, dict):
        return dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=short)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=short)


_Dumper.add_representer(dict, _represent)
_Dumper.add_representer(list, _represent)


def _yaml(header: str, *documents: Any) -> str:
    return header + yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, width=120)


# --- docker-compose.yml --------------------------------------------------------------------

_HEALTHY = {"condition": "service_healthy"}
_HAVEN_CONTAINER = {
    "build": ".", "image": "haven:local", "restart": "unless-stopped", "read_only": True,
    "tmpfs": [WORKDIR], "cap_drop": ["ALL"], "security_opt": ["no-new-privileges:true"],
    "mem_limit": "256m", "stop_grace_period": "30s",
}
_BACKING = {
    "postgres": {
        "image": "postgres:16", "restart": "unless-stopped",
        "environment": {"POSTGRES_USER": "haven", "POSTGRES_DB": "haven",
                        "POSTGRES_PASSWORD": _required("POSTGRES_PASSWORD")},
        "volumes": ["postgres-data:/var/lib/postgresql/data"],
        "healthcheck": {"test": ["CMD-SHELL", "pg_isready -U haven -d haven"], "interval": "5s",
                        "timeout": "5s", "retries": 10, "start_period": "10s"},
    },
    "rabbitmq": {
        "image": "rabbitmq:3-management", "hostname": "rabbitmq", "restart": "unless-stopped",
        "environment": {"RABBITMQ_DEFAULT_USER": "haven",
                        "RABBITMQ_DEFAULT_PASS": _required("RABBITMQ_PASSWORD"),
                        "RABBITMQ_DEFAULT_VHOST": "haven"},
        "volumes": ["rabbitmq-data:/var/lib/rabbitmq"],
        "ports": ["127.0.0.1:15672:15672"],
        "healthcheck": {"test": ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"],
                        "interval": "10s", "timeout": "10s", "retries": 10,
                        "start_period": "20s"},
    },
}
_COMPOSE_HEADER = _comment(
    "Haven on one machine: PostgreSQL, RabbitMQ and one container per process kind.", GENERATED,
    "",
    "  cp deploy/compose.env.example .env     # then fill in every value (deploy/README.md)",
    "  docker compose up --build",
    "  curl http://127.0.0.1:8080/health",
    "",
    "Secrets come only from .env (never committed): `${VAR:?...}` stops compose with a "
    "message when one is missing, instead of starting with an empty key.",
    "",
    "Every Haven container runs the one image with the hardening the Kubernetes manifests "
    "also apply (read-only root filesystem, every capability dropped, no-new-privileges, "
    "256m), is checked by the image's HEALTHCHECK (GET :$HAVEN_METRICS_PORT/health), and "
    "starts only once the store and the broker it uses are healthy; a relay also waits for "
    "its service, which creates the store the relay reads. Only a process that reads "
    "personal data gets HAVEN_MASTER_KEY and HAVEN_BLIND_INDEX_KEY; the gateway, a front, "
    "has no store and no data keys.",
    "",
    "rabbitmq: the node name, and so its data directory, follows the host name: keep it "
    "fixed. Its management UI is published to this machine only.",
    "",
    "Processes (services/manifest.py):",
)


def _compose_process(service: Service, name: str, args: list[str]) -> dict[str, Any]:
    secrets = {key: SECRETS[key][0] for key in secrets_for(service)}
    needs = ["postgres", "rabbitmq"] if service.application else ["rabbitmq"]
    depends_on = {backing: _HEALTHY for backing in needs}
    if args[0] == "relay":
        depends_on[service.name] = _HEALTHY
    process = {**_HAVEN_CONTAINER, "command": args,
               "environment": {**_settings(service), **secrets}, "depends_on": depends_on}
    if service.http and args[0] == "run":
        process["ports"] = [f"{HTTP_PORT}:{HTTP_PORT}"]
    return process


def compose(m: Manifest) -> dict[str, Any]:
    processes = {name: _compose_process(s, name, args) for s in m for name, args in _processes(s)}
    return {"name": "haven", "services": {**_BACKING, **processes},
            "volumes": {"postgres-data": {}, "rabbitmq-data": {}}}


# --- deploy/k8s ----------------------------------------------------------------------------

_POD_SECURITY = {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                 "seccompProfile": {"type": "RuntimeDefault"}}
_CONTAINER_SECURITY = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                       "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}
# A process stays below 200 MB RSS; a relay does little but read and publish.
_RESOURCES = {"run": {"requests": {"cpu": "50m", "memory": "128Mi"},
                      "limits": {"cpu": "1", "memory": "256Mi"}},
              "relay": {"requests": {"cpu": "20m", "memory": "96Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"}}}
_READINESS = {"run": {"periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 2},
              "relay": {"periodSeconds": 10, "timeoutSeconds": 3}}
_ROLLING = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}


def _labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/part-of": "haven", "app.kubernetes.io/component": component}


def _metadata(name: str) -> dict[str, Any]:
    return {"name": name, "namespace": "haven", "labels": _labels(name)}


def _probe(path: str, **timing: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "metrics"}, **timing}


def _container(service: Service, name: str, args: list[str]) -> dict[str, Any]:
    http = [{"name": "http", "containerPort": HTTP_PORT}] if service.http else []
    secret = [{"name": key, "valueFrom": {"secretKeyRef": {"name": "haven-secrets",
                                                           "key": SECRETS[key][1]}}}
              for key in secrets_for(service)]
    return {
        "name": name, "image": IMAGE, "imagePullPolicy": "IfNotPresent", "args": args,
        "ports": [*http, {"name": "metrics", "containerPort": METRICS_PORT}],
        "envFrom": [{"configMapRef": {"name": "haven-config"}}], "env": secret,
        "resources": _RESOURCES[args[0]],
        "startupProbe": _probe("/health", periodSeconds=2, failureThreshold=30),
        "livenessProbe": _probe("/health", periodSeconds=15, timeoutSeconds=3, failureThreshold=3),
        "readinessProbe": _probe("/ready", **_READINESS[args[0]]),
        "securityContext": _CONTAINER_SECURITY,
        "volumeMounts": [{"name": "tmp", "mountPath": WORKDIR}],
    }


def _deployment(service: Service, name: str, args: list[str]) -> dict[str, Any]:
    relay = args[0] == "relay"
    spread = [] if relay else [{
        "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": _labels(name)}}]
    pod = {"automountServiceAccountToken": False, "enableServiceLinks": False,
           "terminationGracePeriodSeconds": 30, "securityContext": _POD_SECURITY,
           **({"topologySpreadConstraints": spread} if spread else {}),
           "containers": [_container(service, name, args)],
           "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}]}
    annotations = {"prometheus.io/scrape": "true", "prometheus.io/port": str(METRICS_PORT)}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _metadata(name), "spec": {
        "replicas": 1 if relay else service.replicas,
        "selector": {"matchLabels": _labels(name)},
        "strategy": {"type": "Recreate"} if relay else _ROLLING,
        "template": {"metadata": {"labels": _labels(name), "annotations": annotations},
                     "spec": pod}}}


def _http(service: Service) -> list[dict[str, Any]]:
    """A ClusterIP Service, and the one policy that lets the ingress controller reach it."""
    port = {"name": "http", "port": 80, "targetPort": "http"}
    from_ingress = {"from": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": INGRESS_NAMESPACE}}}],
        "ports": [{"protocol": "TCP", "port": HTTP_PORT}]}
    return [
        {"apiVersion": "v1", "kind": "Service", "metadata": _metadata(service.name),
         "spec": {"type": "ClusterIP", "selector": _labels(service.name), "ports": [port]}},
        {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
         "metadata": {**_metadata(service.name), "name": f"{service.name}-from-ingress"},
         "spec": {"podSelector": {"matchLabels": _labels(service.name)},
                  "policyTypes": ["Ingress"], "ingress": [from_ingress]}},
    ]


def _disruption_budget(service: Service) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": _metadata(service.name),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": _labels(service.name)}}}


def kubernetes(service: Service) -> list[dict[str, Any]]:
    """The objects of deploy/k8s/services/NAME.yaml."""
    objects = [_deployment(service, name, args) for name, args in _processes(service)]
    objects += _http(service) if service.http else []
    # One replica: a budget of one would block every node drain.
    objects += [_disruption_budget(service)] if service.replicas > 1 else []
    return objects


def _kubernetes_header(service: Service) -> str:
    count = f"{service.replicas} replicas" if service.replicas > 1 else "one replica"
    lines = [f"{service.name}: {service.summary}. {GENERATED}", "",
             f"`haven run {service.name}`: {count}, rolled one at a time; nameko lets running "
             "workers finish on SIGTERM (30 s)."]
    if service.relay:
        lines.append(f"`haven relay {service.name}` publishes the notification log in order: "
                     "one replica, replaced with Recreate so that two relays never overlap in a "
                     "rollout (consumers would drop the duplicates, but there is nothing to "
                     "gain). A PodDisruptionBudget would only block node drains for it.")
    if service.http:
        lines.append(f"HTTP on {HTTP_PORT}: a ClusterIP Service (expose it through the "
                     "cluster's ingress controller, with TLS there) that only the namespace "
                     f"{INGRESS_NAMESPACE} may reach.")
    if service.audits:
        lines.append("It reads every service's schema with read-only credentials "
                     "(audit-postgres-url: USAGE + SELECT on the service schemas) and writes "
                     "only its own records (postgres-url).")
    keys = ", ".join(SECRETS[key][1] for key in secrets_for(service))
    lines.append(f"Secrets (haven-secrets): {keys}. " + (
        "It reads personal data, so it holds the data keys." if service.unseals
        else "It never holds the master key or the blind-index key."))
    return _comment(*lines)


def _kustomization(m: Manifest) -> str:
    return _yaml(_comment(
        f"Haven on Kubernetes: `kubectl apply -k deploy/k8s`. {GENERATED}", "",
        "base/ holds what every service shares; services/ one file per manifest entry. "
        "base/secret.template.yaml is not listed: create the Secret as it says. Set your "
        "registry's image in an overlay of your own (kustomize `images:`), not here.", "",
        "Processes (services/manifest.py):", *_catalogue(m),
    ), {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [*BASE, *(f"services/{s.name}.yaml" for s in m)]})


# --- writing and checking ------------------------------------------------------------------


def render(m: Manifest) -> dict[str, str]:
    """Every generated file: its path from the repository root -> its text."""
    files = {COMPOSE: _yaml(_COMPOSE_HEADER + _comment(*_catalogue(m)), compose(m)),
             KUSTOMIZATION: _kustomization(m)}
    for service in m:
        files[f"{SERVICE_FILES}/{service.name}.yaml"] = _yaml(_kubernetes_header(service),
                                                              *kubernetes(service))
    return files


def stale(root: Path, m: Manifest) -> list[str]:
    """Generated files that differ or are missing, and service files no entry generates."""
    files = render(m)
    differ = [path for path, text in files.items()
              if not (root / path).is_file() or (root / path).read_text() != text]
    left = sorted(str(p.relative_to(root)) for p in (root / SERVICE_FILES).glob("*.yaml"))
    return differ + [path for path in left if path not in files]


def sync(check: bool, root: Path = ROOT, m: Manifest | None = None) -> int:
    """`haven deploy-files`: write the files (or with `check` only name the stale ones)."""
    m = manifest() if m is None else m
    files, out_of_date = render(m), stale(root, m)
    if check:
        for path in out_of_date:
            click.echo(f"stale: {path}", err=True)
        if out_of_date:
            click.echo("run `make deploy-files` (haven deploy-files) and commit the result",
                       err=True)
        return 1 if out_of_date else 0
    for path in out_of_date:
        if path in files:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(files[path])
            click.echo(f"wrote {path}")
        else:
            (root / path).unlink()
            click.echo(f"removed {path} (no manifest entry)")
    return 0
