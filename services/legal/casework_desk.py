"""Asking casework, at the moment of sharing, whether the client consents: the one
question legal puts to another service synchronously.

Fail-closed. Legal shares only on casework's clear yes, given now, naming the consent.
When casework does not answer in time, is not running, or fails, legal refuses with
UNAVAILABLE (503: nothing was shared; the caller may try again) -- it never falls back
to its own view of consents, which may be behind. Casework's own refusals (no such case,
the caller's role) come back as they are.

The question goes out with the caller's own token (nameko forwards the worker's context
data, which holds the token the caller sent) and correlation id, so casework decides by
its own policy who may ask, and its logs join legal's.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import Any

import eventlet
from nameko.exceptions import RemoteError, UnknownService
from nameko.rpc import RpcProxy

from shared.audit import CommandContext
from shared.errors import Unavailable, from_remote
from shared.shell import IDEMPOTENCY_KEY

Fields = dict[str, Any]
ASK_SECONDS = 5.0  # a person is waiting; casework answers in milliseconds when it is up
NO_ANSWER = "casework did not answer whether the client consents; nothing was shared"

# Set per worker (each nameko worker runs in a greenlet with its own context).
_asking: contextvars.ContextVar[Callable[[Fields, str], Fields] | None] = \
    contextvars.ContextVar("legal_asks_casework", default=None)


class CaseworkDesk(RpcProxy):
    """casework's RPCs for the worker running now, with the caller's token."""

    timeout = ASK_SECONDS

    def __init__(self) -> None:
        super().__init__("casework")

    def worker_setup(self, worker_ctx: Any) -> None:
        casework = self.get_dependency(worker_ctx)

        def ask(payload: Fields, correlation_id: str) -> Fields:
            worker_ctx.data["correlation_id"] = correlation_id  # as the gateway forwards it
            # Never under the caller's Idempotency-Key (the gateway keeps it off its own
            # lookups too): casework would keep this answer under it and replay it, a
            # consent revoked since included, when the command is sent again with that key
            # after a refusal let legal's claim on it go. Legal's own claim read it already.
            key = worker_ctx.data.pop(IDEMPOTENCY_KEY, None)
            try:
                with eventlet.Timeout(self.timeout):
                    answer: Fields = casework.may_share(payload=payload)
                    return answer
            finally:
                if key is not None:
                    worker_ctx.data[IDEMPOTENCY_KEY] = key

        _asking.set(ask)

    def worker_teardown(self, worker_ctx: Any) -> None:
        _asking.set(None)


def ask_casework(ctx: CommandContext, case_id: str, purpose: str, recipient: str) -> Fields:
    """casework's `may_share` answer for this case, purpose and recipient, today."""
    ask = _asking.get()
    if ask is None:
        raise Unavailable(NO_ANSWER)
    try:
        return ask({"case_id": case_id, "purpose": purpose, "recipient": recipient},
                   ctx.correlation_id)
    except RemoteError as refused:
        raise from_remote(refused.exc_type, refused.value) from None
    except (eventlet.Timeout, UnknownService):
        raise Unavailable(NO_ANSWER) from None
    except Exception:  # noqa: BLE001 - any other failure to ask: fail closed
        raise Unavailable(NO_ANSWER) from None
