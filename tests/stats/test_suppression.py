"""Small cells are hidden, and an attacker who differences rows and columns against their totals
(or enumerates every table consistent with the report) cannot work them out."""

from __future__ import annotations

import random
from datetime import date

import pytest

from bot.reports.figures import build
from bot.reports.labels import Labels
from bot.reports.suppress import Grid, suppress
from bot.stats.synthetic import seed
from bot.storage.sqlite import SqliteStore
from tests.stats.attack import constraints, determined_by_algebra, possible_values


def shown(grid: Grid, threshold: int = 10) -> list[list[str]]:
    result = suppress(grid, threshold)
    m, n = grid.shape
    rows = m + (1 if grid.column_totals else 0)
    cols = n + (1 if grid.row_totals else 0)
    return [[result.shown((i, j)) for j in range(cols)] for i in range(rows)]


def assert_protected(table: list[list[str]], row_totals: bool, column_totals: bool, truth: Grid) -> None:
    assert not determined_by_algebra(table, row_totals, column_totals)
    for (i, j), values in possible_values(table, row_totals, column_totals).items():
        assert truth.extended()[(i, j)] in values  # the attacker's model is right…
        if table[i][j].startswith("<"):
            assert len(values) >= 3, f"cell {(i, j)} narrowed to {sorted(values)} in {table}"  # …yet learns little
        else:
            assert len(values) >= 2, f"hidden cell {(i, j)} recovered as {values} in {table}"


def test_small_counts_are_shown_as_below_threshold_and_zeros_stay() -> None:
    table = shown(Grid(((3, 50, 0), (40, 60, 27)), True, True))
    assert table[0][0] == "<10"
    assert table[0][2] == "0"
    assert table[1][2] == "27"  # outside the rectangle of hidden cells
    assert table[2][3] == "180"  # the grand total is the true one


def test_a_single_small_cell_in_a_row_takes_a_complement_with_it() -> None:
    # Naive differencing: 73 - 50 - 20 = 3. The complement must make that impossible.
    table = shown(Grid(((3, 50, 20),), True, False))
    assert table[0] == ["<10", "50", "ẩn", "73"]
    hidden = [text for text in table[0][:-1] if not text.isdigit()]
    assert len(hidden) == 2


def test_differencing_rows_and_columns_recovers_nothing() -> None:
    truth = Grid(((3, 50, 20, 14), (40, 60, 7, 31), (30, 30, 30, 2), (12, 18, 25, 40)), True, True)
    table = shown(truth)
    for line in constraints(table, True, True):
        *parts, total = line
        hidden = [c for c in parts + [total] if not table[c[0]][c[1]].isdigit()]
        assert len(hidden) != 1, f"line {line} leaves one hidden cell: total minus the rest gives it away"
    assert_protected(table, True, True, truth)


def test_bounds_cannot_pin_a_cell_either() -> None:
    # With 9 and 1 on a diagonal, the four inner cells alone could be solved using "1 ≤ x ≤ 9".
    truth = Grid(((9, 50), (60, 1)), True, True)
    assert_protected(shown(truth), True, True, truth)


@pytest.mark.parametrize("seed_value", range(30))
def test_random_tables_resist_an_exhaustive_attacker(seed_value: int) -> None:
    rng = random.Random(seed_value)
    m, n = rng.randint(1, 3), rng.randint(2, 3)
    row_totals, column_totals = rng.choice([(True, True), (True, False), (False, True)])
    values = tuple(tuple(rng.choice([0, 0, *range(1, 10), *range(10, 31)]) for _ in range(n)) for _ in range(m))
    truth = Grid(values, row_totals, column_totals)
    assert_protected(shown(truth), row_totals, column_totals, truth)


def test_report_tables_are_protected_and_agree_on_shared_totals(tmp_path) -> None:
    store = SqliteStore(tmp_path / "antoanso.sqlite3")
    seed(store.stats, date(2026, 9, 1), date(2026, 9, 20), people=25, seed=3)  # a quiet start: many small cells
    report = build(
        store.stats,
        date(2026, 9, 1),
        date(2026, 9, 30),
        ward="phường Trung Thành",
        threshold=10,
        labels=Labels(),
        made=date(2026, 10, 1),
    )
    small = 0
    shared: dict[str, set[bool]] = {}
    for table in report.tables:
        body = [row[1:] for row in table.body()]
        small += sum(text.startswith("<") for row in body for text in row)
        hidden = sum(not text.isdigit() for row in body for text in row)
        if hidden <= 10:  # the exhaustive attacker wherever its search stays quick
            assert_protected(body, table.grid.row_totals, table.grid.column_totals, table.grid)
        else:
            assert not determined_by_algebra(body, table.grid.row_totals, table.grid.column_totals)
        for cell, key in table.shared.items():
            shared.setdefault(key, set()).add(cell in table.result.hidden)
    assert small >= 5, "the fixture should exercise suppression"
    assert all(len(states) == 1 for states in shared.values()), shared
    store.close()
