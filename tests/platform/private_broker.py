"""A RabbitMQ node of a test's own (the machine's rabbitmq-server, another node name, port
and data directory), which the test may stop and start again -- the machine's broker
serves the rest of the run and is never touched."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from shared.testing.plugin import eventually
from tests.gateway_fixtures import free_port


class PrivateBroker:
    def __init__(self, directory: Path):
        # Not under pytest's tmp_path: its parents are closed to the rabbitmq user.
        self.node = f"haven{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.directory = directory
        self.uri = f"amqp://guest:guest@127.0.0.1:{self.port}/"
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o777)  # the server runs as the rabbitmq user
        (directory / "enabled_plugins").write_text("[].\n")
        (directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = 127.0.0.1:{self.port}\n")
        self.env = {**os.environ, "RABBITMQ_NODENAME": self.node,
                    "RABBITMQ_NODE_PORT": str(self.port),
                    "RABBITMQ_DIST_PORT": str(free_port()),
                    "RABBITMQ_MNESIA_BASE": str(directory / "mnesia"),
                    "RABBITMQ_LOG_BASE": str(directory / "log"),
                    "RABBITMQ_PID_FILE": str(directory / "pid"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(directory / "enabled_plugins"),
                    "RABBITMQ_CONFIG_FILE": str(directory / "rabbitmq")}

    def ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["rabbitmqctl", "-q", *args], env=self.env, capture_output=True,
                              text=True, timeout=120, check=False)

    def start(self) -> None:
        subprocess.run(["rabbitmq-server", "-detached"], env=self.env, check=True,
                       capture_output=True, timeout=60)
        eventually(lambda: self.ctl("await_startup", "--timeout", "5").returncode == 0,
                   timeout=120)

    def stop_app(self) -> None:
        """The broker goes away: every connection dropped, its port closed."""
        stopped = self.ctl("stop_app")
        assert stopped.returncode == 0, stopped.stderr

    def start_app(self) -> None:
        started = self.ctl("start_app")
        assert started.returncode == 0, started.stderr

    def stop(self) -> None:
        self.ctl("stop")


@contextmanager
def private_broker() -> Iterator[PrivateBroker]:
    """A started node; the environment's RABBITMQ_NODENAME names it meanwhile, so that the
    harness's own rabbitmqctl calls (own_run's vhost and users) go to it."""
    directory = Path(tempfile.mkdtemp(prefix="haven-rabbitmq-"))  # /tmp: open to rabbitmq
    broker = PrivateBroker(directory)
    broker.start()
    previous = os.environ.get("RABBITMQ_NODENAME")
    os.environ["RABBITMQ_NODENAME"] = broker.node
    try:
        yield broker
    finally:
        if previous is None:
            os.environ.pop("RABBITMQ_NODENAME", None)
        else:
            os.environ["RABBITMQ_NODENAME"] = previous
        broker.stop()
        shutil.rmtree(directory, ignore_errors=True)
