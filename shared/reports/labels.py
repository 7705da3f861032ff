"""The report's words in Polish and English, read from labels.toml beside this module:
one line per term, key = [pl, en].

Keys are `<vocabulary>.<code>` for the codes the services store (a table per vocabulary
there), and plain names for the report's own text (its [report] table). A code without a
line is shown as the code itself (the test of this module names any vocabulary that lacks
a translation).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

LANGUAGES = ("pl", "en")
TERMS_FILE = Path(__file__).with_name("labels.toml")


def _flat(table: dict[str, Any], prefix: str = "") -> dict[str, tuple[str, ...]]:
    """{"channel": {"phone": [pl, en]}} -> {"channel.phone": (pl, en)}."""
    terms: dict[str, tuple[str, ...]] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            terms.update(_flat(value, f"{prefix}{key}."))
        else:
            terms[prefix + key] = tuple(value)
    return terms


def _read(path: Path) -> dict[str, tuple[str, ...]]:
    tables = tomllib.loads(path.read_text(encoding="utf-8"))
    return {**_flat(tables.pop("report")), **_flat(tables)}


TERMS = _read(TERMS_FILE)


def term(lang: str, key: str, **values: object) -> str:
    """The report's text for `key` in `lang`, with `{placeholders}` filled in."""
    pair = TERMS.get(key)
    text = pair[LANGUAGES.index(lang)] if pair else key.rpartition(".")[2].replace("_", " ")
    return text.format(**values) if values else text


def month_name(lang: str, month: str) -> str:
    """"2026-03" -> "marzec 2026" / "March 2026"."""
    year, number = month.split("-")
    return f"{term(lang, f'month.{int(number)}')} {year}"
