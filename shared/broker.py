"""The broker's users: one per service, allowed its own exchanges and queues and no more.

RabbitMQ permissions are three regular expressions over resource names: `configure`
(declare, delete), `write` (publish to an exchange, bind a queue), `read` (consume a
queue, bind from an exchange). The names follow nameko's conventions and shared.consumers':

    nameko-rpc                          the RPC exchange; a service's requests queue rpc-S,
    rpc.reply-S-<uuid>                  and the replies to S's own calls
    S.events                            S's integration events, published by S's relay only
    evt-<source>-<type>--S.<method>     S's handler of another service's event, and
    evt-...--S.<method>.dead            its dead letters (retries and dead letters go
                                        through the default exchange, amq.default)

So a service may publish to its own events exchange and to no other: a compromised gateway
cannot publish a forged `SubjectErased` as casework (and were a message slipped into a
queue through the default exchange, the consumer checks its validated user_id). It binds
its queues to other services' exchanges (read) but cannot declare or delete them: those are
declared here, in the definitions, and by their relays. Every service may declare
nameko-rpc, as nameko does on start.

The same definitions set up production (docker-compose.yml's RabbitMQ, Kubernetes'
Messaging Topology Operator) and each test run's vhost (shared.testing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

RPC_EXCHANGE = "nameko-rpc"


def permissions(service: str) -> dict[str, str]:
    """The configure/write/read expressions of `service`'s broker user."""
    s = re.escape(service)
    own_queues = rf"rpc-{s}|rpc\.reply-{s}-.+|evt-.+--{s}\..+"
    return {"configure": rf"^({RPC_EXCHANGE}|{s}\.events|{own_queues})$",
            "write": rf"^({RPC_EXCHANGE}|amq\.default|{s}\.events|{own_queues})$",
            "read": rf"^({RPC_EXCHANGE}|[^.]+\.events|{own_queues})$"}


def exchanges(services: Iterable[str]) -> list[dict[str, Any]]:
    """nameko-rpc and every publishing service's events exchange, as nameko declares them
    (a declaration that differs would be refused with PRECONDITION_FAILED)."""
    return [{"name": name, "type": "topic", "durable": True, "auto_delete": False,
             "internal": False, "arguments": {}}
            for name in (RPC_EXCHANGE, *(f"{s}.events" for s in services))]


def definitions(vhost: str, users: dict[str, str], passwords: dict[str, str],
                publishers: Iterable[str]) -> dict[str, Any]:
    """RabbitMQ definitions (`rabbitmqctl import_definitions`, `load_definitions`): for each
    service, `users[service]` (its user name) with `passwords[service]`, its permissions on
    `vhost`; the exchanges of `publishers`."""
    return {
        "vhosts": [{"name": vhost}],
        "users": [{"name": users[s], "password": passwords[s], "tags": []} for s in users],
        "permissions": [{"user": users[s], "vhost": vhost, **permissions(s)} for s in users],
        "exchanges": [{**exchange, "vhost": vhost} for exchange in exchanges(publishers)],
    }
