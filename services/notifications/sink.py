"""The development mail sink: in embedded mode (`haven dev`) e-mail goes to a local SMTP
server -- aiosmtpd, in a process of its own -- that keeps every message in a Maildir under
the data directory, where `haven notifications mail` lists them. Nothing leaves the machine.
"""

from __future__ import annotations

import mailbox
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

MAILDIR = "mail"
START_SECONDS = 20.0  # aiosmtpd starts in well under a second; this only bounds a failure


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_mail_sink(data_dir: Path) -> tuple[int, Callable[[], None]]:
    """Start the sink on a free local port; returns (port, stop)."""
    port = _free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Mailbox", str(data_dir / MAILDIR)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError("the development mail sink did not start") from None
            time.sleep(0.05)

    def stop() -> None:
        process.terminate()
        process.wait(timeout=10)

    return port, stop


def sunk_messages(data_dir: Path) -> list[dict[str, Any]]:
    """Every message the sink kept, oldest first."""
    folder = data_dir / MAILDIR
    if not folder.exists():
        return []
    found = []
    for message in mailbox.Maildir(str(folder), create=False):
        payload = message.get_payload(decode=True)
        found.append({"date": parsedate_to_datetime(message["Date"]) if message["Date"]
                      else None, "to": message["To"], "subject": message["Subject"],
                      "body": payload.decode("utf-8", "replace") if isinstance(payload, bytes)
                      else str(message.get_payload())})
    return sorted(found, key=lambda m: (m["date"] is None, m["date"]))
