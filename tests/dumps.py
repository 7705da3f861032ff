"""What a backup holds, and what someone with the backup and the master key can read.

pg_dump's plain format writes bytea (event states, snapshots, keys) as hex, so searching
the dump text alone would prove nothing: `readable` decodes every bytea value beside it.
`recoverable` is the attacker's reading of a dump: every stored event of every service
decoded and unsealed with the dump's own key table and the master key.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from shared.audit_trail.decode import mapper_for, plain
from shared.config import Settings
from shared.crypto import KeyVault
from shared.eventstore import AUDIT_KEY, reason_context
from shared.keystore import StoredKey


def pg_dump(cfg: Settings, *schemas: str) -> bytes:
    """A plain-format dump of the given schemas (default: every schema of this test run)."""
    assert shutil.which("pg_dump"), "pg_dump is needed to prove what a backup holds"
    p = cfg.postgres_params()
    env = {**os.environ, **({"PGPASSWORD": p["password"]} if p["password"] else {})}
    chosen = [f for s in schemas for f in ("-n", s)] or ["-n", f"{cfg.schema_prefix}*"]
    return subprocess.run(
        ["pg_dump", "-h", p["host"], "-p", p["port"], "-U", p["user"], "-d", p["dbname"],
         *chosen, "--no-owner"], check=True, capture_output=True, env=env).stdout


def psql(cfg: Settings, script: bytes) -> None:
    """Run a SQL script (a dump, to restore it) against the run's database."""
    p = cfg.postgres_params()
    env = {**os.environ, **({"PGPASSWORD": p["password"]} if p["password"] else {})}
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", "-h", p["host"], "-p", p["port"],
                    "-U", p["user"], "-d", p["dbname"]], input=script, check=True,
                   capture_output=True, env=env)


def readable(dump: bytes) -> bytes:
    """The dump with every hex-encoded bytea value decoded next to it."""
    decoded = [bytes.fromhex(h.decode()) for h in re.findall(rb"\\\\x([0-9a-f]+)", dump)]
    return b"\n".join([dump, *decoded])


def copy_rows(dump: bytes, table: str) -> list[dict[str, str | None]]:
    """The rows of one table's COPY block (`schema.table`), by column name; [] if absent."""
    match = re.search(rb"^COPY " + re.escape(table.encode()) + rb" \(([^)]*)\) FROM stdin;\n"
                      rb"(.*?)^\\\.$", dump, re.M | re.S)
    if not match:
        return []
    columns = match.group(1).decode().split(", ")
    rows = []
    for line in match.group(2).decode().splitlines():
        values = [None if v == r"\N" else v for v in line.split("\t")]
        rows.append(dict(zip(columns, values, strict=True)))
    return rows


def bytea(value: str | None) -> bytes | None:
    return None if value is None else bytes.fromhex(value.removeprefix("\\\\x"))


class DumpKeyStore:
    """The subject keys exactly as a dump holds them: what someone who has the backup
    and the master key can read. Read-only."""

    def __init__(self, dump: bytes, cfg: Settings):
        rows = copy_rows(dump, f"{cfg.schema('keys')}.subject_keys")
        self.keys = {r["subject_id"]: StoredKey(bytea(r["wrapped_key"]), r["key_id"],
                                                r["shredded_at"] is not None) for r in rows}

    def load(self, subject_id: str) -> StoredKey | None:
        return self.keys.get(subject_id)

    def insert(self, subject_id: str, wrapped: bytes, key_id: str) -> None:
        raise AssertionError("a dump is read, never written")

    def shred(self, subject_id: str) -> None:
        raise AssertionError("a dump is read, never written")


def recoverable(dump: bytes, cfg: Settings, telling: list[str],
                stores: dict[str, object] | None = None) -> list[str]:
    """Every event field (and audit reason) that the dump and the master key still give
    back and that holds one of the `telling` words. `stores`: {service: application class},
    default every store of the manifest."""
    if stores is None:
        from shared.manifest import manifest

        stores = {name: manifest()[name].application_class for name in manifest().stores}
    vault = KeyVault(DumpKeyStore(dump, cfg), cfg.master_key, cfg.previous_master_keys)
    found = []
    for service, app_cls in stores.items():
        mapper = mapper_for(app_cls, service, vault)
        for kind in ("events", "snapshots"):
            for row in copy_rows(dump, f"{cfg.schema(service)}.{service}_{kind}"):
                stored = StoredEvent(UUID(row["originator_id"]), int(row["originator_version"]),
                                     row["topic"], bytea(row["state"]) or b"")
                opened = [json.dumps(plain(vars(mapper.to_domain_event(stored))),
                                     ensure_ascii=False)]
                detail = (json.loads(stored.state).get(AUDIT_KEY) or {}).get("reason_detail")
                if detail:
                    opened.append(str(vault.unseal(detail, reason_context(service))))
                found += [v for v in opened if any(t.lower() in v.lower() for t in telling)]
    return found


def needles(*values: str) -> list[bytes]:
    """Every way a plaintext value could sit in a dump: raw UTF-8 or JSON-escaped, lower."""
    forms = set()
    for value in values:
        for form in (value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]):
            forms.add(form.lower().encode())
    return sorted(forms)
