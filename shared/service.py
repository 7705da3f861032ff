"""The service template: a nameko service declared as a list of what it exposes.

    class IntakeService(HavenService):
        name = "intake"
        policy = POLICY                                   # who may call what (policy.py)

        on_case_opened = consume(CASE_OPENED, Intake.link_contact_to_opened_case)
        log_contact = expose(Intake.log_contact, s.LogContactSchema, s.ContactRefSchema)

Every exposed RPC calls one application method, named here so that go-to-definition
reaches the rule: the shell (shared.shell) authenticates the caller, admits them by the
policy table, validates the input schema, calls `Intake.log_contact(app, ctx, **data)`
and dumps the answer through the output schema. Every consumer reads its message with
the producer's own contract, once per message however often it is delivered.

The application and its read models come from the composition root (shared.bootstrap),
built from the service's manifest entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from marshmallow import Schema
from nameko.rpc import rpc

from shared.bootstrap import build_service_parts
from shared.consumers import IdempotentConsumer, event_handler
from shared.contracts import Contract
from shared.manifest import manifest
from shared.observability import Metrics
from shared.policy import Policy
from shared.projections import ProjectionRunner
from shared.shell import ApplicationProvider, RefusalLog, entrypoint, schema_instance


class ServiceApplication(ApplicationProvider):
    """The service's application, built from its manifest entry, with its read models
    followed beside it (their queries are `app.views`)."""

    def __init__(self) -> None:
        super().__init__(None)
        self.runner: ProjectionRunner | None = None

    def setup(self) -> None:
        from shared.config import settings

        self.settings = settings()
        self.app, self.runner = build_service_parts(manifest()[self.container.service_name],
                                                    self.settings)
        self.refusals = RefusalLog.of(self.app)

    def start(self) -> None:
        # In start, not setup: every dependency is set up first.
        if self.runner is not None:
            self.runner.start()

    def _close(self) -> None:
        if self.runner is not None:
            self.runner.close()
            self.runner = None
        super()._close()


class HavenService:
    """Base of every service class: its application, metrics, and a policy row for each
    exposed RPC (checked when the class is defined, not when someone calls)."""

    name: ClassVar[str]
    policy: ClassVar[Policy]
    app = ServiceApplication()
    metrics = Metrics()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        exposed = {name for name in dir(cls) if hasattr(getattr(cls, name), "haven_entrypoint")}
        unruled = sorted(exposed - set(cls.policy.rows))
        stale = sorted(set(cls.policy.rows) - exposed)
        if unruled or stale:
            raise TypeError(f"{cls.__name__}: RPCs without a policy row {unruled},"
                            f" policy rows without an RPC {stale}")


def expose(method: Callable[..., Any], input: type[Schema] | None = None,  # noqa: A002
           output: type[Schema] | None = None, *, on: str = "app") -> Any:
    """An RPC that calls `method(self.<on>, ctx, **input)` and answers `output().dump(...)`."""

    def call(self: Any, ctx: Any, data: Any) -> Any:
        result = method(getattr(self, on), ctx, **(data or {}))
        return result if output is None else schema_instance(output).dump(result)

    call.__name__, call.__doc__ = method.__name__, method.__doc__
    call.__qualname__ = method.__qualname__
    return rpc(entrypoint(schema=input, command=method.__name__, output=output)(call))


def consume(contract: Contract, policy: Callable[..., Any]) -> Any:
    """An event handler for `contract`'s event that runs `policy(app, data, envelope,
    tracking)` once per message; a message that keeps failing is dead-lettered."""

    def handle(self: Any, body: Any) -> None:
        def run(envelope: Any, tracking: Any) -> Any:
            return policy(self.app, contract.read(envelope), envelope, tracking)

        IdempotentConsumer(self.app).handle(body, run)

    handle.__name__, handle.__doc__ = policy.__name__, policy.__doc__
    return event_handler(contract.source, contract.type)(handle)
