"""`haven keys`: the master keys that wrap every data subject's key.

Rotation without downtime, in four steps (each a rolling restart, nothing stops):
1. add the new key to every process as HAVEN_PREVIOUS_MASTER_KEYS (accepted, not used);
2. make it HAVEN_MASTER_KEY and move the old one to HAVEN_PREVIOUS_MASTER_KEYS
   (new subject keys are wrapped under the new one; old ones still open);
3. `haven keys rotate`: every subject key is re-wrapped under the new master key;
4. `haven keys status` shows none left under the old id: remove the old key everywhere.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from shared.crypto import KeyVault


def _vault() -> KeyVault:
    from shared.config import settings
    from shared.eventstore import key_vault

    return key_vault(settings())


@click.group(help="Master keys: which wraps how many subject keys, and rotation.")
def keys_cli() -> None:
    pass


@keys_cli.command(help="How many live subject keys each master key id wraps.")
def status() -> None:
    vault = _vault()
    click.echo(f"current master key: {vault.key_id}")
    for key_id, count in sorted(vault.key_ids().items(), key=lambda kv: str(kv[0])):
        mark = "  (current)" if key_id == vault.key_id else ""
        click.echo(f"{key_id or '(no id: before key ids)'}: {count} subject keys{mark}")


@keys_cli.command(help="Re-wrap every subject key under the current master key.")
@click.option("--batch", default=500, show_default=True, help="Keys per round trip.")
def rotate(batch: int) -> None:
    vault = _vault()
    done = vault.rotate(batch=batch)
    left = sum(n for key_id, n in vault.key_ids().items() if key_id != vault.key_id)
    click.echo(f"re-wrapped {done} subject keys under {vault.key_id}; {left} left elsewhere")
    raise SystemExit(0 if left == 0 else 1)
