"""`haven notifications ...`: check a rule file, and read the development mail sink.

    haven notifications check-rules [FILE]      exit 1 naming every error
    haven notifications mail [--body] [--limit N]

Imports are deferred into each command: `haven` loads this module at start-up, before a
service process is prepared (shared.process).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click


def _lines(errors: Any, where: str = "") -> Iterator[str]:
    if isinstance(errors, dict):
        for key, value in sorted(errors.items(), key=lambda item: str(item[0])):
            yield from _lines(value, f"{where}.{key}" if where else str(key))
    elif isinstance(errors, list):
        for message in errors:
            yield from _lines(message, where)
    else:
        yield f"{where}: {errors}"


def consumed_events() -> list[str]:
    """The events the notifications service consumes (service.py), "source.Type"."""
    from services.notifications.service import NotificationsService
    from shared.dead_letters import handler_queues

    return [f"{q.source}.{q.event}" for q in handler_queues(NotificationsService)]


@click.group("notifications")
def notifications_cli() -> None:
    """Notification rules, and the development mail sink."""


@notifications_cli.command("check-rules")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def check_rules(file: Path | None) -> None:
    """Check a rule file (default: the shipped rules) against the producers' contracts."""
    from services.notifications.ruleset import RulesInvalid, check_subscriptions, load_rules

    try:
        rules = load_rules(file)
    except RulesInvalid as invalid:
        for line in _lines(invalid.errors):
            click.echo(line, err=True)
        raise SystemExit(1) from None
    unheard = check_subscriptions(rules, consumed_events())
    for event in unheard:
        click.echo(f"{event}: the service does not consume it (services/notifications/"
                   "service.py), so its rules would never fire", err=True)
    if unheard:
        raise SystemExit(1)
    click.echo(f"{len(rules.rules)} rules ok: " + ", ".join(r.name for r in rules.rules))


@notifications_cli.command("mail")
@click.option("--data-dir", envvar="HAVEN_DATA_DIR", default="var", show_default=True,
              type=click.Path(file_okay=False, path_type=Path))
@click.option("--body", is_flag=True, help="Print each message's text too.")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
def mail(data_dir: Path, body: bool, limit: int) -> None:
    """The e-mail `haven dev` sent (to its local sink), newest last."""
    from services.notifications.sink import sunk_messages

    messages = sunk_messages(data_dir)
    for message in messages[-limit:]:
        click.echo(f"{message['date']}  to {message['to']}  {message['subject']}")
        if body:
            click.echo("    " + message["body"].replace("\n", "\n    "))
    click.echo(f"{len(messages)} message(s) in {data_dir / 'mail'}")
