"""A service that does not answer: the gateway says 503 with Retry-After within its
deadline, and the request it gave up on is never carried out afterwards (it expires on the
broker), so a caller who was told to retry does not find the first attempt done too."""

from __future__ import annotations

import uuid

import pytest
from nameko.runners import ServiceRunner

from shared.config import Settings
from shared.manifest import manifest
from shared.runner import nameko_config
from shared.testing.plugin import eventually, own_run
from tests.gateway_fixtures import Api, free_port
from tests.platform.msg_apps import queue_depth
from tests.test_gateway import CONTACT

DEADLINE = 2  # seconds


@pytest.fixture
def cfg(monkeypatch):
    with own_run(monkeypatch, f"dl{uuid.uuid4().hex[:6]}"):
        monkeypatch.setenv("HAVEN_RPC_DEADLINE", str(DEADLINE))
        yield Settings.from_env()


def _runner(cfg: Settings, service: str, **extra: str) -> ServiceRunner:
    runner = ServiceRunner(nameko_config(cfg, **extra))
    runner.add_service(manifest()[service].service_class)
    runner.start()
    return runner


def _contacts(api: Api) -> int:
    listed = api.call("GET", "/api/v1/contacts")
    assert listed.status_code == 200, listed.text
    return len(listed.json()["items"])


def test_a_request_nobody_answers_is_503_and_never_carried_out_later(cfg):
    port = free_port()
    gateway = _runner(cfg, "gateway", WEB_SERVER_ADDRESS=f"127.0.0.1:{port}")
    intake = _runner(cfg, "intake")
    api = Api(f"http://127.0.0.1:{port}")
    try:
        assert api.call("POST", "/api/v1/contacts", json=CONTACT).status_code == 201
        intake.stop()  # the helpline service is down; its request queue stays

        refused = api.call("POST", "/api/v1/contacts", json=CONTACT)

        assert refused.status_code == 503, refused.text
        assert refused.headers["Retry-After"] == "5"
        assert refused.json()["code"] == "UNAVAILABLE"
        intake = _runner(cfg, "intake")  # back: the abandoned request has expired unread
        eventually(lambda: queue_depth(cfg.amqp_uri, "rpc-intake") == 0)
        assert _contacts(api) == 1
    finally:
        intake.stop()
        gateway.stop()
