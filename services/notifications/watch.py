"""The dead-letter watch: a message dead-lettered anywhere is a fact ops must hear about.

Every few seconds each notifications process counts the messages in every service's
dead-letter queues (the queues shared.dead_letters lists, read with a passive declare:
nothing is taken out). A queue that starts holding messages opens an episode, and the
rules hear it as `notifications.DeadLettered` -- once per episode, whichever process saw
it first (the watch's version settles the race); emptied by a replay, the episode ends.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cached_property, partial
from typing import Any

from services.notifications.domain import DeadLetterWatch
from services.notifications.domain.ids import watch_id
from services.notifications.reacting import Reacting
from services.notifications.rulecheck import named
from services.notifications.signals import DEAD_LETTERED
from services.notifications.store import Batch, system

log = logging.getLogger(__name__)


class DeadLetterCounter:
    """Counts the messages in every service's dead-letter queues, over AMQP (pika)."""

    def __init__(self, amqp_uri: str):
        self.amqp_uri = amqp_uri

    @cached_property
    def queues(self) -> list[tuple[str, Any]]:
        from shared.dead_letters import handler_queues
        from shared.manifest import manifest

        return [(entry.name, queue) for entry in manifest()
                for queue in handler_queues(entry.service_class)]

    def counts(self) -> list[tuple[str, Any, int]]:
        """(service, handler queue, messages in its dead-letter queue), for the queues that
        exist on this broker."""
        import pika

        from shared.dead_letters import waiting

        connection = pika.BlockingConnection(pika.URLParameters(self.amqp_uri))
        try:
            found = [(service, queue, waiting(connection, queue.dead))
                     for service, queue in self.queues]
        finally:
            connection.close()
        return [(service, queue, count) for service, queue, count in found if count is not None]


class Watch(Reacting):
    @cached_property
    def dead_letters(self) -> DeadLetterCounter | None:
        """None where there is no RabbitMQ to ask (embedded mode's in-memory broker)."""
        uri = self.settings.amqp_uri
        return DeadLetterCounter(uri) if uri.startswith("amqp") else None

    def watch_dead_letters(self) -> int:
        """One look at every dead-letter queue; returns how many episodes it opened."""
        if self.dead_letters is None or self.options.watch_seconds <= 0:
            return 0
        opened = 0
        for service, queue, count in self.dead_letters.counts():
            opened += self.retrying(partial(self.observe_dead_letters, service, queue, count,
                                            self.clock()))
        return opened

    def observe_dead_letters(self, service: str, queue: Any, count: int, now: datetime) -> int:
        """`count` messages are in `queue`'s dead-letter queue: 1 if that opens an episode."""
        watch = self.find(DeadLetterWatch, watch_id(queue.dead)) \
            or DeadLetterWatch.start(queue.dead)
        episode = watch.observe(count, now)
        if not watch.pending_events:
            return 0
        batch = Batch(self)
        batch.add(watch)
        if episode is not None:
            data = {"queue": queue.dead, "service": service, "source": queue.source,
                    "event": queue.event, "count": count, "episode": episode, "found_at": now}
            DEAD_LETTERED.check(data)  # the signal is a contract like any other event
            self.apply_rules(named(DEAD_LETTERED), data, f"{queue.dead}#{episode}", now, batch)
        self.commit(batch, system("watch_dead_letters"))
        return 1 if episode is not None else 0
