"""The services' live read models (the ones their desks and dashboards read), and the
report made by the real `haven` command."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from shared.bootstrap import attach_read_models, build_application
from shared.config import Settings
from shared.manifest import manifest


@contextmanager
def live_views(service: str, cfg: Settings) -> Iterator[Any]:
    """The service's read-model queries over its own read models, caught up with its log."""
    app = build_application(service, cfg)
    runner = attach_read_models(app, manifest()[service].read_model_set)
    assert runner is not None
    try:
        runner.catch_up()
        yield app.views
    finally:
        runner.close()
        app.close()


def haven_report(cfg: Settings, month: str, out: Path, as_of: datetime | None, lang: str = "en",
                 hash_seed: str = "0") -> subprocess.CompletedProcess[str]:
    """`haven report monthly` in a process of its own, on the demo's SQLite stores."""
    command = [str(Path(sys.executable).with_name("haven")), "report", "monthly",
               "--month", month, "--lang", lang, "--out", str(out),
               "--data-dir", str(cfg.data_dir)]
    if as_of is not None:
        command += ["--as-of", as_of.isoformat()]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False,
                          env={**os.environ, "PYTHONHASHSEED": hash_seed})
    assert done.returncode == 0, done.stderr
    return done
