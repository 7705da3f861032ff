"""docker-compose.yml, deploy/k8s/ and what they read, as the manifest (services/manifest.py) says.

`haven deploy-files` (`make deploy-files`) writes them, `--check` names the stale ones.
Every file is Python data dumped with PyYAML. What a process gets follows from its entry:
every process the broker and the token public key; `application` (it keeps an event store)
the PostgreSQL URLs; `unseals` the two data keys; `relay` a second process, `haven relay
NAME`, one replica at a time; `http` port 8080, published (compose) or behind a Service
reached only from the ingress controller (Kubernetes). In Kubernetes every `haven run`
process scales (a HorizontalPodAutoscaler keeps 2 to 6 replicas by CPU, a
PodDisruptionBudget one at least), a relay never. The auditor alone also reads every
store, with read-only credentials. deploy/k8s/base/ holds what no entry changes, but for the
Secret template (it lists every service's credentials).

No credential is shared between services. Each service, and its relay, logs in to RabbitMQ
as its own user `haven-NAME` (HAVEN_BROKER_PASSWORD_NAME): the broker loads `haven broker
definitions`, which lets that user publish to NAME.events and no other exchange, and no
`haven`/guest user exists. Each store's processes log in to PostgreSQL as its writer role
`haven_NAME` with HAVEN_POSTGRES_LEAST_PRIVILEGE=1 (shared.db_roles: they may add to their
history, never change it); a setup step runs before any service: it creates the login roles
with their passwords, then `haven db grants NAME --apply` for every store. The subject keys
have a role of their own (HAVEN_KEYS_POSTGRES_URL), the audit tools a read-only one.
Relays sign checkpoints with HAVEN_CHECKPOINT_SIGNING_KEY into a volume outside the
database (HAVEN_CHECKPOINT_DIR); the auditor reads it and checks them with
HAVEN_CHECKPOINT_PUBLIC_KEY.

No process holds the token signing key: only the issuer (`haven token issue`) does. In
compose that is the `token-issuer` tool, started only on demand (profile "tools"); in
Kubernetes it never enters the cluster (deploy/k8s/base/secret.template.yaml).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml

from shared.broker_cli import password_variable
from shared.db_roles import LOCK_FUNCTION
from shared.manifest import Manifest, Service, manifest
from shared.revocations import SCHEMA as REVOCATIONS_SCHEMA
from shared.revocations import TABLE as REVOCATIONS_TABLE

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = "docker-compose.yml"
ENV_EXAMPLE = "deploy/compose.env.example"
RABBITMQ_CONF = "deploy/rabbitmq/haven.conf"
KUSTOMIZATION = "deploy/k8s/kustomization.yaml"
SETUP = "deploy/k8s/setup.yaml"
SECRET_TEMPLATE = "deploy/k8s/base/secret.template.yaml"  # noqa: S105 - a path
SERVICE_FILES = "deploy/k8s/services"
# The secret template is left out on purpose: applied, it would replace the real Secret.
BASE = ("base/namespace.yaml", "base/config.yaml", "base/networkpolicy.yaml")
CONFIG_MAP_SETTINGS = ("HAVEN_ENV", "HAVEN_STORE", "HAVEN_HTTP_PORT", "HAVEN_METRICS_PORT",
                       "HAVEN_QUEUE_TYPE")
IMAGE = "haven:0.1.0"
INGRESS_NAMESPACE = "ingress-nginx"  # where the cluster's ingress controller runs
HTTP_PORT, METRICS_PORT = 8080, 9100
WORKDIR = "/tmp"  # noqa: S108 - the image's WORKDIR: a tmpfs in the container, not the host's
GENERATED = ("Generated from services/manifest.py by `make deploy-files` "
             "(shared/deploy_files.py): to add or change a service, edit those, not this file.")

DATABASE = "haven"
BROKER_VHOST = "haven"
# `haven db grants` names the writer of schema `audit` haven_audit, its default auditor
# role name: the read-only role of the audit tools is given a name of its own.
AUDITOR_ROLE = "haven_auditor"
KEYS_ROLE, KEYS_SCHEMA = "haven_keys", "keys"  # shared.keystore: its own schema and role
# A new named volume takes the owner and mode of the image's directory it is mounted on:
# /var/tmp (mode 1777) is the one directory of the image that the unprivileged users of
# these containers may write, so the checkpoint and definitions volumes are mounted there.
SHARED_MOUNT = "/var/tmp"  # noqa: S108 - a named volume, not the host's
CHECKPOINT_DIR = f"{SHARED_MOUNT}/checkpoints"
DEFINITIONS = "definitions.json"
RABBITMQ_DEFINITIONS_DIR = "/etc/rabbitmq/definitions"
# The official rabbitmq and postgres images run as uid 999: the definitions file (0600) is
# written as that user so that RabbitMQ, and only it, can read it.
IMAGE_SERVICE_USER = "999:999"
# Kubernetes: PostgreSQL and RabbitMQ run under their operators (docs/kubernetes.md): the
# CloudNativePG Cluster haven-pg (its read-write Service haven-pg-rw) and the
# RabbitmqCluster haven-rabbitmq, in the namespace haven. base/networkpolicy.yaml lets the
# Haven pods reach their pods, by the operators' labels (cnpg.io/cluster: haven-pg;
# app.kubernetes.io/name: haven-rabbitmq, RABBITMQ_PODS).
K8S_POSTGRES_CLUSTER, K8S_RABBITMQ_CLUSTER = "haven-pg", "haven-rabbitmq"
K8S_POSTGRES = f"{K8S_POSTGRES_CLUSTER}-rw.haven.svc"
K8S_RABBITMQ = f"{K8S_RABBITMQ_CLUSTER}.haven.svc"
RABBITMQ_PODS = {"app.kubernetes.io/name": K8S_RABBITMQ_CLUSTER}
BROKER_MANAGEMENT_PORT = 15672  # the setup Job imports the broker's definitions there


def broker_user(name: str) -> str:
    """Settings.broker_user with the default prefix: consumers trust `haven-NAME` only."""
    return f"haven-{name}"


def writer_role(name: str) -> str:
    """shared.db_roles.roles_for: the role that a store's processes connect as."""
    return f"haven_{name}"


def _required(variable: str) -> str:
    return f"${{{variable}:?set {variable} in .env}}"


@dataclass(frozen=True)
class Login:
    """A user name and where its password is: the .env variable, the Secret key."""

    user: str
    variable: str
    key: str


def store_login(name: str) -> Login:
    return Login(writer_role(name), f"POSTGRES_PASSWORD_{name.upper()}",
                 f"postgres-password-{name}")


def broker_login(name: str) -> Login:
    return Login(broker_user(name), password_variable(name), f"broker-password-{name}")


AUDITOR = Login(AUDITOR_ROLE, "POSTGRES_PASSWORD_AUDITOR", "postgres-password-auditor")
KEYS = Login(KEYS_ROLE, "POSTGRES_PASSWORD_KEYS", "postgres-password-keys")
SUPERUSER = Login("haven", "POSTGRES_PASSWORD", "postgres-admin-url")  # setup only


def database_logins(m: Manifest) -> list[Login]:
    """Every PostgreSQL login role the setup creates, with its password: one per service
    (every process checks tokens against the revocation list; a front has no more), the
    auditor's, the key store's."""
    return [*(store_login(s.name) for s in m), AUDITOR, KEYS]


# Keys: each setting is its own .env variable and Secret key.
KEY_SETTINGS = {"HAVEN_MASTER_KEY": "master-key", "HAVEN_BLIND_INDEX_KEY": "blind-index-key",
                "HAVEN_TOKEN_PUBLIC_KEY": "token-public-key",
                "HAVEN_CHECKPOINT_SIGNING_KEY": "checkpoint-signing-key",
                "HAVEN_CHECKPOINT_PUBLIC_KEY": "checkpoint-public-key"}
# URLs: made of a login's password (in Kubernetes, this variable of the container first).
URL_PASSWORDS = {"HAVEN_POSTGRES_URL": "POSTGRES_PASSWORD",
                 "HAVEN_KEYS_POSTGRES_URL": "KEYS_POSTGRES_PASSWORD",
                 "HAVEN_AUDIT_POSTGRES_URL": "AUDIT_POSTGRES_PASSWORD",
                 "HAVEN_AMQP_URI": "BROKER_PASSWORD"}
# Only the issuer signs tokens; everyone else verifies with the public key.
ISSUER_ONLY_SETTING = "HAVEN_TOKEN_SIGNING_KEY"
ISSUER_TOOL = "token-issuer"


def secrets_for(service: Service, relay: bool = False) -> list[str]:
    """The secret settings a process of `service` (`relay`: its relay) gets: no more than it
    needs. Only a relay signs checkpoints; only the auditor checks them."""
    # Every process reads the revocation list (schema auth) with its own role; a front
    # keeps nothing else there (no store, no key store).
    needed = ["HAVEN_POSTGRES_URL", "HAVEN_KEYS_POSTGRES_URL"] if service.application \
        else ["HAVEN_POSTGRES_URL"]
    needed += ["HAVEN_AUDIT_POSTGRES_URL", "HAVEN_CHECKPOINT_PUBLIC_KEY"] if service.audits else []
    needed += ["HAVEN_AMQP_URI"]
    needed += ["HAVEN_MASTER_KEY", "HAVEN_BLIND_INDEX_KEY"] if service.unseals else []
    needed += ["HAVEN_CHECKPOINT_SIGNING_KEY"] if relay else []
    return [*needed, "HAVEN_TOKEN_PUBLIC_KEY"]


def _settings(service: Service, relay: bool = False) -> dict[str, str]:
    """The settings that are not secret (in Kubernetes: CONFIG_MAP_SETTINGS from the
    ConfigMap, base/config.yaml; the others in the container's env)."""
    store = {"HAVEN_STORE": "postgres", "HAVEN_POSTGRES_LEAST_PRIVILEGE": "1"} \
        if service.application else {}
    http = {"HAVEN_HTTP_PORT": str(HTTP_PORT)} if service.http else {}
    checkpoints = {"HAVEN_CHECKPOINT_DIR": CHECKPOINT_DIR} if relay or service.audits else {}
    return {"HAVEN_ENV": "production", **store, **http, **checkpoints,
            "HAVEN_METRICS_PORT": str(METRICS_PORT)}


def login_for(service: Service, setting: str) -> Login:
    """Whose credentials a URL setting of `service` carries."""
    return {"HAVEN_POSTGRES_URL": store_login(service.name), "HAVEN_KEYS_POSTGRES_URL": KEYS,
            "HAVEN_AUDIT_POSTGRES_URL": AUDITOR,
            "HAVEN_AMQP_URI": broker_login(service.name)}[setting]


def _url(setting: str, login: Login, password: str, kubernetes: bool = False) -> str:
    if setting == "HAVEN_AMQP_URI":
        host = K8S_RABBITMQ if kubernetes else "rabbitmq"
        return f"amqp://{login.user}:{password}@{host}:5672/{BROKER_VHOST}"
    host = K8S_POSTGRES if kubernetes else "postgres"
    return f"postgresql://{login.user}:{password}@{host}:5432/{DATABASE}"


def _compose_secret(service: Service, setting: str) -> str:
    if setting in KEY_SETTINGS:
        return _required(setting)
    login = login_for(service, setting)
    return _url(setting, login, _required(login.variable))


def _secret_ref(name: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": "haven-secrets", "key": key}}}


def _k8s_secret(service: Service, setting: str) -> list[dict[str, Any]]:
    """A key from the Secret; a URL from its password (the Secret holds each password once,
    and the URL's user is the one the broker definitions and `haven db grants` know)."""
    if setting in KEY_SETTINGS:
        return [_secret_ref(setting, KEY_SETTINGS[setting])]
    login, password = login_for(service, setting), URL_PASSWORDS[setting]
    return [_secret_ref(password, login.key),
            {"name": setting, "value": _url(setting, login, f"$({password})", kubernetes=True)}]


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


def _represent_text(dumper: _Dumper, data: str) -> yaml.Node:
    """A script of several lines as a literal block: it reads as it runs."""
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(dict, _represent)
_Dumper.add_representer(list, _represent)
_Dumper.add_representer(str, _represent_text)


def _yaml(header: str, *documents: Any) -> str:
    return header + yaml.dump_all(documents, Dumper=_Dumper, sort_keys=False, width=120)


# --- docker-compose.yml --------------------------------------------------------------------

_HEALTHY = {"condition": "service_healthy"}
_HAVEN_CONTAINER = {
    "build": ".", "image": "haven:local", "restart": "unless-stopped", "read_only": True,
    "tmpfs": [WORKDIR], "cap_drop": ["ALL"], "security_opt": ["no-new-privileges:true"],
    "mem_limit": "256m", "stop_grace_period": "30s",
}
_COMPLETED = {"condition": "service_completed_successfully"}
_ONE_SHOT = {"restart": "no", "healthcheck": {"disable": True}}  # commands that end
_SUPERUSER_URL = f"postgresql://haven:{_required('POSTGRES_PASSWORD')}@postgres:5432/{DATABASE}"
_BACKING = {
    "postgres": {
        "image": "postgres:16", "restart": "unless-stopped",
        "environment": {"POSTGRES_USER": "haven", "POSTGRES_DB": DATABASE,
                        "POSTGRES_PASSWORD": _required("POSTGRES_PASSWORD")},
        "volumes": ["postgres-data:/var/lib/postgresql/data"],
        "healthcheck": {"test": ["CMD-SHELL", "pg_isready -U haven -d haven"], "interval": "5s",
                        "timeout": "5s", "retries": 10, "start_period": "10s"},
    },
    "rabbitmq": {
        "image": "rabbitmq:3-management", "hostname": "rabbitmq", "restart": "unless-stopped",
        "volumes": ["rabbitmq-data:/var/lib/rabbitmq",
                    f"broker-definitions:{RABBITMQ_DEFINITIONS_DIR}:ro",
                    f"./{RABBITMQ_CONF}:/etc/rabbitmq/conf.d/20-haven.conf:ro"],
        "healthcheck": {"test": ["CMD", "rabbitmq-diagnostics", "-q", "check_port_connectivity"],
                        "interval": "10s", "timeout": "10s", "retries": 10,
                        "start_period": "20s"},
        "depends_on": {"broker-definitions": _COMPLETED},
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
    "No two services share a credential. Before anything else runs: broker-definitions "
    "writes `haven broker definitions` (one RabbitMQ user per service, haven-NAME, allowed "
    "its own exchanges and queues; hashed passwords only) into a volume RabbitMQ loads at "
    "boot (deploy/rabbitmq/haven.conf), so the broker has no shared or guest user; db-roles "
    "creates the PostgreSQL login roles with their passwords (each store's writer haven_NAME, "
    f"{AUDITOR_ROLE} read-only, {KEYS_ROLE} for the subject keys); db-grants runs `haven db "
    "grants NAME --apply` for every store. Each store's processes then connect as its writer "
    "(HAVEN_POSTGRES_LEAST_PRIVILEGE=1: no UPDATE, DELETE or TRUNCATE on its history). The "
    "superuser (POSTGRES_PASSWORD) is used by the setup and the token issuer only.",
    "",
    "Relays sign checkpoints (HAVEN_CHECKPOINT_SIGNING_KEY) into the volume checkpoints, "
    "outside the database; audit reads it, read-only, and checks them with "
    "HAVEN_CHECKPOINT_PUBLIC_KEY. Back it up apart from the database.",
    "",
    "rabbitmq: the node name, and so its data directory, follows the host name: keep it "
    "fixed. It has no administrator user: `docker compose exec rabbitmq rabbitmqctl ...`.",
    "",
    f"{ISSUER_TOOL}: the only holder of HAVEN_TOKEN_SIGNING_KEY; every other process "
    "checks tokens with HAVEN_TOKEN_PUBLIC_KEY and cannot mint one. It never runs by itself "
    "(profile tools); it issues and revokes tokens on demand:",
    f"  docker compose run --rm {ISSUER_TOOL} issue --user U --roles caseworker",
    f"  docker compose run --rm {ISSUER_TOOL} revoke JTI",
    "",
    "Processes (services/manifest.py):",
)


def _compose_process(service: Service, name: str, args: list[str]) -> dict[str, Any]:
    relay = args[0] == "relay"
    secrets = {key: _compose_secret(service, key) for key in secrets_for(service, relay)}
    depends_on = {backing: _HEALTHY for backing in ("postgres", "rabbitmq")}
    # Its role, and for a store its tables and their grants, exist before it starts.
    depends_on["db-grants" if service.application else "db-roles"] = _COMPLETED
    if relay:
        depends_on[service.name] = _HEALTHY
    process = {**_HAVEN_CONTAINER, "command": args,
               "environment": {**_settings(service, relay), **secrets}, "depends_on": depends_on}
    if relay or service.audits:  # relays write the signed checkpoints, the auditor reads them
        process["volumes"] = [f"checkpoints:{SHARED_MOUNT}" + ("" if relay else ":ro")]
    if service.http and not relay:
        process["ports"] = [f"{HTTP_PORT}:{HTTP_PORT}"]
    return process


def _token_issuer() -> dict[str, Any]:
    """`haven token ...` with the signing key; the store only for the revocation list."""
    return {**_HAVEN_CONTAINER, **_ONE_SHOT, "profiles": ["tools"], "command": ["token"],
            "environment": {"HAVEN_ENV": "production", "HAVEN_POSTGRES_URL": _SUPERUSER_URL,
                            ISSUER_ONLY_SETTING: _required(ISSUER_ONLY_SETTING),
                            "HAVEN_TOKEN_PUBLIC_KEY": _required("HAVEN_TOKEN_PUBLIC_KEY")},
            "depends_on": {"postgres": _HEALTHY, "db-roles": _COMPLETED}}


def _broker_definitions(m: Manifest) -> dict[str, Any]:
    """`haven broker definitions` into the volume RabbitMQ loads at boot (at every start:
    a changed password takes effect with the next `docker compose up`)."""
    return {**_HAVEN_CONTAINER, **_ONE_SHOT, "user": IMAGE_SERVICE_USER,
            "command": ["broker", "definitions", "--vhost", BROKER_VHOST,
                        "--output", f"{SHARED_MOUNT}/{DEFINITIONS}"],
            "environment": {broker_login(s.name).variable: _required(broker_login(s.name).variable)
                            for s in m},
            "volumes": [f"broker-definitions:{SHARED_MOUNT}"]}


def roles_script(m: Manifest) -> str:
    """psql, as the superuser: every login role with its password, the key store's schema and
    the revocation list's. Passwords come from the environment through psql's \\getenv
    (never on a command line, quoted by psql); an unset one stops the script."""
    services = ", ".join(writer_role(s.name) for s in m)
    revocations = f"{REVOCATIONS_SCHEMA}.{REVOCATIONS_TABLE}"
    sql = []
    for login in database_logins(m):
        var = login.variable.lower()
        sql += [f"\\getenv {var} {login.variable}",
                f"SELECT 'CREATE ROLE {login.user} LOGIN' WHERE NOT EXISTS"
                f" (SELECT FROM pg_roles WHERE rolname = '{login.user}') \\gexec",
                f"ALTER ROLE {login.user} LOGIN PASSWORD :'{var}';"]
    sql += [f"CREATE SCHEMA IF NOT EXISTS {KEYS_SCHEMA} AUTHORIZATION {KEYS_ROLE};",
            f"ALTER SCHEMA {KEYS_SCHEMA} OWNER TO {KEYS_ROLE};",
            # CREATE on the database, as db_roles gives the writers: shared.keystore runs
            # CREATE SCHEMA IF NOT EXISTS, which asks for it even when the schema exists.
            f"SELECT format('GRANT CONNECT, CREATE ON DATABASE %I TO {KEYS_ROLE}, {services}',"
            " current_database()) \\gexec",
            # shared.revocations' table, made here so that it belongs to no service: the
            # issuer (superuser) adds to it, every service reads it. CREATE on the schema
            # because the services' CREATE TABLE IF NOT EXISTS asks for it (and the
            # gateway keeps its refusal log there).
            f"CREATE SCHEMA IF NOT EXISTS {REVOCATIONS_SCHEMA};",
            f"CREATE TABLE IF NOT EXISTS {revocations} (jti text PRIMARY KEY, revoked_at"
            " timestamptz NOT NULL, revoked_by text NOT NULL, expires_at timestamptz NOT NULL);",
            f"GRANT USAGE, CREATE ON SCHEMA {REVOCATIONS_SCHEMA} TO {services};",
            f"GRANT SELECT ON {revocations} TO {services};"]
    return "\n".join(['psql -X -q -v ON_ERROR_STOP=1 -d "$POSTGRES_ADMIN_URL" <<\'SQL\'',
                      *sql, "SQL"])


def _db_roles(m: Manifest) -> dict[str, Any]:
    logins = database_logins(m)
    return {"image": "postgres:16", **_ONE_SHOT, "user": IMAGE_SERVICE_USER, "read_only": True,
            "tmpfs": [WORKDIR], "cap_drop": ["ALL"], "security_opt": ["no-new-privileges:true"],
            "entrypoint": ["/bin/sh", "-ec"],
            "command": [roles_script(m).replace("$", "$$")],  # $$: the shell's, not compose's
            "environment": {"POSTGRES_ADMIN_URL": _SUPERUSER_URL,
                            **{login.variable: _required(login.variable) for login in logins}},
            "depends_on": {"postgres": _HEALTHY}}


def grant_commands(m: Manifest) -> list[list[str]]:
    """`haven db grants NAME --apply` for every store, one after another."""
    return [["db", "grants", s.name, "--apply", "--audit-role", AUDITOR_ROLE]
            for s in m if s.application]


def _db_grants(m: Manifest) -> dict[str, Any]:
    script = "\n".join(" ".join(["haven", *command]) for command in grant_commands(m))
    return {**_HAVEN_CONTAINER, **_ONE_SHOT, "entrypoint": ["/bin/sh", "-ec"],
            "command": [script],
            "environment": {"HAVEN_ENV": "production", "HAVEN_STORE": "postgres",
                            "HAVEN_POSTGRES_URL": _SUPERUSER_URL,
                            "HAVEN_KEYS_POSTGRES_URL": _url("HAVEN_KEYS_POSTGRES_URL", KEYS,
                                                            _required(KEYS.variable))},
            "depends_on": {"postgres": _HEALTHY, "db-roles": _COMPLETED}}


def compose(m: Manifest) -> dict[str, Any]:
    setup = {"broker-definitions": _broker_definitions(m), "db-roles": _db_roles(m),
             "db-grants": _db_grants(m)}
    processes = {name: _compose_process(s, name, args) for s in m for name, args in _processes(s)}
    processes[ISSUER_TOOL] = _token_issuer()
    return {"name": "haven", "services": {**_BACKING, **setup, **processes},
            "volumes": {"postgres-data": {}, "rabbitmq-data": {}, "broker-definitions": {},
                        "checkpoints": {}}}


def compose_variables(m: Manifest) -> list[str]:
    """Every .env variable docker-compose.yml reads, in the order the example lists them."""
    return ["POSTGRES_PASSWORD", *(login.variable for login in database_logins(m)),
            *(broker_login(s.name).variable for s in m), "HAVEN_MASTER_KEY",
            "HAVEN_BLIND_INDEX_KEY", ISSUER_ONLY_SETTING, "HAVEN_TOKEN_PUBLIC_KEY",
            "HAVEN_CHECKPOINT_SIGNING_KEY", "HAVEN_CHECKPOINT_PUBLIC_KEY"]


def env_example(m: Manifest) -> str:
    return _comment(
        "Copy to .env at the repository root (`cp deploy/compose.env.example .env`), then "
        "replace every REPLACE-ME with a freshly generated value. .env is read by `docker "
        "compose` only; never commit it (.dockerignore keeps it out of the image as well). "
        "Haven refuses to start in production (HAVEN_ENV=production, set in "
        "docker-compose.yml) while any value is still a placeholder, is a development key of "
        "this repository, is shorter than 32 random bytes, or equals another key.", GENERATED,
        "",
        "Generate the values:",
        "  every password (one each, URL-safe, 32 characters at least):",
        "      python3 -c \"import secrets; print(secrets.token_hex(24))\"",
        "  HAVEN_MASTER_KEY / HAVEN_BLIND_INDEX_KEY (32 bytes, url-safe base64; two different"
        " keys):",
        "      python3 -c \"import base64, os;"
        " print(base64.urlsafe_b64encode(os.urandom(32)).decode())\"",
        "  HAVEN_TOKEN_SIGNING_KEY / HAVEN_TOKEN_PUBLIC_KEY, and HAVEN_CHECKPOINT_SIGNING_KEY /",
        "  HAVEN_CHECKPOINT_PUBLIC_KEY (two different Ed25519 pairs):",
        f"      docker compose run --rm --no-deps {ISSUER_TOOL} keypair",
        "",
        "POSTGRES_PASSWORD is the superuser's: only the setup (db-roles, db-grants) and the "
        "token issuer use it. POSTGRES_PASSWORD_NAME is the password of a store's writer role "
        f"haven_NAME, _AUDITOR of {AUDITOR_ROLE} (read-only), _KEYS of {KEYS_ROLE} (the subject "
        "keys). The broker passwords, one per service, are its broker user's (haven-NAME). Only "
        f"{ISSUER_TOOL} gets the token signing key; only relays the checkpoint signing key.",
        "",
        "Losing HAVEN_MASTER_KEY makes all personal data unreadable (crypto-shredding, "
        "everywhere): keep it in the centre's password safe / KMS, separately from database "
        "backups.",
    ) + "".join(f"{variable}=REPLACE-ME\n" for variable in compose_variables(m))


def rabbitmq_conf() -> str:
    return _comment(
        "RabbitMQ (docker-compose.yml): load Haven's definitions at boot, written by the "
        "broker-definitions step (`haven broker definitions`). With definitions to load, "
        "RabbitMQ creates no default (guest) user. " + GENERATED,
    ) + f"load_definitions = {RABBITMQ_DEFINITIONS_DIR}/{DEFINITIONS}\n"


# --- deploy/k8s ----------------------------------------------------------------------------

# fsGroup: the checkpoint volume is writable by the relays' group.
_POD_SECURITY = {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001,
                 "fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}}
_CONTAINER_SECURITY = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                       "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}}
# A process stays below 200 MB RSS; a relay does little but read and publish. A `haven run`
# process uses one core at the most (one interpreter, eventlet) and 0.5 to 3.5 % of one
# idle (bench: idle_cpu_pct_of_one_core_*); its CPU request is what its autoscaler measures.
_RESOURCES = {"run": {"requests": {"cpu": "200m", "memory": "128Mi"},
                      "limits": {"cpu": "1", "memory": "256Mi"}},
              "relay": {"requests": {"cpu": "20m", "memory": "96Mi"},
                        "limits": {"cpu": "500m", "memory": "256Mi"}}}
_READINESS = {"run": {"periodSeconds": 5, "timeoutSeconds": 3, "failureThreshold": 2},
              "relay": {"periodSeconds": 10, "timeoutSeconds": 3}}
_ROLLING = {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
# Every `haven run` process is safe to run as several replicas: each handler's durable
# queue hands a message to one replica (IdempotentConsumer absorbs a redelivery), an RPC
# is answered by whichever replica takes it, the gateway keeps no session. Its
# HorizontalPodAutoscaler keeps MIN_REPLICAS at least (one serves while another is
# replaced, rescheduled or drained: the PodDisruptionBudget keeps one) and adds replicas
# up to MAX_REPLICAS while the pods' CPU averages above CPU_TARGET % of their request.
# A relay publishes its store's log in order: one replica, never autoscaled.
MIN_REPLICAS, MAX_REPLICAS, CPU_TARGET = 2, 6, 70


def replica_range(service: Service) -> tuple[int, int]:
    """The fewest and most replicas of `haven run NAME` (its manifest entry's `replicas`
    raises the floor, never below MIN_REPLICAS)."""
    least = max(MIN_REPLICAS, service.replicas)
    return least, max(MAX_REPLICAS, least)


def _labels(component: str) -> dict[str, str]:
    return {"app.kubernetes.io/part-of": "haven", "app.kubernetes.io/component": component}


def _metadata(name: str) -> dict[str, Any]:
    return {"name": name, "namespace": "haven", "labels": _labels(name)}


def _probe(path: str, **timing: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "metrics"}, **timing}


def _env(service: Service, relay: bool) -> list[dict[str, Any]]:
    """What the ConfigMap does not give: per-process settings, then its credentials."""
    own = [{"name": key, "value": value} for key, value in _settings(service, relay).items()
           if key not in CONFIG_MAP_SETTINGS]
    return own + [var for key in secrets_for(service, relay) for var in _k8s_secret(service, key)]


_TMP = {"name": "tmp", "mountPath": WORKDIR}


def _checkpoint_mount(writes: bool) -> dict[str, Any]:
    return {"name": "checkpoints", "mountPath": SHARED_MOUNT, "readOnly": not writes}


def _container(service: Service, name: str, args: list[str]) -> dict[str, Any]:
    relay = args[0] == "relay"
    http = [{"name": "http", "containerPort": HTTP_PORT}] if service.http else []
    mounts = [_TMP, *([_checkpoint_mount(relay)] if relay or service.audits else [])]
    return {
        "name": name, "image": IMAGE, "imagePullPolicy": "IfNotPresent", "args": args,
        "ports": [*http, {"name": "metrics", "containerPort": METRICS_PORT}],
        "envFrom": [{"configMapRef": {"name": "haven-config"}}], "env": _env(service, relay),
        "resources": _RESOURCES[args[0]],
        "startupProbe": _probe("/health", periodSeconds=2, failureThreshold=30),
        "livenessProbe": _probe("/health", periodSeconds=15, timeoutSeconds=3, failureThreshold=3),
        "readinessProbe": _probe("/ready", **_READINESS[args[0]]),
        "securityContext": _CONTAINER_SECURITY,
        "volumeMounts": mounts,
    }


def _wait_for_grants(service: Service) -> dict[str, Any]:
    """An init container: the store's process starts once the setup Job has granted its
    writer role (it logs in, and the owner's lock function exists) -- what compose's
    `depends_on: db-grants` says, in a cluster that has no such ordering."""
    lock = f"{service.name}.{LOCK_FUNCTION}()"
    check = f"SELECT to_regprocedure('{lock}') IS NOT NULL"
    script = (f'until psql -X -q -d "$HAVEN_POSTGRES_URL" -tAc "{check}" 2>/dev/null'
              " | grep -qx t; do echo waiting for the haven-setup Job; sleep 5; done")
    return {"name": "wait-for-db-grants", "image": "postgres:16",
            "imagePullPolicy": "IfNotPresent", "command": ["/bin/sh", "-c", script],
            "env": _k8s_secret(service, "HAVEN_POSTGRES_URL"),
            "resources": _RESOURCES["relay"], "securityContext": _CONTAINER_SECURITY,
            "volumeMounts": [_TMP]}


def _volumes(service: Service, relay: bool) -> list[dict[str, Any]]:
    tmp = [{"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}}]
    if not (relay or service.audits):
        return tmp
    return [*tmp, {"name": "checkpoints", "persistentVolumeClaim": {
        "claimName": CHECKPOINT_CLAIM, "readOnly": not relay}}]


def _deployment(service: Service, name: str, args: list[str]) -> dict[str, Any]:
    relay = args[0] == "relay"
    spread = [] if relay else [{
        "maxSkew": 1, "topologyKey": "kubernetes.io/hostname",
        "whenUnsatisfiable": "ScheduleAnyway", "labelSelector": {"matchLabels": _labels(name)}}]
    waits = [_wait_for_grants(service)] if service.application else []
    pod = {"automountServiceAccountToken": False, "enableServiceLinks": False,
           "terminationGracePeriodSeconds": 30, "securityContext": _POD_SECURITY,
           **({"topologySpreadConstraints": spread} if spread else {}),
           **({"initContainers": waits} if waits else {}),
           "containers": [_container(service, name, args)],
           "volumes": _volumes(service, relay)}
    annotations = {"prometheus.io/scrape": "true", "prometheus.io/port": str(METRICS_PORT)}
    # No `replicas` for a service: its autoscaler sets them, and `kubectl apply` would
    # otherwise put them back to the file's number at every apply.
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _metadata(name), "spec": {
        **({"replicas": 1} if relay else {}),
        "selector": {"matchLabels": _labels(name)},
        "strategy": {"type": "Recreate"} if relay else _ROLLING,
        "template": {"metadata": {"labels": _labels(name), "annotations": annotations},
                     "spec": pod}}}


# --- deploy/k8s/setup.yaml: what runs before the services -------------------------------

CHECKPOINT_CLAIM = "haven-checkpoints"
SETUP_JOB = "haven-setup"
_JOB_RESOURCES = _RESOURCES["relay"]


def _job_container(name: str, image: str, mounts: tuple[dict[str, Any], ...] = (),
                   **spec: Any) -> dict[str, Any]:
    return {"name": name, "image": image, "imagePullPolicy": "IfNotPresent", **spec,
            "resources": _JOB_RESOURCES, "securityContext": _CONTAINER_SECURITY,
            "volumeMounts": [_TMP, *mounts]}


def _setup_job(m: Manifest) -> dict[str, Any]:
    """One Job, its steps in order (init containers run one after another): the login
    roles and their passwords; `haven db grants` for every store; the broker's users
    (`haven broker definitions`, imported through RabbitMQ's management API)."""
    admin = [_secret_ref("POSTGRES_ADMIN_URL", SUPERUSER.key)]
    roles = _job_container(
        "db-roles", "postgres:16", command=["/bin/sh", "-ec", roles_script(m)],
        env=[*admin, *(_secret_ref(login.variable, login.key) for login in database_logins(m))])
    keys_url = [_secret_ref(URL_PASSWORDS["HAVEN_KEYS_POSTGRES_URL"], KEYS.key),
                {"name": "HAVEN_KEYS_POSTGRES_URL", "value": _url(
                    "HAVEN_KEYS_POSTGRES_URL", KEYS,
                    f"$({URL_PASSWORDS['HAVEN_KEYS_POSTGRES_URL']})", kubernetes=True)}]
    grants = [_job_container(
        f"db-grants-{command[2]}", IMAGE, args=command,
        envFrom=[{"configMapRef": {"name": "haven-config"}}],
        env=[_secret_ref("HAVEN_POSTGRES_URL", SUPERUSER.key), *keys_url])
        for command in grant_commands(m)]
    definitions = f"{SHARED_MOUNT}/{DEFINITIONS}"
    broker = _job_container(
        "broker-definitions", IMAGE,
        args=["broker", "definitions", "--vhost", BROKER_VHOST, "--output", definitions],
        env=[_secret_ref(broker_login(s.name).variable, broker_login(s.name).key) for s in m],
        mounts=({"name": "definitions", "mountPath": SHARED_MOUNT},))
    broker_import = _job_container(
        "broker-import", "rabbitmq:3-management",
        command=["rabbitmqadmin", f"--host={K8S_RABBITMQ}", f"--port={BROKER_MANAGEMENT_PORT}",
                 "--username=$(BROKER_ADMIN_USER)", "--password=$(BROKER_ADMIN_PASSWORD)",
                 "import", definitions],
        env=[_secret_ref("BROKER_ADMIN_USER", "broker-admin-user"),
             _secret_ref("BROKER_ADMIN_PASSWORD", "broker-admin-password"),
             {"name": "HOME", "value": WORKDIR}],
        mounts=({"name": "definitions", "mountPath": SHARED_MOUNT, "readOnly": True},))
    pod = {"automountServiceAccountToken": False, "enableServiceLinks": False,
           "securityContext": _POD_SECURITY, "restartPolicy": "OnFailure",
           "initContainers": [roles, *grants, broker], "containers": [broker_import],
           "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "16Mi"}},
                       {"name": "definitions", "emptyDir": {"medium": "Memory",
                                                            "sizeLimit": "1Mi"}}]}
    # Deleted an hour after it finished, so that the next `kubectl apply -k` runs it again
    # (every step is idempotent; a Job's pod template cannot be changed in place).
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": _metadata(SETUP_JOB),
            "spec": {"backoffLimit": 10, "ttlSecondsAfterFinished": 3600,
                     "template": {"metadata": {"labels": _labels(SETUP_JOB)}, "spec": pod}}}


def _checkpoint_claim() -> dict[str, Any]:
    """Signed checkpoints, outside the database: every relay writes, the auditor reads."""
    return {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": _metadata(CHECKPOINT_CLAIM),
            "spec": {"accessModes": ["ReadWriteMany"],
                     "resources": {"requests": {"storage": "1Gi"}}}}


def _setup_egress() -> dict[str, Any]:
    """broker-import reaches RabbitMQ's management API, which no other Haven pod may
    (base/networkpolicy.yaml: DNS, PostgreSQL, AMQP)."""
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {**_metadata(SETUP_JOB), "name": f"{SETUP_JOB}-broker-management"},
            "spec": {"podSelector": {"matchLabels": _labels(SETUP_JOB)},
                     "policyTypes": ["Egress"],
                     "egress": [{"to": [{"podSelector": {"matchLabels": RABBITMQ_PODS}}],
                                 "ports": [{"protocol": "TCP",
                                            "port": BROKER_MANAGEMENT_PORT}]}]}}


def _setup(m: Manifest) -> str:
    return _yaml(_comment(
        f"What the services need before they start. {GENERATED}", "",
        f"{SETUP_JOB}: a Job whose steps run in order: db-roles creates every PostgreSQL "
        f"login role with its password (each store's writer haven_NAME, {AUDITOR_ROLE} "
        f"read-only, {KEYS_ROLE} for the subject keys) and the key store's schema; "
        "db-grants-NAME runs `haven db grants NAME --apply` as the superuser "
        "(postgres-admin-url), so each store's processes connect as its writer, which cannot "
        "UPDATE, DELETE or TRUNCATE its history; broker-definitions and broker-import give "
        "RabbitMQ one user per service, haven-NAME, allowed its own exchanges and queues "
        "(`haven broker definitions`, imported with the operator's administrator "
        "credentials, broker-admin-user/-password). A store's pods wait for the grants in "
        "an init container. Every step is idempotent; the Job is removed an hour after it "
        "finishes, so `kubectl apply -k` runs it again (after a password change, an upgrade "
        "that adds a store, a new service).", "",
        f"{CHECKPOINT_CLAIM}: where the relays write the signed checkpoints "
        "(HAVEN_CHECKPOINT_DIR) and the auditor reads them: ReadWriteMany (NFS, CephFS, "
        "a bucket through a CSI driver), on storage the database's administrators cannot "
        "write, backed up apart from the database.", "",
        f"{SETUP_JOB}-broker-management: the Job alone may reach RabbitMQ's management API "
        f"(port {BROKER_MANAGEMENT_PORT}), to import the definitions.",
    ), _checkpoint_claim(), _setup_job(m), _setup_egress())


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
    """One pod at least through voluntary disruptions (node drains): with MIN_REPLICAS or
    more, a drain may always take one. Not for a relay: a budget of one would block them."""
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
            "metadata": _metadata(service.name),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": _labels(service.name)}}}


def _autoscaler(service: Service) -> dict[str, Any]:
    least, most = replica_range(service)
    cpu = {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": CPU_TARGET}}
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": _metadata(service.name),
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                        "name": service.name},
                     "minReplicas": least, "maxReplicas": most,
                     "metrics": [{"type": "Resource", "resource": cpu}]}}


# Who reaches beyond the store and the broker (base/networkpolicy.yaml lets every Haven pod
# reach DNS, PostgreSQL and RabbitMQ, and nothing else): notifications sends e-mail (SMTP,
# STARTTLS or TLS) and webhooks (HTTPS). The manifest has no entry field for it yet.
OUTBOUND_PORTS = {"notifications": (25, 465, 587, 443)}


def _outbound(service: Service) -> list[dict[str, Any]]:
    """An egress policy for what `service`'s own process sends outside the cluster."""
    ports = OUTBOUND_PORTS.get(service.name)
    if not ports:
        return []
    return [{"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
             "metadata": {**_metadata(service.name), "name": f"{service.name}-outbound"},
             "spec": {"podSelector": {"matchLabels": _labels(service.name)},
                      "policyTypes": ["Egress"],
                      "egress": [{"ports": [{"protocol": "TCP", "port": port}
                                            for port in ports]}]}}]


def kubernetes(service: Service) -> list[dict[str, Any]]:
    """The objects of deploy/k8s/services/NAME.yaml."""
    objects = [_deployment(service, name, args) for name, args in _processes(service)]
    objects += [_autoscaler(service), _disruption_budget(service)]
    objects += _http(service) if service.http else []
    return objects + _outbound(service)


def _kubernetes_header(service: Service) -> str:
    least, most = replica_range(service)
    lines = [f"{service.name}: {service.summary}. {GENERATED}", "",
             f"`haven run {service.name}`: {least} to {most} replicas, as its "
             "HorizontalPodAutoscaler sets them (more while the pods average above "
             f"{CPU_TARGET} % of their CPU request), rolled one at a time; its "
             "PodDisruptionBudget keeps one through node drains; nameko lets running workers "
             "finish on SIGTERM (30 s)."]
    if service.relay:
        lines.append(f"`haven relay {service.name}` publishes the notification log in order: "
                     "one replica, replaced with Recreate so that two relays never overlap in a "
                     "rollout (consumers would drop the duplicates, but there is nothing to "
                     "gain); never autoscaled. A PodDisruptionBudget would only block node "
                     "drains for it.")
    if service.http:
        lines.append(f"HTTP on {HTTP_PORT}: a ClusterIP Service (expose it through the "
                     "cluster's ingress controller, with TLS there) that only the namespace "
                     f"{INGRESS_NAMESPACE} may reach.")
    if service.audits:
        lines.append("It reads every service's schema with read-only credentials "
                     f"({AUDITOR_ROLE}: USAGE + SELECT on the service schemas), writes only "
                     "its own records, and checks the relays' signed checkpoints "
                     f"({CHECKPOINT_CLAIM}, read-only) with the checkpoint public key.")
    if service.application:
        lines.append(f"It connects to PostgreSQL as {writer_role(service.name)} "
                     "(HAVEN_POSTGRES_LEAST_PRIVILEGE=1: it may add to its history, never "
                     f"change it), to the key store as {KEYS_ROLE}, and waits until the "
                     f"{SETUP_JOB} Job (setup.yaml) has granted that role.")
    else:
        lines.append(f"It has no store: as {writer_role(service.name)} it reads the token "
                     "revocation list (schema auth) and nothing else.")
    if service.relay:
        lines.append("Its relay alone signs checkpoints (checkpoint-signing-key) into "
                     f"{CHECKPOINT_CLAIM}, outside the database.")
    lines.append(f"RabbitMQ: as {broker_user(service.name)}, which may publish to "
                 f"{service.name}.events and no other service's exchange.")
    if service.name in OUTBOUND_PORTS:
        ports = ", ".join(map(str, OUTBOUND_PORTS[service.name]))
        lines.append(f"Besides DNS, PostgreSQL and RabbitMQ (base/networkpolicy.yaml), it alone "
                     f"may open connections out of the cluster: TCP {ports} (SMTP, HTTPS "
                     f"webhooks), policy {service.name}-outbound.")
    processes = [(service, False), *([(service, True)] if service.relay else [])]
    keys = sorted({_secret_key(s, key, relay) for s, relay in processes
                   for key in secrets_for(s, relay)})
    lines.append(f"Secrets (haven-secrets): {', '.join(keys)}. " + (
        "It reads personal data, so it holds the data keys." if service.unseals
        else "It never holds the master key or the blind-index key."))
    return _comment(*lines)


def _secret_key(service: Service, setting: str, relay: bool) -> str:
    return KEY_SETTINGS[setting] if setting in KEY_SETTINGS else login_for(service, setting).key


def secret_keys(m: Manifest) -> list[str]:
    """Every key of the Secret haven-secrets, as the template lists them."""
    return [SUPERUSER.key, *(login.key for login in database_logins(m)),
            *(broker_login(s.name).key for s in m), "broker-admin-user",
            "broker-admin-password", *KEY_SETTINGS.values()]


def _secret_template(m: Manifest) -> str:
    literal = {SUPERUSER.key: f"postgresql://postgres:PASSWORD@{K8S_POSTGRES}:5432/{DATABASE}",
               "broker-admin-user": "ADMIN-USER-OF-THE-RABBITMQ-OPERATOR",
               "broker-admin-password": "ITS-PASSWORD",
               "token-public-key": "PUBLIC-KEY-FROM-haven-token-keypair",
               "checkpoint-signing-key": "SIGNING-KEY-FROM-another-haven-token-keypair",
               "checkpoint-public-key": "ITS-PUBLIC-KEY"}
    random_key = ("\"$(python3 -c 'import base64,os;"
                  "print(base64.urlsafe_b64encode(os.urandom(32)).decode())')\"")
    password = "\"$(python3 -c 'import secrets;print(secrets.token_hex(24))')\""  # noqa: S105
    lines = []
    for key in secret_keys(m):
        value = (f"'{literal[key]}'" if key in literal else random_key
                 if key in ("master-key", "blind-index-key") else password)
        lines.append(f"    --from-literal={key}={value} \\")
    header = _comment(
        "TEMPLATE: no real value is, or may ever be, committed here. Every REPLACE-ME must be "
        "replaced before use: with HAVEN_ENV=production (base/config.yaml) Haven refuses to "
        "start while a value is a placeholder, a development key of the repository, shorter "
        "than 32 random bytes, or equal to another key, so an unfilled template fails loudly "
        "instead of running insecurely. " + GENERATED,
        "",
        "Each service has its own credentials: postgres-password-NAME (its writer role "
        f"haven_NAME), broker-password-NAME (its broker user haven-NAME); "
        f"postgres-password-auditor is {AUDITOR_ROLE}'s (read-only), postgres-password-keys "
        f"{KEYS_ROLE}'s (the subject keys). The processes build their URLs from them "
        f"({K8S_POSTGRES}, {K8S_RABBITMQ}: patch them in an overlay). postgres-admin-url (a "
        "superuser) and broker-admin-user/-password (the RabbitMQ operator's administrator) "
        f"are read only by the {SETUP_JOB} Job (setup.yaml). Passwords: URL-safe, 32 "
        "characters at least.",
        "",
        "Tokens: make an Ed25519 pair with `haven token keypair`. Only the public key enters "
        "the cluster (token-public-key: every process verifies with it, none can mint a "
        "token). The token signing key stays with the issuer, outside the cluster (the "
        "centre's password safe / KMS):",
        "  HAVEN_ENV=production HAVEN_TOKEN_SIGNING_KEY=... haven token issue --user U --roles R",
        "Checkpoints: another pair; the relays sign with checkpoint-signing-key, the auditor "
        "checks with checkpoint-public-key.",
        "",
        "Preferred: create the Secret directly, without a file on disk:",
        "  kubectl -n haven create secret generic haven-secrets \\",
        *lines[:-1], lines[-1].removesuffix(" \\"),
        "(or sync it from the centre's vault with the External Secrets Operator). Keep the "
        "master key also outside the cluster: losing it makes all personal data unreadable.",
    )
    return _yaml(header, {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "haven-secrets", "namespace": "haven",
                     "labels": {"app.kubernetes.io/part-of": "haven"}},
        "type": "Opaque",
        "stringData": {key: f"REPLACE-ME-{key}" for key in secret_keys(m)}})


def _kustomization(m: Manifest) -> str:
    return _yaml(_comment(
        f"Haven on Kubernetes: `kubectl apply -k deploy/k8s`. {GENERATED}", "",
        "base/ holds what every service shares; setup.yaml what runs before the services "
        "(login roles, grants, broker users) and the signed checkpoints' volume; services/ "
        "one file per manifest entry. base/secret.template.yaml is not listed: create the "
        "Secret as it says. Set your registry's image in an overlay of your own (kustomize "
        "`images:`), not here.", "",
        "Processes (services/manifest.py):", *_catalogue(m),
    ), {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
        "resources": [*BASE, "setup.yaml", *(f"services/{s.name}.yaml" for s in m)]})


# --- writing and checking ------------------------------------------------------------------


def render(m: Manifest) -> dict[str, str]:
    """Every generated file: its path from the repository root -> its text."""
    files = {COMPOSE: _yaml(_COMPOSE_HEADER + _comment(*_catalogue(m)), compose(m)),
             ENV_EXAMPLE: env_example(m), RABBITMQ_CONF: rabbitmq_conf(),
             KUSTOMIZATION: _kustomization(m), SETUP: _setup(m),
             SECRET_TEMPLATE: _secret_template(m)}
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
