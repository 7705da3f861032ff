"""Small cells in a published table: hidden, and not to be worked out from what is shown."""

import pytest

from shared.reports.suppression import suppress

pytestmark = pytest.mark.no_servers


def test_small_cells_are_hidden_and_zero_is_not():
    table = suppress({"UA": 12, "VN": 3, "NG": 2, "BY": 0}, threshold=5)
    assert table.cells == {"UA": 12, "VN": None, "NG": None, "BY": 0}
    assert table.total == 17


def test_one_hidden_cell_takes_the_next_smallest_with_it_or_the_total_would_tell():
    table = suppress({"phone": 528, "chat": 34, "sms": 3}, threshold=5)
    assert table.cells == {"phone": 528, "chat": None, "sms": None}
    assert table.total == 565


def test_a_lone_small_cell_hides_the_total_and_so_does_a_small_total():
    assert suppress({"training": 2, "seminar": 0}, threshold=5).total is None
    assert suppress({"training": 1, "seminar": 1}, threshold=5).total is None
    assert suppress({"training": 3, "seminar": 3}, threshold=5).total == 6


def test_the_threshold_is_the_callers():
    assert suppress({"a": 3, "b": 3}, threshold=3).cells == {"a": 3, "b": 3}
    assert suppress({"a": 3, "b": 3}, threshold=4).cells == {"a": None, "b": None}


def test_hidden_cells_that_add_up_to_a_small_count_take_the_next_smallest_with_them():
    # Shown as {50, *, *} with its total 52, the two hidden cells could only be 1 and 1:
    # one new case from Africa and one from Asia that month, as good as named.
    table = suppress({"europe": 50, "africa": 1, "asia": 1}, threshold=5)
    shown = {k: v for k, v in table.cells.items() if v is not None}
    hidden = [k for k, v in table.cells.items() if v is None]
    assert table.total is None or table.total - sum(shown.values()) >= 5
    assert len(hidden) >= 2
    # Hidden cells that together are no small count stay as they were.
    assert suppress({"UA": 12, "VN": 3, "NG": 2}, threshold=5).cells == \
        {"UA": 12, "VN": None, "NG": None}
