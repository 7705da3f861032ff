"""`haven`: the one command line for operators and developers.

Imports are deferred into each command, so that `prepare_service_process`
runs before psycopg or nameko are imported by a command that runs services.
"""

from __future__ import annotations

import click

from shared.process import prepare_service_process


@click.group(help="Haven case platform.")
def main() -> None:
    pass


@main.command(help="Run one service (or the gateway) as a nameko process.")
@click.argument("service")
def run(service: str) -> None:
    prepare_service_process()
    from shared.runner import run_service

    run_service(service)


@main.command(help="Run a service's outbox relay: its notification log -> <service>.events.")
@click.argument("service")
def relay(service: str) -> None:
    prepare_service_process()
    from shared.outbox import run_relay

    run_relay(service)


@main.command(help="Run the whole platform in one process (SQLite, in-memory broker).")
@click.option("--data-dir", envvar="HAVEN_DATA_DIR", default="var", show_default=True)
@click.option("--port", envvar="HAVEN_HTTP_PORT", default=8080, show_default=True)
@click.option("--no-demo", is_flag=True, help="Do not load demo data on first start.")
def dev(data_dir: str, port: int, no_demo: bool) -> None:
    prepare_service_process()
    from shared.embedded import run_embedded

    run_embedded(data_dir=data_dir, port=port, demo=not no_demo)


@main.command(help="Check a service's hash chains; exit 1 on any break, 2 if there is no store.")
@click.argument("service")
@click.option("--anchor", metavar="NID:HEX",
              help="A log head recorded earlier (outside the database) that the log must reach.")
def verify(service: str, anchor: str | None) -> None:
    from shared.config import settings
    from shared.verify import verify as verify_store

    head = None
    if anchor:
        nid, _, digest = anchor.partition(":")
        head = (int(nid), bytes.fromhex(digest))
    try:
        report = verify_store(service, settings(), anchor=head)
    except LookupError as exc:
        click.echo(f"no store for {service}: {exc}", err=True)
        raise SystemExit(2) from None
    click.echo(report.summary())
    for found in report.breaks:
        click.echo(f"BREAK {found.kind} stream={found.stream} position={found.position}"
                   f" notification={found.notification_id}: {found.detail}")
    if report.head:
        click.echo(f"head {report.head[0]}:{report.head[1].hex()}  (keep it to pass as --anchor)")
    raise SystemExit(0 if report.ok else 1)


@main.command("deploy-files", help="Write docker-compose.yml and deploy/k8s/ from the manifest.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 naming each stale file.")
def deploy_files(check: bool) -> None:
    from shared.deploy_files import sync

    raise SystemExit(sync(check=check))


def _add_command_groups() -> None:
    from services.notifications.cli import notifications_cli  # its imports load per command
    from shared.audit_trail.cli import audit_cli
    from shared.auth import token_cli
    from shared.broker_cli import broker_cli
    from shared.db_roles import db_cli
    from shared.dead_letters import dead_letters_cli  # pika and services load per command
    from shared.gdpr.cli import gdpr_cli
    from shared.htcds.cli import export_cli
    from shared.keys_cli import keys_cli
    from shared.stack import stack_cli

    main.add_command(token_cli, "token")
    main.add_command(audit_cli, "audit")
    main.add_command(dead_letters_cli, "dead-letters")
    main.add_command(db_cli, "db")
    main.add_command(broker_cli, "broker")
    main.add_command(keys_cli, "keys")
    main.add_command(notifications_cli, "notifications")
    main.add_command(__import__("shared.reports.cli", fromlist=["report_cli"]).report_cli, "report")
    main.add_command(export_cli, "export")
    main.add_command(gdpr_cli, "gdpr")
    main.add_command(stack_cli, "stack")


_add_command_groups()
