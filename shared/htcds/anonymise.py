"""k-anonymity by full-domain generalisation with record suppression (Samarati/Sweeney,
as ARX and the CTDC global dataset apply it): every quasi-identifier climbs a ladder of
coarser values, one level for the whole column, until every combination of published
quasi-identifier values is shared by at least k records; the records still in smaller
combinations are suppressed (left out), within a budget.

Of all ladder positions that meet k within the budget, the one losing least is taken:
the mean height climbed (each ladder's top counts 1) plus the share suppressed. Ties go
to fewer suppressions, then to the lowest levels in the order the ladders are declared,
so the same input always gives the same release.

Pure: standard library only. Rows are dicts; only the declared quasi-identifiers change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

ANY = "*"  # the top of every ladder: the value withheld
UNKNOWN = "Unknown"  # a value never recorded stays "Unknown" below the top


@dataclass(frozen=True)
class Ladder:
    """How one quasi-identifier is generalised: `steps[0]` is the finest form ever
    published, each next step coarser; the last step is always ANY."""

    field: str
    steps: tuple[tuple[str, Callable[[Any], str]], ...]  # (name of the level, value -> label)

    def __post_init__(self) -> None:
        if not self.steps or self.steps[-1][0] != ANY:
            raise ValueError(f"{self.field}: a ladder ends with {ANY!r}")

    @property
    def height(self) -> int:
        return len(self.steps) - 1

    def label(self, level: int, value: Any) -> str:
        name, generalise = self.steps[level]
        if name == ANY:
            return ANY
        return UNKNOWN if value is None or value == "" else generalise(value)


def top(_: Any) -> str:
    return ANY


@dataclass(frozen=True)
class Release:
    """The anonymised rows and what was done to get them."""

    rows: list[dict[str, Any]]
    k: int
    levels: dict[str, str]  # field -> the name of the level published
    suppressed: int  # records left out
    considered: int  # records offered
    classes: int  # distinct combinations of quasi-identifiers published
    smallest_class: int  # 0 when nothing is published
    suppressed_by: dict[str, int] = field(default_factory=dict)  # why: "class below k"

    def report(self) -> dict[str, Any]:
        return {"k": self.k, "records_considered": self.considered,
                "records_published": len(self.rows), "records_suppressed": self.suppressed,
                "suppressed_because": self.suppressed_by,
                "quasi_identifiers": self.levels, "equivalence_classes": self.classes,
                "smallest_class": self.smallest_class}


def anonymise(rows: Sequence[dict[str, Any]], ladders: Sequence[Ladder], k: int,
              max_suppressed: float = 0.05) -> Release:
    """The least-loss full-domain generalisation of `rows` that is k-anonymous after
    suppressing at most `max_suppressed` of them. The all-withheld top always qualifies
    (it suppresses everything only when fewer than k rows are offered)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if not 0 <= max_suppressed <= 1:
        raise ValueError("max_suppressed is a share, from 0 to 1")
    # Every value at every level, computed once: the search then only counts tuples.
    labels = [[[ladder.label(level, row.get(ladder.field)) for row in rows]
               for level in range(ladder.height + 1)] for ladder in ladders]
    budget = int(max_suppressed * len(rows))
    best: tuple[tuple[float, int, tuple[int, ...]], tuple[int, ...], Counter[tuple[str, ...]]] \
        | None = None
    for node in product(*(range(ladder.height + 1) for ladder in ladders)):
        combos = Counter(zip(*(labels[i][level] for i, level in enumerate(node)), strict=True))
        small = sum(n for n in combos.values() if n < k)
        at_top = all(level == ladder.height for level, ladder in zip(node, ladders, strict=True))
        if small > budget and not at_top:
            continue
        climbed = sum(level / ladder.height for level, ladder in zip(node, ladders, strict=True))
        loss = climbed / max(len(ladders), 1) + (small / len(rows) if rows else 0)
        rank = (round(loss, 9), small, node)
        if best is None or rank < best[0]:
            best = (rank, node, combos)
    assert best is not None  # the top node always qualifies
    _, node, combos = best
    return _release(rows, ladders, labels, node, combos, k)


def _release(rows: Sequence[dict[str, Any]], ladders: Sequence[Ladder],
             labels: list[list[list[str]]], node: tuple[int, ...],
             combos: Counter[tuple[str, ...]], k: int) -> Release:
    published = []
    for index, row in enumerate(rows):
        key = tuple(labels[i][level][index] for i, level in enumerate(node))
        if combos[key] < k:
            continue
        published.append({**row, **{ladder.field: key[i] for i, ladder in enumerate(ladders)}})
    kept = [n for n in combos.values() if n >= k]
    suppressed = len(rows) - len(published)
    return Release(rows=published, k=k,
                   levels={ladder.field: ladder.steps[level][0]
                           for ladder, level in zip(ladders, node, strict=True)},
                   suppressed=suppressed, considered=len(rows), classes=len(kept),
                   smallest_class=min(kept, default=0),
                   suppressed_by={"class below k": suppressed} if suppressed else {})


def combinations(rows: Sequence[dict[str, Any]], fields: Sequence[str]) -> Counter[tuple[Any, ...]]:
    """How many rows share each combination of `fields`: what a release is checked by."""
    return Counter(tuple(row.get(f) for f in fields) for row in rows)
