"""Master keys carry key ids, and `haven keys rotate` re-wraps every subject key under a new
master key while the old values stay readable throughout (no downtime), against the real
PostgreSQL key store."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import uuid

import pytest
from psycopg_pool import PoolClosed

from shared.crypto import ERASED, KeyVault, master_key_id, seal_context
from shared.eventstore import _conninfo, key_vault
from shared.keystore import PostgresKeyStore
from shared.testing import haven_script
from shared.testing.plugin import own_run

HAVEN = haven_script()
WHERE = seal_context("casework", "Client", "family_name")


def b64(key: bytes) -> str:
    return base64.urlsafe_b64encode(key).decode()


@pytest.fixture
def prefix(cfg):
    """A key store of this test's own (under the run's prefix, dropped with the run): the
    run's other tests keep the development master key."""
    return f"{cfg.schema_prefix}rot{uuid.uuid4().hex[:6]}_"


def store(cfg, prefix: str) -> PostgresKeyStore:
    return PostgresKeyStore(_conninfo(cfg), f"{prefix}keys", pool_size=1)


def haven_keys(cfg, prefix: str, *args: str, master: bytes, previous: bytes | None = None):
    env = {**os.environ, "HAVEN_SCHEMA_PREFIX": prefix, "HAVEN_MASTER_KEY": b64(master),
           "HAVEN_PREVIOUS_MASTER_KEYS": b64(previous) if previous else ""}
    return subprocess.run([HAVEN, "keys", *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_rotation_rewraps_every_subject_key_and_the_old_master_can_then_go(cfg, prefix):
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    keys = store(cfg, prefix)
    try:
        before = KeyVault(keys, old)
        subjects = [str(uuid.uuid4()) for _ in range(3)]
        sealed = {s: before.seal(s, f"Kovalenko {n}", WHERE) for n, s in enumerate(subjects)}
        before.shred(subjects[2])  # an erased person stays erased through a rotation
        assert master_key_id(old) != master_key_id(new)
        assert master_key_id(old).startswith("mk-") and keys.key_ids() == {
            master_key_id(old): 2}

        # Step 2: the new key is current, the old one still opens what it wrapped.
        during = KeyVault(keys, new, (old,))
        assert during.unseal(sealed[subjects[0]], WHERE) == "Kovalenko 0"
        status = haven_keys(cfg, prefix, "status", master=new, previous=old)
        assert status.returncode == 0, status.stderr
        assert f"{master_key_id(old)}: 2 subject keys" in status.stdout

        # Step 3: `haven keys rotate`, with the services running.
        rotated = haven_keys(cfg, prefix, "rotate", master=new, previous=old)
        assert rotated.returncode == 0, rotated.stderr
        assert "re-wrapped 2 subject keys" in rotated.stdout
        assert "0 left elsewhere" in rotated.stdout
        assert keys.key_ids() == {master_key_id(new): 2}

        # Step 4: the old key removed everywhere; everything still reads, the erased not.
        after = KeyVault(keys, new)
        assert [after.unseal(sealed[s], WHERE) for s in subjects] == \
            ["Kovalenko 0", "Kovalenko 1", ERASED]
        with pytest.raises(RuntimeError, match="HAVEN_PREVIOUS_MASTER_KEYS"):
            KeyVault(keys, old).unseal(sealed[subjects[0]], WHERE)  # the old key opens nothing
    finally:
        keys.close()


def test_rotation_refuses_to_finish_while_a_key_is_under_a_master_it_does_not_hold(cfg, prefix):
    old, new = secrets.token_bytes(32), secrets.token_bytes(32)
    keys = store(cfg, prefix)
    try:
        KeyVault(keys, old).seal(str(uuid.uuid4()), "Bondar", WHERE)
    finally:
        keys.close()
    refused = haven_keys(cfg, prefix, "rotate", master=new)  # the old key forgotten too soon
    assert refused.returncode != 0
    assert "HAVEN_PREVIOUS_MASTER_KEYS" in refused.stderr + refused.stdout


def test_a_run_of_its_own_closes_the_key_store_it_opened_when_it_ends(monkeypatch):
    """A test with schemas of its own opens a key store (a pool of connections and threads)
    on first use; it must close with the schemas, not stay open to the end of the suite."""
    with own_run(monkeypatch, f"kv{uuid.uuid4().hex[:6]}") as cfg:
        vault = key_vault(cfg)
        assert vault.key_ids() == {}  # the pool is open and its schema made
    with pytest.raises(PoolClosed):
        vault.key_ids()
