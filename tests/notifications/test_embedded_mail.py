"""`haven dev` sends its e-mail to a local SMTP sink (aiosmtpd) under its data directory,
and `haven notifications mail` lists what was sent: nothing leaves the machine."""

from __future__ import annotations

import os
import signal
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
import requests
from click.testing import CliRunner

from services.notifications.cli import notifications_cli
from services.notifications.sink import sunk_messages
from shared.auth import issue_token
from shared.testing import haven_script
from tests.gateway_fixtures import eventually, free_port

SUMMARY = "Caller is locked in a basement in Pruszków with two others"


@pytest.fixture
def dev(tmp_path):
    """`haven dev --no-demo` on its own data directory and port."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HAVEN_")}
    haven = haven_script()
    with (tmp_path / "dev.log").open("w") as log:  # the child keeps its own copy
        process = subprocess.Popen([str(haven), "dev", "--no-demo", "--data-dir",
                                    str(tmp_path), "--port", str(port)], env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, (tmp_path / "dev.log").read_text()
        try:
            return requests.get(base + "/health", timeout=1).ok
        except requests.ConnectionError:
            return False

    try:
        eventually(healthy, timeout=120, interval=0.2)
        yield base, tmp_path
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def call(base: str, method: str, path: str, user: str, role: str, **kwargs):
    token = issue_token(user, [role])
    return requests.request(method, f"{base}/api/v1{path}", timeout=30,
                            headers={"Authorization": f"Bearer {token}"}, **kwargs)


@pytest.mark.slow
def test_dev_delivers_email_to_a_local_sink_that_haven_lists(dev):
    base, data_dir = dev
    now = datetime.now(UTC)
    put = call(base, "POST", "/on-call", "demo-supervisor", "supervisor", json={
        "user_id": "cw-30", "starts_at": now.isoformat(),
        "ends_at": (now + timedelta(hours=8)).isoformat()})
    assert put.status_code == 201, put.text
    logged = call(base, "POST", "/contacts", "demo-helpline_operator", "helpline_operator",
                  json={"channel": "phone", "language": "pl", "caller_type": "witness",
                        "topic": "emergency", "urgency": "emergency", "summary": SUMMARY})
    assert logged.status_code == 201, logged.text

    (mail,) = eventually(lambda: [m for m in sunk_messages(data_dir)
                                  if m["to"] == "cw-30@haven.example"], timeout=60)
    assert mail["subject"] == "[Haven] emergency contact"
    assert logged.json()["id"] in mail["body"] and SUMMARY not in mail["body"]
    listed = CliRunner().invoke(notifications_cli, ["mail", "--data-dir", str(data_dir)])
    assert listed.exit_code == 0, listed.output
    assert "to cw-30@haven.example  [Haven] emergency contact" in listed.output
