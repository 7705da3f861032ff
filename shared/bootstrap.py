"""The composition root: the one place that builds a service's parts from settings.

    app = build_application("intake", cfg)       # its event store, keys, publications
    runner = attach_read_models(app, entry)      # its projections; queries as app.views
    relay = build_relay("intake", cfg)           # its outbox relay and broker publisher

The nameko shell (shared.service), the relay process, embedded mode, the audit tools and
the tests all build through here, from the service's manifest entry: which concrete
store, broker and read-model store a part gets is decided nowhere else.
"""

from __future__ import annotations

from typing import Any

from shared.config import Settings, settings
from shared.eventstore import HavenApplication
from shared.manifest import Service, manifest
from shared.outbox import Relay
from shared.projections import ProjectionRunner, ReadModelSet


def build_application(name: str, cfg: Settings | None = None) -> Any:
    """The service's application on the store the settings name."""
    return manifest()[name].application_class(cfg or settings())


def attach_read_models(app: HavenApplication, read_models: ReadModelSet | None,
                       **runner_options: Any) -> ProjectionRunner | None:
    """Feed the application's read models from its log, and give it their queries as
    `app.views`. The caller starts (follows) or steps the runner, and closes it."""
    if read_models is None:
        return None
    runner = ProjectionRunner(app, read_models.projections(), **runner_options)
    app.views = read_models.views(runner.store, runner.settle)
    return runner


def build_service_parts(entry: Service, cfg: Settings) -> tuple[Any, ProjectionRunner | None]:
    app = entry.application_class(cfg)
    return app, attach_read_models(app, entry.read_model_set)


def build_relay(name: str, cfg: Settings | None = None, **options: Any) -> Relay:
    cfg = cfg or settings()
    app = build_application(name, cfg)
    return Relay(app, cfg.amqp_uri, **options)
