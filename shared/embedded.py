"""`haven dev`: every service, its relay and the gateway in one process.

Same services and code paths as production; only adapters differ: SQLite files
under HAVEN_DATA_DIR instead of PostgreSQL, kombu's in-memory transport instead
of RabbitMQ. Two adaptations the memory transport needs are made here and only here.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import threading
from pathlib import Path
from queue import Empty, Queue
from time import monotonic
from typing import Any, cast

import eventlet

from shared.wakeup import EMBEDDED_IDLE_INTERVAL, Signal, wake_everyone

log = logging.getLogger("haven.embedded")

# kombu's virtual transports poll: every second by default, too slow for an RPC; at 2 ms
# an idle `haven dev` burnt a third of a core. Its consumers now sleep until a message is
# put (shared.wakeup), and look on their own only this often.
MEMORY_POLLING_INTERVAL = EMBEDDED_IDLE_INTERVAL
DEMO_MARKER = ".demo-loaded"
ROLES = ("helpline_operator", "caseworker", "shelter_staff", "lawyer", "supervisor", "auditor",
         "ops", "admin")


def adapt_memory_transport() -> None:
    import kombu.transport.memory as memory
    import nameko.rpc

    memory.Transport.polling_interval = MEMORY_POLLING_INTERVAL
    if not getattr(memory.Channel._put, "_haven_adapted", False):
        _wake_on_put(memory)
        _broker_per_virtual_host(memory)
    send_response = nameko.rpc.Responder.send_response
    if getattr(send_response, "_haven_adapted", False):
        return

    def _send_response(self: Any, result: Any, exc_info: Any) -> Any:
        # The memory transport keeps the content type on the message, not in its
        # properties, where nameko's RPC reply looks for it.
        self.message.properties.setdefault("content_type", self.message.content_type)
        return send_response(self, result, exc_info)

    _send_response._haven_adapted = True  # type: ignore[attr-defined]
    nameko.rpc.Responder.send_response = _send_response  # type: ignore[method-assign]


def _wake_on_put(memory: Any) -> None:
    """The in-memory broker wakes the consumers of a queue when a message is put on it,
    so they need not poll: an RPC round trip stays at a few ms with an idle process at
    rest. Only that queue's consumers: every connection of every service woken by every
    message (one signal for all, as it was) each looked through all its queues for
    nothing, about a sixth of an embedded read's CPU."""
    def announcing(put: Any, to_queue: bool) -> Any:
        def announced(self: Any, queue_or_exchange: str, *args: Any, **kwargs: Any) -> Any:
            try:
                return put(self, queue_or_exchange, *args, **kwargs)
            finally:
                self._haven_broker.announce(queue_or_exchange if to_queue else None)

        return announced

    def drain_events(self: Any, connection: Any, timeout: float | None = None) -> None:
        # kombu's own loop, with its sleep(polling_interval) replaced by a wait for a put.
        arrivals = _arrivals_of(self)
        started = monotonic()
        while True:
            seen = arrivals.seen  # before looking: a put after it ends the wait at once
            try:
                self.cycle.get(self._deliver, timeout=timeout)
                return
            except Empty:
                left = None if timeout is None else timeout - (monotonic() - started)
                if left is not None and left <= 0:
                    raise TimeoutError() from None
                arrivals.wait(seen, self.polling_interval if left is None
                              else min(left, self.polling_interval))

    basic_consume, basic_cancel = memory.Channel.basic_consume, memory.Channel.basic_cancel

    def consuming(self: Any, queue: str, *args: Any, **kwargs: Any) -> Any:
        found = basic_consume(self, queue, *args, **kwargs)
        self._haven_broker.listen(queue, _arrivals_of(self.connection))
        return found

    def cancelling(self: Any, consumer_tag: str) -> Any:
        queue = self._tag_to_queue.get(consumer_tag)
        found = basic_cancel(self, consumer_tag)
        if queue is not None and queue not in self._active_queues:
            self._haven_broker.unlisten(queue, _arrivals_of(self.connection))
        return found

    memory.Channel._put = announcing(memory.Channel._put, to_queue=True)
    memory.Channel._put_fanout = announcing(memory.Channel._put_fanout, to_queue=False)
    memory.Channel.basic_consume = consuming
    memory.Channel.basic_cancel = cancelling
    memory.Channel._put._haven_adapted = True
    memory.Transport.drain_events = drain_events


def _arrivals_of(transport: Any) -> Signal:
    """A connection's wake-up: fired by a put on any queue it consumes."""
    signal = transport.__dict__.get("_haven_arrivals")
    if signal is None:
        signal = transport.__dict__.setdefault("_haven_arrivals", Signal())
    return cast(Signal, signal)


class _MemoryBroker:
    """What one virtual host of the in-memory broker holds: its queues, and its exchanges
    and bindings (kombu's BrokerState)."""

    def __init__(self) -> None:
        from kombu.transport.virtual import BrokerState

        self.queues: dict[str, Queue] = {}
        self.state = BrokerState()
        self._listeners: dict[str, set[Signal]] = {}  # queue -> its consumers' wake-ups
        self._lock = threading.Lock()

    def listen(self, queue: str, signal: Signal) -> None:
        with self._lock:
            self._listeners.setdefault(queue, set()).add(signal)

    def unlisten(self, queue: str, signal: Signal) -> None:
        with self._lock:
            self._listeners.get(queue, set()).discard(signal)

    def announce(self, queue: str | None) -> None:
        """Wake the consumers of `queue` (None: a fanout, every consumer)."""
        with self._lock:
            woken = set(self._listeners.get(queue, ())) if queue is not None else \
                {signal for signals in self._listeners.values() for signal in signals}
        for signal in woken:
            signal.fire()


_BROKERS: dict[str, _MemoryBroker] = {}
_BROKERS_LOCK = threading.Lock()


def _memory_broker(virtual_host: str | None) -> _MemoryBroker:
    with _BROKERS_LOCK:
        return _BROKERS.setdefault(virtual_host or "/", _MemoryBroker())


def _broker_per_virtual_host(memory: Any) -> None:
    """kombu's in-memory broker is one per process, whatever the URI says. Two platforms
    in one process (the tests make several, and keep them running) would then consume
    each other's messages: one's casework took the other's referrals, could not open
    them, and the other's notifications never saw their events. As RabbitMQ does, a
    virtual host here is a broker of its own: `memory:///NAME`."""
    channel_init = memory.Channel.__init__

    def channel_init_on_its_broker(self: Any, connection: Any, **kwargs: Any) -> None:
        self._haven_broker = _memory_broker(connection.client.virtual_host)
        channel_init(self, connection, **kwargs)

    memory.Channel.__init__ = channel_init_on_its_broker
    # Channel.close() sets `self.queues = {}`; the broker's queues outlive a channel.
    memory.Channel.queues = property(lambda self: self._haven_broker.queues,
                                     lambda self, value: None)
    transport_init = memory.Transport.__init__

    def transport_init_on_its_broker(self: Any, client: Any, **kwargs: Any) -> None:
        transport_init(self, client, **kwargs)
        self.state = _memory_broker(client.virtual_host).state

    memory.Transport.__init__ = transport_init_on_its_broker


def empty_memory_broker(virtual_host: str) -> None:
    """Drop every message queued on this virtual host of the in-memory broker, as a
    broker in a new process would start. Exchanges and bindings stay: kombu's pooled
    connections remember what they declared and would not declare it again."""
    for queue in list(_memory_broker(virtual_host).queues.values()):
        while True:
            try:
                queue.get(block=False)
            except Empty:
                break


def memory_virtual_host(data_dir: str) -> str:
    """The in-memory broker of a data dir: a platform's own, apart from any other in the
    process."""
    return "haven-" + hashlib.sha256(os.path.abspath(data_dir).encode()).hexdigest()[:16]


def embedded_environment(data_dir: str, port: int) -> None:
    os.environ.update(HAVEN_STORE="sqlite", HAVEN_DATA_DIR=data_dir,
                      HAVEN_AMQP_URI=f"memory:///{memory_virtual_host(data_dir)}",
                      HAVEN_HTTP_PORT=str(port))


class Platform:
    """All services + relays in this process; start() returns once the gateway serves."""

    def __init__(self, data_dir: str, port: int, host: str = "127.0.0.1"):
        embedded_environment(data_dir, port)
        adapt_memory_transport()
        empty_memory_broker(memory_virtual_host(data_dir))
        from nameko.runners import ServiceRunner

        from shared.config import settings
        from shared.manifest import manifest
        from shared.runner import nameko_config

        self.cfg = settings()
        self.services = manifest().stores
        self.runner = ServiceRunner(nameko_config(self.cfg, WEB_SERVER_ADDRESS=f"{host}:{port}"))
        for entry in manifest():
            self.runner.add_service(entry.service_class)
        self.stop_event = threading.Event()  # green once the process is prepared
        self.relay_threads: list[Any] = []
        self.relays: list[Any] = []

    def start(self) -> None:
        from shared.bootstrap import build_relay

        self.runner.start()
        for name in self.services:
            relay = build_relay(name, self.cfg)
            self.relays.append(relay)
            self.relay_threads.append(eventlet.spawn(relay.run_forever, EMBEDDED_IDLE_INTERVAL,
                                                     self.stop_event))

    def stop(self) -> None:
        self.stop_event.set()
        wake_everyone()  # the relays look at their stop flag now, not after an idle wait
        for thread in self.relay_threads:
            thread.wait()
        for relay in self.relays:
            relay.close()
        self.runner.stop()


def load_demo_if_first_start(cfg: Any, services: tuple[str, ...]) -> None:
    marker = Path(cfg.data_dir) / DEMO_MARKER
    if marker.exists():
        return
    import importlib

    for name in services:
        try:
            demo = importlib.import_module(f"services.{name}.demo")
        except ModuleNotFoundError:
            continue
        count = demo.load_demo(cfg, between=lambda: eventlet.sleep(0))
        print(f"  demo data: {count} {name} records loaded", flush=True)
    marker.write_text("demo data loaded\n")


def refuse_production() -> None:
    """`haven dev` is development by definition (HAVEN_ENV, when unset, says so): with
    HAVEN_ENV=production, or anything but development, it refuses before anything starts,
    so production settings never meet the public development keys or printed tokens."""
    from shared.secret_checks import SettingsRefused

    environment = os.environ.setdefault("HAVEN_ENV", "development")
    if environment != "development":
        raise SettingsRefused(f"haven dev runs only with HAVEN_ENV=development (it is"
                              f" {environment!r}): run production processes with `haven run`"
                              " and `haven relay`")


def token_banner(cfg: Any) -> list[str]:
    """A token per role, signed with the public development key, or none at all: a token
    signed with any other key is a real credential, and `haven token issue` makes those."""
    if not cfg.development_tokens:
        return ["Tokens: none printed, HAVEN_TOKEN_SIGNING_KEY is not the development key;"
                " issue them with `haven token issue --user U --roles R`."]
    from shared.auth import MAX_TTL, issue_token

    lines = [f"Tokens (development key, valid {MAX_TTL // 3600} h):"]
    lines += [f"  {role:18} {issue_token(f'demo-{role}', [role], MAX_TTL, cfg.token_signing_key)}"
              for role in ROLES]
    return lines


def run_embedded(data_dir: str, port: int, demo: bool) -> None:
    logging.basicConfig(level=os.environ.get("HAVEN_LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("kombu.connection").setLevel(logging.ERROR)  # memory:// has no hostname
    from shared.observability import quiet_client_errors

    quiet_client_errors()
    refuse_production()
    from services.notifications.sink import start_mail_sink
    from shared.manifest import manifest
    from shared.process import stop_signal

    # Ctrl-C from the first moment on is a graceful stop: taken while the platform starts,
    # it stops the platform once started. Python's default would end the process half-way,
    # leaving the mail sink (a process of its own) running behind it.
    stopping = stop_signal()
    # E-mail stays on this machine: a local SMTP sink, listed by `haven notifications mail`.
    smtp_port, stop_mail_sink = start_mail_sink(Path(data_dir))
    try:
        os.environ.update(HAVEN_SMTP_HOST="127.0.0.1", HAVEN_SMTP_PORT=str(smtp_port))
        platform = Platform(data_dir, port)
        platform.start()
        base = f"http://127.0.0.1:{port}"
        print(f"Haven is running (embedded; data in {Path(data_dir).resolve()})\n"
              f"  health:  {base}/health\n  API:     {base}/api/v1/docs\n"
              f"  OpenAPI: {base}/api/v1/openapi.json\n", flush=True)
        print("\n".join(token_banner(platform.cfg)))
        print(f'\nTry: curl -H "Authorization: Bearer <token>" {base}/api/v1/contacts\n'
              f"E-mail sent: haven notifications mail --data-dir {data_dir}\n"
              "Ctrl-C stops.", flush=True)
        if demo:
            eventlet.spawn(load_demo_if_first_start, platform.cfg, manifest().names)

        stopping.wait()
        print("stopping...", flush=True)
        platform.stop()
    finally:
        stop_mail_sink()
    print("stopped.", flush=True)
    sys.exit(0)
