"""`haven audit ...`: the auditor's command line.

Reads the stores directly: PostgreSQL with HAVEN_AUDIT_POSTGRES_URL (read-only credentials)
or HAVEN_POSTGRES_URL, or with `--data-dir` the SQLite files of embedded mode. Commands that
show a case need a token (`--token` or HAVEN_TOKEN) with the auditor or supervisor role;
`--reveal` needs supervisor and is recorded before anything is shown.

Exit status: 0 fine; 1 a verification found a break; 2 no such case or store;
3 the token or role was refused.

Imports are deferred into the commands: `haven` loads this module at start-up, before a
service process is prepared (shared.process), so nothing here may import psycopg early.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from typing import Any

import click

READ_ROLES = ("auditor", "supervisor")
EXIT_BREAK, EXIT_NOT_FOUND, EXIT_REFUSED = 1, 2, 3


class Instant(click.ParamType):
    name = "TIMESTAMP"

    def convert(self, value: Any, param: Any, ctx: Any) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(f"{value!r} is not an ISO 8601 time (e.g. 2026-03-01T12:00:00Z)")


def _services_option(f: Any) -> Any:
    return click.option("--service", "services", multiple=True, metavar="NAME",
                        help="Read only this store (repeatable). Default: every service"
                             " and the audit store.")(f)


def _format_option(f: Any) -> Any:
    return click.option("--format", "fmt", type=click.Choice(["text", "json"]),
                        default="text", show_default=True)(f)


def _token_option(f: Any) -> Any:
    return click.option("--token", envvar="HAVEN_TOKEN", metavar="JWT",
                        help="Bearer token (or HAVEN_TOKEN).")(f)


def _reveal_options(f: Any) -> Any:
    f = click.option("--reason", default=None, help="Free text, recorded with the reveal.")(f)
    f = click.option("--purpose", default="",
                     help="Why personal data is revealed, recorded in the access log (casework"
                          " takes a code: supervision, legal_proceedings, data_subject_request,"
                          " other...).")(f)
    return click.option("--reveal", is_flag=True,
                        help="Show personal data (supervisor; the reveal is recorded).")(f)


def _principal(token: str | None, roles: tuple[str, ...] = READ_ROLES) -> Any:
    from shared.auth import cli_principal

    return cli_principal(token, roles, EXIT_REFUSED)


def _emit(fmt: str, as_dict: dict[str, Any], text: str) -> None:
    click.echo(json.dumps(as_dict, indent=2, default=str) if fmt == "json" else text)


def _case(ref: str, cfg: Any, catalogue: Any) -> Any:
    from shared.audit_trail.links import collect_case

    try:
        return collect_case(ref, cfg, catalogue)
    except LookupError as exc:
        click.echo(str(exc), err=True)
        raise SystemExit(EXIT_NOT_FOUND) from None


def _reveal(principal: Any, case: Any, purpose: str, reason: str | None, what: str, cfg: Any,
            catalogue: Any) -> Any:
    """Record the reveal, then hand out the vault: no record, no reveal."""
    from shared.audit_trail.access import record_reveal
    from shared.audit_trail.reveals import read_only_vault
    from shared.errors import HavenError

    try:
        where = record_reveal(principal, case, purpose, what, cfg, catalogue, reason)
    except (PermissionError, ValueError) as exc:
        click.echo(f"refused: {exc} (--reveal needs the supervisor role and --purpose)",
                   err=True)
        raise SystemExit(EXIT_REFUSED) from None
    except HavenError as exc:  # the access log refused it (e.g. a purpose it does not know)
        click.echo(f"refused by the access log: {exc.message} {exc.errors or ''}", err=True)
        raise SystemExit(EXIT_REFUSED) from None
    except Exception as exc:  # noqa: BLE001 - no record, no reveal; the type says enough
        click.echo(f"refused: the reveal could not be recorded ({type(exc).__name__});"
                   " nothing was revealed", err=True)
        raise SystemExit(EXIT_REFUSED) from None
    click.echo(f"reveal recorded in the {where}", err=True)
    return read_only_vault(cfg)


def _context(services: tuple[str, ...]) -> tuple[Any, Any]:
    from shared.audit_trail.sources import Catalogue, audit_settings

    return audit_settings(), Catalogue.default(services)


# -- the group ----------------------------------------------------------------------------
@click.group("audit")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Embedded mode: read the SQLite stores in this directory (e.g. var).")
def audit_cli(data_dir: str | None) -> None:
    """Case histories, past states, access to personal data, tamper verification."""
    if data_dir:
        os.environ.update(HAVEN_STORE="sqlite", HAVEN_DATA_DIR=data_dir)


@audit_cli.command()
@click.argument("case_ref")
@_format_option
@_token_option
@_reveal_options
@_services_option
def history(case_ref: str, fmt: str, token: str | None, reveal: bool, purpose: str,
            reason: str | None, services: tuple[str, ...]) -> None:
    """Everything stored about a case, in every service, oldest first."""
    from shared.audit_trail.history import history_of

    principal = _principal(token)
    cfg, catalogue = _context(services)
    case = _case(case_ref, cfg, catalogue)
    vault = _reveal(principal, case, purpose, reason, "history", cfg, catalogue) \
        if reveal else None
    result = history_of(case, vault)
    _emit(fmt, result.to_dict(), result.text())


@audit_cli.command()
@click.argument("case_ref")
@click.option("--as-of", "as_of", type=Instant(), required=True,
              help="The instant, ISO 8601 (no zone = UTC).")
@_format_option
@_token_option
@_reveal_options
@_services_option
def replay(case_ref: str, as_of: datetime, fmt: str, token: str | None, reveal: bool,
           purpose: str, reason: str | None, services: tuple[str, ...]) -> None:
    """The case as it stood at --as-of, rebuilt from its stored events only."""
    from shared.audit_trail.replay import replay_of

    principal = _principal(token)
    cfg, catalogue = _context(services)
    case = _case(case_ref, cfg, catalogue)
    vault = _reveal(principal, case, purpose, reason, f"replay as of {as_of.isoformat()}",
                    cfg, catalogue) if reveal else None
    result = replay_of(case, as_of, catalogue, vault)
    text = [f"Case {result.reference or '-'} (id {result.case_id}) as of {result.as_of}"]
    for a in result.aggregates:
        text.append(f"{a.service} {a.type} {a.id} v{a.version} (modified {a.modified_on})")
        text += [f"    {k}: {v}" for k, v in sorted(a.state.items())]
    if not result.aggregates:
        text.append("(the case did not exist yet)")
    _emit(fmt, result.to_dict(), "\n".join(text))


@audit_cli.command()
@click.argument("case_ref")
@_format_option
@_token_option
@_services_option
def access(case_ref: str, fmt: str, token: str | None, services: tuple[str, ...]) -> None:
    """Who read the case's personal data, when, and for what purpose."""
    from shared.audit_trail.access import access_of

    _principal(token)
    cfg, catalogue = _context(services)
    result = access_of(_case(case_ref, cfg, catalogue))
    _emit(fmt, result.to_dict(), result.text())


@audit_cli.command()
@_services_option
@_format_option
@click.option("--progress/--no-progress", default=None,
              help="Progress bar on stderr (default: when stderr is a terminal).")
@click.option("--sealed/--no-sealed", default=True, show_default=True,
              help="Also open every sealed value and list those failing authentication"
                   " (needs HAVEN_MASTER_KEY and read access to the key store).")
@click.option("--since-checkpoint", "since_checkpoint", is_flag=True,
              help="Incremental (a nightly job): check the signed checkpoint chain, then only"
                   " the events after each store's last signed checkpoint. Without a signed"
                   " checkpoint a store is verified in full. Sealed values are not opened.")
def verify(services: tuple[str, ...], fmt: str, progress: bool | None, sealed: bool,
           since_checkpoint: bool) -> None:
    """Check every stream's hash chain, each log chain, the signed checkpoints outside the
    database (HAVEN_CHECKPOINT_DIR, HAVEN_CHECKPOINT_PUBLIC_KEY) and the sealed values;
    exit 1 on a break. With --since-checkpoint, only what each store added after its last
    signed checkpoint (a nightly job); the full run (say weekly) re-reads everything."""
    from shared.audit_trail.verification import total_positions, verify_services

    cfg, catalogue = _context(services)
    skipped: str | None
    if since_checkpoint:
        # Opening every sealed value reads the whole store: that stays the full verify's job.
        vault, skipped = None, "--since-checkpoint (a full verify opens them)"
    else:
        vault, skipped = _sealed_vault(cfg) if sealed else (None, "--no-sealed")

    def run(bar: Any = None) -> list[Any]:
        step = bar.update if bar is not None else None
        if since_checkpoint:
            return _verify_since_checkpoint(cfg, catalogue, step)
        return verify_services(cfg, catalogue, progress=step, vault=vault)

    show = sys.stderr.isatty() if progress is None else progress
    if show:
        with click.progressbar(length=max(total_positions(cfg, catalogue), 1),
                               label="verifying", file=sys.stderr) as bar:
            verdicts = run(bar)
    else:
        verdicts = run()
    _emit_verdicts(verdicts, fmt, skipped)
    if any(v.report is not None and not v.report.ok for v in verdicts):
        raise SystemExit(EXIT_BREAK)
    if any(v.report is None for v in verdicts):
        raise SystemExit(EXIT_NOT_FOUND)


def _verify_since_checkpoint(cfg: Any, catalogue: Any, progress: Any) -> list[Any]:
    """Each store from its last signed checkpoint on; in full where it has none."""
    from shared.audit_trail.checkpoints import CheckpointsNotConfigured, verify_since_checkpoint
    from shared.audit_trail.verification import ServiceVerdict, check_index, verify_service

    verdicts = []
    for service in catalogue.services:
        try:
            since = verify_since_checkpoint(service, cfg, progress)
        except (CheckpointsNotConfigured, LookupError):
            # No key or directory (the full verify reports it as a break: nothing signed to
            # trust), or no store (it tells a missing store from one emptied under checkpoints).
            since = None
        if since is None:
            verdict = verify_service(service, cfg, progress, catalogue)
            if verdict.report is None:
                if service in catalogue.optional:
                    continue
            else:
                verdict.notes.append("no signed checkpoint to start from: verified in full")
        else:
            verdict = ServiceVerdict(service, since.report, since.signed)
            check_index(verdict, cfg, after=since.start.position)  # what the day added
            verdict.notes.append(
                f"checked the {since.report.events} event(s) after signed checkpoint"
                f" #{since.start.seq} (notification {since.start.position}) and the checkpoint"
                " chain; the events up to it are attested by the checkpoint (a full verify"
                " re-reads them)")
        verdicts.append(verdict)
    return verdicts


def _sealed_vault(cfg: Any) -> tuple[Any, str | None]:
    """The vault that opens sealed values for the check, or why there is none."""
    from shared.audit_trail.reveals import read_only_vault

    if cfg.environment == "production" and cfg.dev_secrets:
        return None, "HAVEN_MASTER_KEY and HAVEN_BLIND_INDEX_KEY not set"
    return read_only_vault(cfg), None


def _emit_verdicts(verdicts: list[Any], fmt: str, sealed_skipped: str | None = None) -> None:
    events = sum(v.report.events for v in verdicts if v.report)
    streams = sum(v.report.streams for v in verdicts if v.report)
    seconds = sum(v.report.elapsed for v in verdicts if v.report)
    breaks = sum(v.report.break_count for v in verdicts if v.report)
    tampered = sum(len(v.tampered) for v in verdicts)
    rate = events / seconds if seconds else 0.0
    if fmt == "json":
        click.echo(json.dumps({"ok": all(v.ok for v in verdicts), "events": events,
                               "streams": streams, "seconds": round(seconds, 6),
                               "rate": round(rate, 1), "break_count": breaks,
                               "tampered_values": tampered,
                               "sealed_values_checked": sealed_skipped is None,
                               "services": [_verdict_dict(v) for v in verdicts]}, indent=2))
        return
    for v in verdicts:
        click.echo(_verdict_line(v))
        for b in v.breaks:
            if b.kind != "tampered_value":
                click.echo(f"BREAK {v.service} {b.kind} stream={b.stream}"
                           f" position={b.position} notification={b.notification_id}:"
                           f" {b.detail}")
        for t in v.tampered:
            click.echo(t.line())
        for note in v.notes:
            click.echo(f"NOTE {v.service}: {note}")
        shown = len(v.breaks)
        if v.report and v.report.break_count > shown:
            click.echo(f"... and {v.report.break_count - shown} more break(s)")
    if sealed_skipped:
        click.echo(f"sealed values not checked: {sealed_skipped}")
    click.echo(f"total: {len(verdicts)} store(s), {events} events in {streams} streams,"
               f" {seconds:.3f}s ({rate:,.0f} events/s): "
               + ("intact" if breaks == 0 else f"{breaks} break(s)")
               + (f", {tampered} tampered value(s)" if tampered else ""))


def _verdict_dict(v: Any) -> dict[str, Any]:
    since = v.report.since if v.report is not None else None
    return {**v.to_dict(), "since_checkpoint": {"seq": since[0], "position": since[1]}
            if since else None}


def _verdict_line(v: Any) -> str:
    if v.report is None:
        return f"{v.service}: NO STORE ({v.missing})"
    r = v.report
    after = f" after checkpoint #{r.since[0]} (notification {r.since[1]})" if r.since else ""
    points = (f"{len(v.checkpoints)} signed checkpoint(s), last #{v.checkpoints[-1].seq} at"
              f" position {v.checkpoints[-1].position}" if v.checkpoints
              else "no signed checkpoint (a re-chained rewrite would go unseen)")
    outcome = "intact" if r.ok else f"{r.break_count} break(s)"
    return (f"{v.service} ({r.backend}): {r.events} events{after} in {r.streams} streams,"
            f" {r.elapsed:.3f}s ({r.rate:,.0f}/s), {points}: {outcome}")


@audit_cli.command()
@_services_option
def checkpoint(services: tuple[str, ...]) -> None:
    """Record each store's log head in its checkpoint log and as a signed file outside the
    database (run it from cron; the relays also do it every few minutes).

    Uses the services' own credentials (HAVEN_POSTGRES_URL), not the audit ones, and
    HAVEN_CHECKPOINT_SIGNING_KEY / HAVEN_CHECKPOINT_DIR. Exit 2 if they are missing, 1 if a
    signed file already exists for the next checkpoint (the table lost rows)."""
    from shared.audit_trail.checkpoints import (
        CheckpointsNotConfigured,
        load_checkpoints,
        record_checkpoint,
    )
    from shared.audit_trail.sources import Catalogue
    from shared.config import settings
    from shared.verify import log_length

    cfg = settings()
    for service in Catalogue.default(services).services:
        if log_length(service, cfg) == 0:
            click.echo(f"{service}: no events yet, nothing to checkpoint")
            continue
        try:
            point = record_checkpoint(service, cfg)
        except CheckpointsNotConfigured as exc:
            click.echo(f"refused: {exc}", err=True)
            raise SystemExit(EXIT_NOT_FOUND) from None
        except FileExistsError as exc:
            click.echo(f"{service}: {exc}", err=True)
            raise SystemExit(EXIT_BREAK) from None
        if point is None:
            last = load_checkpoints(service, cfg)[-1]
            click.echo(f"{service}: unchanged since checkpoint #{last.seq} (position"
                       f" {last.position}, checkpoint_hash {last.checkpoint_hash.hex()})")
        else:
            click.echo(f"{service}: checkpoint #{point.seq} at position {point.position}"
                       f" {point.recorded_at} log_hash {point.log_hash.hex()}"
                       f" checkpoint_hash {point.checkpoint_hash.hex()} (signed)")


@audit_cli.command()
@click.argument("case_ref")
@click.option("--out", "out", type=click.Path(dir_okay=False, writable=True), required=True)
@_token_option
@_services_option
def export(case_ref: str, out: str, token: str | None, services: tuple[str, ...]) -> None:
    """Write a self-contained bundle of the case's stored events (JSON Lines)."""
    from shared.audit_trail.bundle import export_case

    principal = _principal(token)
    cfg, catalogue = _context(services)
    case = _case(case_ref, cfg, catalogue)  # "no such case" before the file is opened
    with open(out, "wb") as f:
        summary = export_case(case, cfg, f, exported_by=principal.user_id)
    click.echo(f"{out}: case {summary['reference'] or '-'} (id {summary['case_id']}),"
               f" {summary['events']} events, {summary['links']} log links")


@audit_cli.group("index")
def index_cli() -> None:
    """The case index history, replay, export and access look cases up in."""


@index_cli.command("rebuild")
@click.argument("services", nargs=-1, required=True, metavar="SERVICE...")
def index_rebuild(services: tuple[str, ...]) -> None:
    """Recreate each store's case index from its stored events (a store written before the
    index existed, or one `haven audit verify` reports a case_index_mismatch for). Uses the
    services' own credentials (HAVEN_POSTGRES_URL); writers carry on meanwhile."""
    from shared.audit_trail.index import rebuild
    from shared.config import settings
    from shared.verify import log_length

    cfg = settings()
    for service in services:
        if log_length(service, cfg) == 0:
            click.echo(f"{service}: no events, nothing to index", err=True)
            raise SystemExit(EXIT_NOT_FOUND)
        click.echo(f"{service}: case index rebuilt, {rebuild(service, cfg)} rows")


@audit_cli.command("verify-bundle")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False))
@_format_option
def verify_bundle_command(bundle: str, fmt: str) -> None:
    """Verify an exported bundle offline, with nothing but the file; exit 1 if it fails."""
    from dataclasses import asdict

    from shared.audit_trail.bundle import verify_bundle

    report = verify_bundle(bundle)
    _emit(fmt, {**asdict(report), "ok": report.ok}, report.text())
    raise SystemExit(0 if report.ok else EXIT_BREAK)
