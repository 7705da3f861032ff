"""`haven report ...`: the centre's published reports.

    haven report monthly --month 2026-03 [--lang pl|en] [--out FILE.pdf]
                         [--as-of 2026-04-08T00:00:00+00:00] [--small-cells N]
                         [--data-dir DIR]

Without --as-of the month is taken as recorded `report_cutoff_days` after it ended, so a
past month's report is the same file whenever it is made; a month not yet past that
instant is counted as recorded now and marked provisional. Imports are deferred into the
command: `haven` loads this module at start-up.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

import click

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
EXIT_NO_STORE = 3  # the stores cannot be reached (2 is click's usage error)


def _month(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    if not MONTH.fullmatch(value):
        raise click.BadParameter(f"{value!r} is not a month written YYYY-MM, e.g. 2026-03")
    return value


def _instant(_ctx: click.Context, _param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date and time, e.g."
                                 " 2026-04-08T00:00:00+00:00") from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{value!r} has no time zone: add +00:00 for UTC")
    return moment


@click.group("report")
def report_cli() -> None:
    """The centre's reports for the funder and the public."""


@report_cli.command("monthly")
@click.option("--month", required=True, callback=_month, help="The month, YYYY-MM.")
@click.option("--lang", type=click.Choice(["pl", "en"]), default="pl", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The PDF to write (default: monthly-report-YYYY-MM-LANG.pdf).")
@click.option("--as-of", "as_of", callback=_instant, default=None,
              help="Count the events recorded up to this instant (ISO 8601, with a zone).")
@click.option("--small-cells", type=click.IntRange(min=1), default=None,
              help="Suppress counts below this (default: HAVEN_REPORT_SMALL_CELLS).")
@click.option("--data-dir", type=click.Path(file_okay=False), envvar="HAVEN_DATA_DIR",
              default=None, help="Read the SQLite stores of embedded mode (`haven dev`).")
def monthly(month: str, lang: str, out: Path | None, as_of: datetime | None,
            small_cells: int | None, data_dir: str | None) -> None:
    """The centre's monthly report as a PDF with charts."""
    if data_dir:
        os.environ.update(HAVEN_STORE="sqlite", HAVEN_DATA_DIR=data_dir)
    import psycopg

    from shared.audit_trail.sources import audit_settings
    from shared.reports.monthly import monthly_report

    cfg = audit_settings()  # read-only credentials where they are set: a report writes nothing
    try:
        made = monthly_report(month, cfg, lang=lang, as_of=as_of, threshold=small_cells)
    except psycopg.OperationalError as unreachable:
        click.echo(f"the event stores cannot be reached: {unreachable}".strip(), err=True)
        raise SystemExit(EXIT_NO_STORE) from None
    target = out or Path(f"monthly-report-{month}-{lang}.pdf")
    target.write_bytes(made.pdf)
    for section in made.figures.sections.values():
        if section.figures is None:
            click.echo(f"{section.name}: not available ({section.missing})", err=True)
    state = "provisional, " if made.figures.provisional else ""
    click.echo(f"{target}: {month}, {state}as recorded at {made.figures.as_of.isoformat()}")
