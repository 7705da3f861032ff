"""`haven gdpr ...`: the data protection officer's commands.

Exit status: 0 written; 2 no such person or store, or bad input (nothing written); 3 token
or role refused, or the export could not be recorded in the access log (nothing revealed);
4 a retention run left some due clients unerased (listed, with why), or an export waits
for a supervisor's duplicate review of one of the person's cases (nothing written).
Imports are deferred into the commands: `haven` loads this module at start-up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import click

EXIT_NOT_FOUND, EXIT_REFUSED, EXIT_INCOMPLETE = 2, 3, 4
EXIT_BAD_INPUT = EXIT_NOT_FOUND


@click.group("gdpr")
def gdpr_cli() -> None:
    """Subject access (Art. 15), the record of processing (Art. 30) and retention."""


@gdpr_cli.command("access")
@click.argument("person")
@click.option("--out", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Directory for art15-<client id>.md and .json.")
@click.option("--token", envvar="HAVEN_TOKEN", metavar="JWT",
              help="Bearer token (or HAVEN_TOKEN): supervisor (the DPO acts as one).")
def access(person: str, out: str, token: str | None) -> None:
    """Everything held about PERSON (client id, case id or case reference), with other
    people's data redacted, as Markdown and JSON; recorded in the person's access log."""
    from shared.htcds.cli import require_role

    principal = require_role(token, ("supervisor",))
    doc = _export(person, principal)
    from shared.gdpr.render import markdown

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"art15-{doc['request']['person']}"
    stem.with_suffix(".json").write_text(json.dumps(doc, indent=2, ensure_ascii=False,
                                                    default=str) + "\n", encoding="utf-8")
    stem.with_suffix(".md").write_text(markdown(doc), encoding="utf-8")
    click.echo(json.dumps({"markdown": str(stem.with_suffix(".md")),
                           "json": str(stem.with_suffix(".json")),
                           "recorded_in": doc["request"]["recorded_in"],
                           "redactions": doc["redactions"]}))


def _export(person: str, principal: Any) -> dict[str, Any]:
    from shared.audit_trail.reveals import read_only_vault
    from shared.audit_trail.sources import audit_settings
    from shared.gdpr.access import AwaitingReview, PersonNotFound, every_store, subject_access

    cfg = audit_settings()
    catalogue = every_store()
    try:
        return subject_access(person, principal, cfg, catalogue, read_only_vault(cfg))
    except PersonNotFound as exc:
        click.echo(json.dumps({"error": "not_found", "message": str(exc)}), err=True)
        raise SystemExit(EXIT_NOT_FOUND) from None
    except PermissionError as exc:
        click.echo(json.dumps({"error": "forbidden", "message": str(exc)}), err=True)
        raise SystemExit(EXIT_REFUSED) from None
    except AwaitingReview as exc:
        click.echo(json.dumps({"error": "awaiting_review", "message": str(exc)}), err=True)
        raise SystemExit(EXIT_INCOMPLETE) from None


@gdpr_cli.command("record")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md",
              show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=None,
              help="Write to this file instead of standard output.")
def record(fmt: str, out: str | None) -> None:
    """The Art. 30 record of processing, generated from the services' code (event
    catalogue, personal-data declarations, need-to-know tables, contracts). Exit 1 if a
    personal-data field or service lacks a declaration (shared/gdpr/declarations.py)."""
    from shared.gdpr.record import markdown, processing_record

    found = processing_record()
    text = markdown(found) if fmt == "md" else json.dumps(found, indent=2) + "\n"
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)
    raise SystemExit(1 if found["undeclared"] else 0)


@gdpr_cli.command("retention")
@click.option("--as-of", "as_of", metavar="ISO",
              help="The instant retention is judged at (default: now; without a zone, UTC)."
                   " An erasure run may not look ahead of now.")
@click.option("--apply", is_flag=True,
              help="Erase every due client (casework's erasure: keys shredded). Without it,"
                   " a dry run that changes nothing.")
@click.option("--reason", metavar="TEXT",
              help="Why this run (required with --apply; kept in clear in the audit store:"
                   " no personal data).")
@click.option("--token", envvar="HAVEN_TOKEN", metavar="JWT",
              help="Bearer token (or HAVEN_TOKEN): supervisor (the DPO acts as one); an"
                   " auditor may run the dry run.")
def retention(as_of: str | None, apply: bool, reason: str | None, token: str | None) -> None:
    """Who is due for erasure under the configured retention (HAVEN_RETENTION_* variables),
    as ids, case references and dates -- never anyone's data; with --apply, erase them."""
    from shared.gdpr import retention as r
    from shared.htcds.cli import require_role

    principal = require_role(token, ("supervisor",) if apply else ("supervisor", "auditor"))
    instant = _instant(as_of, r.now())
    reason = (reason or "").strip()
    if apply and instant > r.now():
        _bad_input("an erasure run may not judge retention as of a future instant")
    if apply and not 0 < len(reason) <= r.MAX_REASON:
        _bad_input(f"--apply needs --reason, at most {r.MAX_REASON} characters")
    try:
        policy = r.Retention.from_env()
    except r.RetentionConfigError as exc:
        _bad_input(str(exc))
    from services.casework.application import Casework
    from shared.audit import CommandContext
    from shared.config import Settings

    cfg = Settings.from_env()
    casework = Casework(cfg)
    try:
        due = r.due_for_erasure(casework, instant, policy)
        answer: dict[str, Any] = {"mode": "erasure" if apply else "dry_run",
                                  "as_of": instant.isoformat(),
                                  "retention": policy.describe(),
                                  "due": [d.as_dict() for d in due]}
        if not apply:
            click.echo(json.dumps(answer, indent=2))
            return
        run_id = r.new_run_id()
        supervisor = CommandContext(actor_id=principal.user_id, actor_role="supervisor",
                                    command="retention_erasure", correlation_id=run_id)
        r.record_run(cfg, supervisor, run_id, instant, policy, reason, due)
        outcomes = r.erase_due(casework, supervisor, due, run_id)
    finally:
        casework.close()
    answer.update(run_id=run_id, recorded_in="audit", erased=[
        o.client_id for o in outcomes if o.status == "erased"], skipped=[
        {"client_id": o.client_id, "why": o.note} for o in outcomes if o.status != "erased"])
    click.echo(json.dumps(answer, indent=2))
    raise SystemExit(EXIT_INCOMPLETE if answer["skipped"] else 0)


def _instant(value: str | None, default: Any) -> Any:
    from datetime import UTC, datetime

    if value is None:
        return default
    try:
        found = datetime.fromisoformat(value)
    except ValueError:
        _bad_input(f"--as-of must be an ISO 8601 date or instant, not {value!r}")
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def _bad_input(message: str) -> NoReturn:
    click.echo(json.dumps({"error": "invalid_input", "message": message}), err=True)
    raise SystemExit(EXIT_BAD_INPUT)
