"""The image installs Haven with `pip install .` from a copy of the tree without .git: every
file the services read at run time (letter templates, notification rules, report labels)
must travel in the package, or the container fails where the checkout works."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _shipped_data_files() -> list[str]:
    """Files under shared/ and services/ that are not Python, tests or docs."""
    listed = subprocess.run(["git", "ls-files", "shared", "services"], cwd=ROOT, check=True,  # noqa: S607
                            capture_output=True, text=True).stdout.split()
    return [p for p in listed if not p.endswith((".py", ".md")) and "/tests/" not in p]


@pytest.mark.slow
def test_the_wheel_built_as_the_image_builds_it_holds_every_data_file(tmp_path):
    wanted = _shipped_data_files()
    assert "services/legal/templates/letter.html" in wanted  # the list is not empty by mistake
    source = tmp_path / "src"  # what the Dockerfile copies: no .git, so no VCS file list
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    for folder in ("shared", "services"):
        shutil.copytree(ROOT / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "tests"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                    "--quiet", "-w", str(tmp_path / "dist"), str(source)], check=True)
    (wheel,) = (tmp_path / "dist").glob("haven-*.whl")
    inside = set(zipfile.ZipFile(wheel).namelist())
    assert [p for p in wanted if p not in inside] == []
