"""A PostgreSQL server of a test's own (the machine's binaries, a new cluster in a temporary
directory, another port), which the test may crash and start again -- the machine's
server serves the rest of the run and is never touched."""

from __future__ import annotations

import glob
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.gateway_fixtures import free_port


def _binary(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    assert found, f"no PostgreSQL {name} on this machine"
    return found[-1]


class PrivatePostgres:
    def __init__(self, directory: Path):
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _as_postgres(self, *command: str, check: bool = True) -> None:
        # The server refuses to run as root; the machine's postgres user runs it.
        subprocess.run(["runuser", "-u", "postgres", "--", *command], check=check,
                       capture_output=True, text=True, timeout=120)

    def create(self) -> None:
        shutil.chown(self.directory, "postgres")
        self._as_postgres(_binary("initdb"), "-D", str(self.data), "-U", "postgres",
                          "--auth=trust", "--no-sync")

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1"
                   " -c max_connections=300")
        self._as_postgres(_binary("pg_ctl"), "-D", str(self.data), "-o", options,
                          "-l", str(self.directory / "log"), "-w", "-t", "120", "start")

    def crash(self, check: bool = True) -> None:
        """As a power cut would: every backend gone at once, no shutdown checkpoint; the
        next start recovers from the write-ahead log."""
        self._as_postgres(_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate",
                          "-w", "stop", check=check)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    directory = Path(tempfile.mkdtemp(prefix="haven-postgres-"))  # /tmp: open to postgres
    server = PrivatePostgres(directory)
    try:
        server.create()
        server.start()
        yield server
    finally:
        server.crash(check=False)  # at the end, whether it is running or not
        shutil.rmtree(directory, ignore_errors=True)
