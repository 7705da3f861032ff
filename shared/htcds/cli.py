"""`haven export htcds`: the anonymised case-level dataset for CTDC / the funder.

Exit status: 0 written; 2 bad input or no store (nothing written); 3 token or role refused.
Imports are deferred into the command: `haven` loads this module at start-up.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

EXPORT_ROLES = ("supervisor", "auditor")
EXIT_BAD_INPUT, EXIT_REFUSED = 2, 3


def require_role(token: str | None, roles: tuple[str, ...]) -> Any:
    """The caller's principal, or exit 3 naming what is missing."""
    from shared.auth import cli_principal

    return cli_principal(token, roles, EXIT_REFUSED)


def _refuse(message: str) -> None:
    click.echo(json.dumps({"error": "invalid_input", "message": message}), err=True)
    raise SystemExit(EXIT_BAD_INPUT)


@click.group("export")
def export_cli() -> None:
    """Datasets for publication: never a direct identifier."""


@export_cli.command("htcds")
@click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="First day of cases opened (YYYY-MM-DD).")
@click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), required=True,
              help="Last day of cases opened, inclusive (YYYY-MM-DD).")
@click.option("--k", type=int, default=11, show_default=True,
              help="Every published combination of quasi-identifiers covers at least k cases"
                   " (CTDC publishes with k = 11).")
@click.option("--max-suppressed", type=float, default=0.05, show_default=True,
              help="Largest share of cases that may be left out rather than generalise more.")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True,
              help="The CSV to write; the report goes beside it as FILE.report.json.")
@click.option("--store", default="casework", hidden=True)
@click.option("--token", envvar="HAVEN_TOKEN", metavar="JWT",
              help="Bearer token (or HAVEN_TOKEN): supervisor or auditor.")
def htcds(date_from: Any, date_to: Any, k: int, max_suppressed: float, out: str, store: str,
          token: str | None) -> None:
    """One row per case in HTCDS 2.0 field names, k-anonymised."""
    require_role(token, EXPORT_ROLES)
    start, end = date_from.date(), date_to.date()
    if end < start:
        _refuse("--to is before --from")
    if k < 2:
        _refuse("--k must be at least 2")
    if not 0 <= max_suppressed <= 1:
        _refuse("--max-suppressed is a share from 0 to 1")
    release = _export(start, end, k, max_suppressed, Path(out), store)
    click.echo(json.dumps(release.report(), indent=2))


def _export(start: date, end: date, k: int, max_suppressed: float, out: Path,
            store: str) -> Any:
    from shared.audit_trail.sources import audit_settings
    from shared.htcds.export import export_htcds

    try:
        return export_htcds(audit_settings(), start, end, k, out, max_suppressed, store)
    except LookupError as exc:
        click.echo(json.dumps({"error": "not_found", "message": str(exc)}), err=True)
        raise SystemExit(EXIT_BAD_INPUT) from None
