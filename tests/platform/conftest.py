"""Fixtures shared by the platform's relay tests."""

from __future__ import annotations

import uuid

import pytest

from tests.platform.msg_apps import source_app


@pytest.fixture
def source(cfg):
    """A fresh publishing app (own schema, own exchange) per test."""
    name = "msgsrc" + uuid.uuid4().hex[:8]
    app = source_app(name)(cfg)
    yield app
    app.close()
