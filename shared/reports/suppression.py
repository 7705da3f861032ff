"""Small-cell suppression for every table the centre publishes.

A count of one to `threshold - 1` people, calls or sessions in a cell can point at a
person (three women from one country in one month is a list of names to a trafficker who
knows them). Such cells are shown as SUPPRESSED. While the hidden cells together are a
small count (one hidden cell always is), the next smallest is hidden too, or the published
total would give them away; when nothing else can be hidden, the total goes. A total that
is itself a small count is hidden like a cell. Zero stays zero: it names nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SUPPRESSED = "*"


@dataclass(frozen=True)
class Table:
    """A published table: its cells (None where suppressed) and its total (None likewise)."""

    cells: dict[str, int | None]
    total: int | None

    @property
    def suppressed(self) -> list[str]:
        return [key for key, value in self.cells.items() if value is None]

    def shown(self, key: str) -> str:
        return shown(self.cells[key])


def shown(value: int | None) -> str:
    return SUPPRESSED if value is None else str(value)


def suppress(counts: Mapping[str, int], threshold: int) -> Table:
    """The table of `counts` as it may be published (cells in the order given)."""
    hidden = {key for key, n in counts.items() if 0 < n < threshold}
    whole = sum(counts.values())
    total: int | None = None if 0 < whole < threshold else whole
    # The hidden cells add up to the total less the cells shown: together they must not
    # be a small count either (one hidden cell always is; {50, 1, 1} with its total 52
    # shown would say both hidden cells are exactly 1). Hide the next smallest until they
    # are not, or, when nothing else can be hidden, the total.
    while 0 < sum(counts[key] for key in hidden) < threshold:
        others = sorted((n, key) for key, n in counts.items() if key not in hidden and n > 0)
        if not others:
            total = None  # the hidden cells are the total
            break
        hidden.add(others[0][1])
    return Table({key: None if key in hidden else n for key, n in counts.items()}, total)
