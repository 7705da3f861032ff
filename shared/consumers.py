"""Consuming other services' integration events: exactly one effect, never a blocked queue.

Two halves, used together in a service:

    class CaseworkService:
        app = Application()                                  # the service's HavenApplication

        @event_handler("intake", "ReferredToCasework")       # delivery: retry, dead-letter
        def on_referred(self, body):
            IdempotentConsumer(self.app).handle(body, self.app.open_case_from_referral)

    # application.py -- the policy saves its events together with the tracking row
    def open_case_from_referral(self, envelope: Envelope, tracking: Tracking) -> None:
        case = Case(...)
        self.save(case, ctx=policy_context(envelope, self.name, "open_case"), tracking=tracking)

Only the source's own publisher is believed: its relay publishes as the source's broker
user, and RabbitMQ checks the AMQP `user_id` property against the user the relay logged in
as. A message with any other `user_id` (another service's, or none: a message slipped in
through the default exchange) is dead-lettered unopened, never applied. (Embedded mode's
in-process transport has no broker to validate user_id, and no other publisher.)

Tracking is exact, per (source, notification id). eventsourcing's default single-row
tracking keeps only the highest id per source, which silently skips any message that
arrives after a later one -- and nameko gives every (event type, handler) its own queue,
runs workers concurrently and retries at the back of the queue, so messages do arrive out
of order. Consuming applications therefore need `SINGLE_ROW_TRACKING=f`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlparse

import eventlet
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from kombu import Queue
from kombu.common import maybe_declare
from nameko import rpc
from nameko.amqp.publish import Publisher, get_connection
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
    PERSISTENT,
)
from nameko.events import SERVICE_POOL, EventHandler
from psycopg import sql

from shared.audit import SYSTEM_ROLE, CommandContext
from shared.config import settings
from shared.errors import database_unavailable
from shared.eventstore import HavenApplication, last_saved_tracking
from shared.manifest import manifest
from shared.messaging import Envelope
from shared.metrics import CONSUMER_LAG, CONSUMER_MESSAGES, DEAD_LETTERS

log = logging.getLogger(__name__)

ATTEMPTS_HEADER = "x-haven-attempts"
OUTAGES_HEADER = "x-haven-database-outages"  # retries while the database was away
DEAD_SUFFIX = ".dead"  # a handler's dead letters wait in "<its queue>.dead"
ERROR_HEADER = "x-haven-error"
# On a message a consumer republished itself (a retry, a dead letter): the broker user that
# first published it, as RabbitMQ validated it then. Believed only under the consumer's own
# validated user_id, which no other user can set.
PUBLISHER_HEADER = "x-haven-publisher"
_ERROR_MAX = 500  # characters of "ExceptionType: message" kept on a dead letter

Handler = Callable[[Envelope, Tracking], object]


class TrackingNotExact(RuntimeError):
    """The consuming application keeps only the highest tracked id per source."""


# -- idempotent effect ---------------------------------------------------------
def has_handled(app: HavenApplication, tracking: Tracking) -> bool:
    """Whether exactly this (source, notification id) was recorded -- not "any later one",
    which is what eventsourcing's `has_tracking_id` answers."""
    recorder: Any = app.recorder
    if isinstance(recorder, PostgresTrackingRecorder):
        query: Any = sql.SQL("SELECT 1 FROM {} WHERE application_name = %s"
                             " AND notification_id = %s").format(
            sql.Identifier(recorder.datastore.schema, recorder.tracking_table_name))
    elif isinstance(recorder, SQLiteTrackingRecorder):
        query = "SELECT 1 FROM tracking WHERE application_name = ? AND notification_id = ?"
    else:
        raise TypeError(f"no tracking table in {type(recorder).__name__}")
    with recorder.datastore.transaction(commit=False) as curs:
        curs.execute(query, (tracking.application_name, tracking.notification_id))
        return curs.fetchone() is not None


def require_exact_tracking(app: HavenApplication) -> None:
    if getattr(app.recorder.datastore, "single_row_tracking", True):  # type: ignore[attr-defined]
        raise TrackingNotExact(
            f"{app.name}: consuming events needs SINGLE_ROW_TRACKING=f in its store env"
            " (shared.eventstore.store_env); single-row tracking drops out-of-order messages")


def policy_context(envelope: Envelope, service: str, command: str) -> CommandContext:
    """Who acts when a policy reacts to an event: the service itself, on the same
    correlation as the original command, caused by that one notification."""
    return CommandContext(actor_id=f"service:{service}", actor_role=SYSTEM_ROLE, command=command,
                          correlation_id=envelope.correlation_id or str(uuid.uuid4()),
                          causation_id=f"{envelope.source}:{envelope.notification_id}")


class IdempotentConsumer:
    """Runs a policy once per (source, notification id), however often the message comes.

    The handler must save with `tracking=` the Tracking it is given, so the tracking row
    and the effect commit together. A handler that decides nothing needs doing saves
    nothing; the consumer then records the tracking row alone. `tracking_name` defaults to
    the source service; give each handler its own name if one service handles the same
    event in two handlers that save to the same application.
    """

    def __init__(self, app: HavenApplication, tracking_name: str | None = None):
        require_exact_tracking(app)
        self.app = app
        self.tracking_name = tracking_name

    def handle(self, body: Mapping[str, Any] | Envelope, handler: Handler) -> bool:
        """True if the handler ran to completion now; False for a duplicate."""
        envelope = body if isinstance(body, Envelope) else parse_envelope(body)
        tracking = Tracking(self.tracking_name or envelope.source, envelope.notification_id)
        labels = (self.app.name, envelope.source, envelope.type)
        if has_handled(self.app, tracking):
            CONSUMER_MESSAGES.labels(*labels, "duplicate").inc()
            return False
        try:
            handler(envelope, tracking)
            if last_saved_tracking() != (self.app.name, tracking) \
                    and not has_handled(self.app, tracking):
                self.app.recorder.insert_tracking(tracking)  # type: ignore[attr-defined]
        except IntegrityError:
            # Either a concurrent delivery of the same message won the race (skip), or an
            # aggregate was changed concurrently (re-raise: the retry reloads it).
            if not has_handled(self.app, tracking):
                raise
            CONSUMER_MESSAGES.labels(*labels, "duplicate").inc()
            return False
        CONSUMER_MESSAGES.labels(*labels, "handled").inc()
        CONSUMER_LAG.labels(*labels).set(_age_seconds(envelope.occurred_at))
        return True


def parse_envelope(body: Mapping[str, Any]) -> Envelope:
    envelope = Envelope.from_dict(dict(body))
    if not envelope.source or not isinstance(envelope.notification_id, int) or not envelope.type:
        raise ValueError("message is not a Haven envelope (source, notification_id, type)")
    if not isinstance(envelope.data, dict):
        raise ValueError("envelope data must be an object")
    return envelope


def _age_seconds(occurred_at: str | None) -> float:
    try:
        occurred = datetime.fromisoformat(occurred_at or "")
    except ValueError:
        return 0.0
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    return max(0.0, (datetime.now(UTC) - occurred).total_seconds())


# -- delivery: retry at the back of the queue, then dead-letter --------------------
class HavenEventHandler(EventHandler):
    """nameko's event handler (durable SERVICE_POOL queue), minus its failure modes.

    On a worker error nameko either acks (the event is lost) or requeues at the head (a
    poison message loops there forever, ahead of everything behind it). Instead, the
    message is republished to the back of its own queue with `x-haven-attempts` + 1 and
    the original acked; after `max_attempts` failures it goes to the durable queue
    `<queue>.dead` with `x-haven-error`. Republish-then-ack can duplicate a message if we
    die in between; IdempotentConsumer absorbs that. Nothing is ever dropped.
    """

    def __init__(self, source_service: str, event_type: str, max_attempts: int = 5,
                 retry_delay: float = 0.2, **kwargs: Any):
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        super().__init__(source_service, event_type, handler_type=SERVICE_POOL,
                         reliable_delivery=True, requeue_on_error=False, **kwargs)

    def setup(self) -> None:
        super().setup()  # builds self.queue: evt-<source>-<type>--<service>.<method>
        cfg = settings()
        # HAVEN_QUEUE_TYPE=quorum: both queues replicated over the broker's nodes. The event
        # queue is declared when the container starts consuming, with these arguments.
        quorum = {"x-queue-type": "quorum"} if cfg.queue_type == "quorum" else None
        self.queue.queue_arguments = quorum
        config = self.container.config
        url = urlparse(config[AMQP_URI_CONFIG_KEY])
        self.own_user = unquote(url.username) if url.username else None
        self.source_user = cfg.broker_user(self.source_service)
        # Only RabbitMQ validates user_id; embedded mode's in-process transport (memory://)
        # has no other publisher to distrust.
        self.checks_publisher = url.scheme.startswith("amqp")
        if self.checks_publisher and self.source_service in manifest().stores:
            # The source's exchange belongs to the source: declared by the broker's
            # definitions (shared.broker) and by its relay, never by a consumer, whose
            # broker user may not.
            self.queue.exchange.no_declare = True
        # No exchange: the default exchange routes by queue name, so a retry reaches only
        # this handler's queue, not every subscriber of the source's topic exchange.
        self.dead_letter_queue = Queue(self.queue.name + DEAD_SUFFIX, durable=True,
                                       auto_delete=False, queue_arguments=quorum)
        with get_connection(config[AMQP_URI_CONFIG_KEY], config.get(AMQP_SSL_CONFIG_KEY),
                            config.get(LOGIN_METHOD_CONFIG_KEY)) as conn:
            maybe_declare(self.dead_letter_queue, conn.channel())
        self._republisher = Publisher(config[AMQP_URI_CONFIG_KEY], use_confirms=True,
                                      ssl=config.get(AMQP_SSL_CONFIG_KEY),
                                      login_method=config.get(LOGIN_METHOD_CONFIG_KEY))

    def handle_message(self, body: Any, message: Any) -> None:
        publisher = self._publisher(message)
        if self.checks_publisher and publisher != self.source_user:
            self._refuse_forged(message, publisher)
            return
        super().handle_message(body, message)

    def _publisher(self, message: Any) -> str | None:
        user = message.properties.get("user_id")
        if user != self.source_user and user == self.own_user:
            return (message.headers or {}).get(PUBLISHER_HEADER)  # one of our own retries
        return user

    def _refuse_forged(self, message: Any, publisher: str | None) -> None:
        labels = (self.container.service_name, self.source_service, self.event_type)
        CONSUMER_MESSAGES.labels(*labels, "forged").inc()
        headers = {**(message.headers or {}), PUBLISHER_HEADER: publisher,
                   ERROR_HEADER: f"not published by {self.source_service}'s broker user"
                                 f" {self.source_user} (user_id {publisher!r}): not applied"}
        try:
            self._republish(message, self.dead_letter_queue.name, headers)
        except Exception:
            log.warning("%s: could not dead-letter a forged message; requeued",
                        self.queue.name, exc_info=True)
            self.queue_consumer.requeue_message(message)
            return
        DEAD_LETTERS.labels(*labels).inc()
        log.error("%s: dead-lettered a %s message not published by %s (user_id %r)",
                  self.queue.name, self.event_type, self.source_user, publisher)
        self.queue_consumer.ack_message(message)

    def handle_message_processed(self, message: Any, result: Any = None,
                                 exc_info: Any = None) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        headers = {**(message.headers or {}), PUBLISHER_HEADER: self._publisher(message)}
        labels = (self.container.service_name, self.source_service, self.event_type)
        if database_unavailable(exc_info[1]):
            # Not the message's fault: a database restart must not use up its attempts and
            # dead-letter every message in flight. It waits (one worker) and goes round
            # again until the database is back.
            outages = _int(headers.get(OUTAGES_HEADER)) + 1
            headers[OUTAGES_HEADER] = outages
            CONSUMER_MESSAGES.labels(*labels, "unavailable").inc()
            self._retry(message, headers, outages)
            return
        attempts = _int(headers.get(ATTEMPTS_HEADER)) + 1
        headers[ATTEMPTS_HEADER] = attempts
        CONSUMER_MESSAGES.labels(*labels, "failed").inc()
        if attempts < self.max_attempts:
            self._retry(message, headers, attempts)
            return
        headers[ERROR_HEADER] = _describe(exc_info[1])
        if not self._moved(message, self.dead_letter_queue.name, headers):
            return
        DEAD_LETTERS.labels(*labels).inc()
        log.error("%s: dead-lettered a %s message after %d attempts (%s)",
                  self.queue.name, self.event_type, attempts, type(exc_info[1]).__name__)
        self.queue_consumer.ack_message(message)

    def _retry(self, message: Any, headers: dict[str, Any], tries: int) -> None:
        """To the back of its own queue after a pause that grows with its `tries` (5 s at
        most; it holds one worker, not the queue); the original acked once it is there."""
        eventlet.sleep(min(self.retry_delay * 2 ** (tries - 1), 5.0))
        if self._moved(message, self.queue.name, headers):
            self.queue_consumer.ack_message(message)

    def _moved(self, message: Any, queue_name: str, headers: dict[str, Any]) -> bool:
        """Republished to `queue_name`; if not (broker trouble), handed back unacked rather
        than lost."""
        try:
            self._republish(message, queue_name, headers)
        except Exception:
            log.warning("%s: could not republish a failed message; requeued",
                        self.queue.name, exc_info=True)
            self.queue_consumer.requeue_message(message)
            return False
        return True

    def _republish(self, message: Any, queue_name: str, headers: dict[str, Any]) -> None:
        # Under our own user_id (RabbitMQ allows no other), the first publisher in a header.
        own = {"user_id": self.own_user} if self.own_user else {}
        self._republisher.publish(
            message.body, exchange="", routing_key=queue_name, headers=headers,
            content_type=message.content_type, content_encoding=message.content_encoding,
            declare=[self.dead_letter_queue], delivery_mode=PERSISTENT, **own)


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _describe(exc: BaseException) -> str:
    """Exception type and message, no traceback: what an operator needs on a dead letter."""
    return f"{type(exc).__name__}: {exc}"[:_ERROR_MAX]


event_handler = HavenEventHandler.decorator


class _TransientPublisher(Publisher):
    delivery_mode = NON_PERSISTENT


# RPC requests and replies carry personal data (a contact's summary, a client's name) and
# matter only while the caller waits: never written to the broker's disk. nameko sends
# both through these two publishers, persistent by default. Every service process imports
# this module (shared.service), and so does every RPC caller built on the template.
rpc.MethodProxy.publisher_cls = rpc.Responder.publisher_cls = _TransientPublisher
