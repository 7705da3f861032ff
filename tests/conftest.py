"""`make dev`'s demo, made once for the whole run: tests/gdpr, tests/notifications and
tests/reports read it. Session-scoped on purpose: pytest keeps a package-scoped fixture
imported into another package alive until the session ends, so each package used to
make its own and all three ran at once."""

import importlib

import eventlet
import pytest

import services.intake.demo as intake_demo
from shared.config import Settings
from shared.manifest import manifest
from tests.gateway_fixtures import free_port

# Set by embedded mode, or (the checkpoint directory) by the test plugin for the whole run:
# a platform's checkpoints belong in its own data dir, as `haven dev` keeps them.
EMBEDDED = ("HAVEN_STORE", "HAVEN_DATA_DIR", "HAVEN_AMQP_URI", "HAVEN_HTTP_PORT",
            "HAVEN_CHECKPOINT_DIR")


@pytest.fixture(scope="session")
def embedded_demo(tmp_path_factory) -> Settings:
    """The settings of a platform embedded in this process as `make dev` runs it (SQLite
    stores, the in-memory broker), every service's demo loaded -- intake's one month of
    it -- and still running, for the tests to read its stores."""
    from shared.embedded import Platform

    with pytest.MonkeyPatch.context() as patch:
        for name in EMBEDDED:  # embedded mode sets these; put back as they were afterwards
            patch.delenv(name, raising=False)
        patch.setattr(intake_demo, "MONTHS", 1)
        platform = Platform(str(tmp_path_factory.mktemp("demo")), free_port())
        platform.start()
        for name in (*manifest().stores, "notifications"):  # as `haven dev` loads them
            importlib.import_module(f"services.{name}.demo").load_demo(
                platform.cfg, between=lambda: eventlet.sleep(0))
    yield platform.cfg
    platform.stop()
