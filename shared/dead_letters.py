"""Dead letters: the messages a consumer gave up on, seen in place and re-driven after a fix.

HavenEventHandler (shared.consumers) moves a message that kept failing to `<queue>.dead`,
with the error and the number of attempts in its headers. An operator lists those queues,
reads the messages without taking them out, and once the cause is fixed moves them back to
the end of the queue they came from:

    haven dead-letters list casework
    haven dead-letters show casework [--queue Q] [--limit N] [--body]
    haven dead-letters replay casework [--queue Q] [--limit N]

Exit status: 0 fine; 1 a message could not be moved back (it stays dead-lettered);
2 no such service or queue, or the broker cannot be reached.

pika, nameko and the service classes are imported inside the functions: `haven` loads this
module at start-up, before a service process is prepared (shared.process).
"""

from __future__ import annotations

import copy
import inspect
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlparse

import click

if TYPE_CHECKING:
    from pika import BasicProperties, BlockingConnection

EXIT_NOT_MOVED, EXIT_NOT_FOUND = 1, 2


class CannotReplay(RuntimeError):
    """The broker refused a dead letter's way back; it is still in its dead-letter queue."""


@dataclass(frozen=True)
class HandlerQueue:
    """One event handler's queue, and the dead-letter queue beside it."""

    source: str
    event: str
    queue: str

    @property
    def dead(self) -> str:
        from shared.consumers import DEAD_SUFFIX

        return self.queue + DEAD_SUFFIX


@dataclass(frozen=True)
class DeadLetter:
    queue: str
    source: str | None
    type: str | None
    notification_id: int | None
    correlation_id: str | None
    attempts: int | None
    error: str | None
    body: bytes

    @classmethod
    def read(cls, queue: str, properties: BasicProperties, body: bytes) -> DeadLetter:
        from shared.consumers import ATTEMPTS_HEADER, ERROR_HEADER

        headers = properties.headers or {}
        try:
            envelope = json.loads(body)
        except ValueError:
            envelope = None
        envelope = envelope if isinstance(envelope, dict) else {}
        return cls(queue, envelope.get("source"), envelope.get("type"),
                   envelope.get("notification_id"), envelope.get("correlation_id"),
                   headers.get(ATTEMPTS_HEADER), headers.get(ERROR_HEADER), body)


def handler_queues(service_class: type) -> list[HandlerQueue]:
    """The queues of a nameko service's event handlers. Named as nameko.events.EventHandler
    .setup names a SERVICE_POOL queue, with the method name nameko's ServiceContainer binds:
    the class attribute, which need not be the function's __name__ (shared.service.consume)."""
    from nameko.containers import get_service_name

    from shared.consumers import HavenEventHandler

    queues = []
    for method_name, method in inspect.getmembers(service_class, inspect.isfunction):
        for handler in getattr(method, "nameko_entrypoints", ()):
            if isinstance(handler, HavenEventHandler):
                queues.append(HandlerQueue(
                    handler.source_service, handler.event_type,
                    f"evt-{handler.source_service}-{handler.event_type}"
                    f"--{get_service_name(service_class)}.{method_name}"))
    return queues


def waiting(connection: BlockingConnection, queue: str) -> int | None:
    """Messages ready in `queue`; None if it does not exist (its service never ran here)."""
    from pika.exceptions import ChannelClosedByBroker

    channel = connection.channel()
    try:
        return int(channel.queue_declare(queue, passive=True).method.message_count)
    except ChannelClosedByBroker as closed:
        if closed.reply_code == 404:
            return None
        raise
    finally:
        if channel.is_open:
            channel.close()


def peek(connection: BlockingConnection, queue: str, limit: int) -> list[DeadLetter]:
    """Up to `limit` messages from the head of `queue`, left where they were.

    Every message is held unacknowledged until the last one is read, then all are handed
    back with one nack(multiple, requeue): RabbitMQ returns requeued messages to their
    original positions, so the order is kept, and if we die first the closed channel
    requeues them the same way, so nothing is lost. (Nacking one at a time would fetch the
    same head message again and again.) The management API's "get messages" with
    ack_requeue_true does the same get-and-requeue, but needs a second port, truncates
    bodies, and is documented as a diagnostics tool without reliable delivery.
    """
    channel = connection.channel()
    letters: list[DeadLetter] = []
    last_tag = None
    try:
        while len(letters) < limit:
            method, properties, body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                break
            last_tag = method.delivery_tag
            letters.append(DeadLetter.read(queue, properties, body))
    finally:
        if last_tag is not None and channel.is_open:
            channel.basic_nack(last_tag, multiple=True, requeue=True)
        if channel.is_open:
            channel.close()
    return letters


def replay(connection: BlockingConnection, handler: HandlerQueue, limit: int | None) -> int:
    """Moves dead letters to the end of their handler's queue for a fresh set of attempts;
    returns how many moved. Each is published with a confirm before its dead copy is acked:
    a crash in between duplicates it (consumers are idempotent), never loses it."""
    from pika.exceptions import NackError, UnroutableError

    channel = connection.channel()
    channel.confirm_delivery()
    # Only what is there now: if the cause is not fixed, replayed messages come back here,
    # and replaying "until empty" would loop forever.
    present = int(channel.queue_declare(handler.dead, passive=True).method.message_count)
    moved = 0
    try:
        for _ in range(present if limit is None else min(limit, present)):
            method, properties, body = channel.basic_get(handler.dead, auto_ack=False)
            if method is None:
                break
            try:  # mandatory: a queue that is gone must refuse it, not swallow it
                channel.basic_publish("", handler.queue, body, _retried(properties),
                                      mandatory=True)
            except (UnroutableError, NackError) as refused:
                channel.basic_nack(method.delivery_tag, requeue=True)
                raise CannotReplay(f"{handler.queue} did not take a message back"
                                   f" ({type(refused).__name__}: does the queue exist?);"
                                   f" it stays in {handler.dead}") from None
            channel.basic_ack(method.delivery_tag)
            moved += 1
    finally:
        if channel.is_open:
            channel.close()
    return moved


def _retried(properties: BasicProperties) -> BasicProperties:
    """The same message for its consumer, with its attempts counted afresh."""
    from shared.consumers import ATTEMPTS_HEADER, ERROR_HEADER

    again = copy.copy(properties)
    again.headers = {k: v for k, v in (properties.headers or {}).items()
                     if k not in (ATTEMPTS_HEADER, ERROR_HEADER)}
    again.delivery_mode = 2  # persistent, as the dead copy was
    return again


# -- the command line -----------------------------------------------------------------
def _fail(message: str, code: int = EXIT_NOT_FOUND) -> SystemExit:
    click.echo(message, err=True)
    return SystemExit(code)


def _handler_queues_of(service: str, queue: str | None) -> list[HandlerQueue]:
    from shared.manifest import manifest
    from shared.process import prepare_service_process

    prepare_service_process()  # the service class imports nameko and psycopg
    try:
        queues = handler_queues(manifest()[service].service_class)
    except LookupError as unknown:
        raise _fail(str(unknown)) from None
    if queue is None:
        return queues
    chosen = [q for q in queues if queue in (q.queue, q.dead)]
    if not chosen:
        raise _fail(f"{service} has no dead-letter queue {queue} (see: haven dead-letters list"
                    f" {service})")
    return chosen


@contextmanager
def _broker() -> Iterator[BlockingConnection]:
    import pika
    from pika.exceptions import AMQPConnectionError

    from shared.config import settings

    if not settings().amqp_uri:  # production has no guest@localhost fallback; pika would
        raise _fail("HAVEN_AMQP_URI is not set")  # quietly take one
    url = urlparse(settings().amqp_uri)
    try:
        connection = pika.BlockingConnection(pika.URLParameters(settings().amqp_uri))
    except AMQPConnectionError as exc:  # the address without credentials
        raise _fail(f"cannot reach the broker at {url.hostname}:{url.port or 5672}{url.path}"
                    f" ({type(exc).__name__}); is RabbitMQ up, is HAVEN_AMQP_URI right?"
                    ) from None
    try:
        yield connection
    finally:
        if connection.is_open:
            connection.close()


_queue_option = click.option("--queue", metavar="Q",
                             help="Only this dead-letter queue (as `list` names it).")


@click.group(help="Messages a consumer gave up on: list them, read them, replay them.")
def dead_letters_cli() -> None:
    pass


@dead_letters_cli.command("list", help="SERVICE's dead-letter queues, with message counts.")
@click.argument("service")
def list_queues(service: str) -> None:
    queues = _handler_queues_of(service, None)
    if not queues:
        click.echo(f"{service} handles no events: it has no dead-letter queues")
        return
    click.echo(f"{'COUNT':>6}  SOURCE/EVENT  DEAD-LETTER QUEUE")
    with _broker() as connection:
        for q in queues:
            count = waiting(connection, q.dead)
            if count is None:
                click.echo(f"{'-':>6}  {q.source}/{q.event}  {q.dead}"
                           "  (not declared: the service has not run on this broker)")
            else:
                click.echo(f"{count:>6}  {q.source}/{q.event}  {q.dead}")


@dead_letters_cli.command("show", help="Read dead letters without taking them out.")
@click.argument("service")
@_queue_option
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True,
              help="At most N messages from each queue.")
@click.option("--body", is_flag=True, help="Also print each message body (sealed ciphertext"
                                           " for personal data, but still: only if needed).")
def show(service: str, queue: str | None, limit: int, body: bool) -> None:
    queues = _handler_queues_of(service, queue)
    shown = 0
    with _broker() as connection:
        for q in queues:
            if waiting(connection, q.dead) is None:
                continue
            for letter in peek(connection, q.dead, limit):
                shown += 1
                click.echo(f"queue={letter.queue} source={letter.source} type={letter.type}"
                           f" notification={letter.notification_id}"
                           f" correlation={letter.correlation_id} attempts={letter.attempts}"
                           f" error={letter.error}")
                if body:
                    click.echo(f"  body={letter.body.decode('utf-8', errors='replace')}")
    click.echo(f"{shown} dead letter(s) shown, all left in place")


@dead_letters_cli.command("replay", help="After a fix: move dead letters back to their queue.")
@click.argument("service")
@_queue_option
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="At most N messages from each queue (default: all there now).")
def replay_queues(service: str, queue: str | None, limit: int | None) -> None:
    queues = _handler_queues_of(service, queue)
    total = 0
    with _broker() as connection:
        for q in queues:
            if not waiting(connection, q.dead):
                continue
            try:
                moved = replay(connection, q, limit)
            except CannotReplay as refused:
                raise _fail(str(refused), EXIT_NOT_MOVED) from None
            total += moved
            click.echo(f"moved {moved} message(s) from {q.dead} back to {q.queue}")
    click.echo(f"{total} dead letter(s) replayed")
