"""The shelters with other services and as separate processes: schemas of each test's own,
and the shelters' application reading them from the test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from services.shelter.application import Shelters
from services.shelter.projections import READ_MODELS
from shared.bootstrap import attach_read_models
from shared.config import Settings
from shared.testing.plugin import own_run


@pytest.fixture
def own_schemas(monkeypatch) -> Iterator[Settings]:
    """Schemas and a vhost of this test's own: the processes share them with the test,
    nobody else."""
    with own_run(monkeypatch, f"s{uuid.uuid4().hex[:6]}") as cfg:
        yield cfg


@pytest.fixture
def shelters(own_schemas):
    """The shelters' store as the processes see it, with the read models caught up on read."""
    app = Shelters(own_schemas)
    runner = attach_read_models(app, READ_MODELS)
    assert runner is not None
    yield app
    runner.close()
    app.close()
