"""Every test run uses its own PostgreSQL schemas and RabbitMQ vhost, and leaves nothing behind."""

from __future__ import annotations

import os

# Set before anything imports psycopg: eventlet cannot make psycopg's C wait loop cooperative.
os.environ.setdefault("PSYCOPG_WAIT_FUNC", "wait_select")

import eventlet  # noqa: E402

eventlet.monkey_patch()  # nameko's pytest plugin no longer does this itself

import pytest  # noqa: E402

from shared import testing  # noqa: E402
from shared.config import Settings  # noqa: E402

RUN_ID = testing.new_run_id()
_base = Settings.from_env()
os.environ["HAVEN_SCHEMA_PREFIX"] = f"{RUN_ID}_"
os.environ["HAVEN_STORE"] = "postgres"
os.environ["HAVEN_AMQP_URI"] = testing.create_vhost(_base.amqp_uri, f"haven-{RUN_ID}")


def pytest_sessionfinish(session, exitstatus):
    cfg = Settings.from_env()
    testing.drop_schemas(cfg, cfg.schema_prefix)
    testing.delete_vhost(_base.amqp_uri, f"haven-{RUN_ID}")


@pytest.fixture
def cfg() -> Settings:
    return Settings.from_env()


@pytest.fixture
def amqp_uri(cfg) -> str:
    return cfg.amqp_uri


@pytest.fixture
def rabbit_config(amqp_uri):
    """nameko's container config, pointed at this run's vhost."""
    return {"AMQP_URI": amqp_uri, "SERIALIZER": "json"}
