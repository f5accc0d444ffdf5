"""An attacker for suppressed tables, written independently of bot/reports/suppress.py: it sees
only what a report shows (numbers, "<10", "ẩn", the totals) and enumerates every table of
non-negative integers that agrees with it. A hidden cell is exposed if few values remain for it."""

from __future__ import annotations

from fractions import Fraction

Shown = list[list[str]]  # the published grid, totals included, as text


def constraints(shown: Shown, row_totals: bool, column_totals: bool) -> list[list[tuple[int, int]]]:
    """Each published line as (cells that add up…, …to the last cell): rows, then columns."""
    rows, cols = len(shown), len(shown[0])
    m = rows - (1 if column_totals else 0)
    n = cols - (1 if row_totals else 0)
    lines = []
    if row_totals:
        for i in range(rows if column_totals else m):
            lines.append([(i, j) for j in range(n)] + [(i, n)])
    if column_totals:
        for j in range(cols if row_totals else n):
            lines.append([(i, j) for i in range(m)] + [(m, j)])
    return lines


def _bounds(text: str, cap: int) -> range:
    if text.startswith("<"):
        return range(1, min(int(text[1:]), cap + 1))
    return range(0, cap + 1)


def possible_values(shown: Shown, row_totals: bool, column_totals: bool) -> dict[tuple[int, int], set[int]]:
    """Every value each hidden cell takes in some table consistent with what is shown (exhaustive
    search; a line with one unknown left fixes it, which keeps the search small)."""
    lines = constraints(shown, row_totals, column_totals)
    hidden = [(i, j) for i, row in enumerate(shown) for j, text in enumerate(row) if not text.isdigit()]
    known = {(i, j): int(text) for i, row in enumerate(shown) for j, text in enumerate(row) if text.isdigit()}
    largest = max(known.values(), default=0) + 10
    cap = {}
    for cell in hidden:
        totals = [known[line[-1]] for line in lines if cell in line and line[-1] in known and line[-1] != cell]
        cap[cell] = min(totals, default=largest)
    found: dict[tuple[int, int], set[int]] = {cell: set() for cell in hidden}
    value = dict(known)

    def balance(line) -> int | None:
        """The one unknown of `line` if only one is left (signed: parts add up to the total)."""
        *parts, total = line
        missing = [c for c in line if c not in value]
        if len(missing) != 1:
            return None
        cell = missing[0]
        rest = sum(value[c] for c in parts if c != cell)
        return value[total] - rest if cell != total else rest

    lowest = {cell: (1 if shown[cell[0]][cell[1]].startswith("<") else 0) for cell in hidden}

    def ok() -> bool:
        for line in lines:
            *parts, total = line
            if all(c in value for c in line):
                if sum(value[c] for c in parts) != value[total]:
                    return False
            elif total in value:
                least = sum(value[c] if c in value else lowest[c] for c in parts)
                if least > value[total]:
                    return False
        return True

    def search() -> None:
        todo = [c for c in hidden if c not in value]
        if not todo:
            for cell in hidden:
                found[cell].add(value[cell])
            return
        for line in lines:
            forced = balance(line)
            if forced is not None:
                cell = next(c for c in line if c not in value)
                if forced in _bounds(shown[cell[0]][cell[1]], max(forced, 0)):
                    value[cell] = forced
                    if ok():
                        search()
                    del value[cell]
                return
        cell = todo[0]
        for v in _bounds(shown[cell[0]][cell[1]], cap[cell]):
            value[cell] = v
            if ok():
                search()
            del value[cell]

    search()
    return found


def determined_by_algebra(shown: Shown, row_totals: bool, column_totals: bool) -> set[tuple[int, int]]:
    """Hidden cells whose value follows from the totals by linear algebra alone (no bounds)."""
    lines = constraints(shown, row_totals, column_totals)
    hidden = [(i, j) for i, row in enumerate(shown) for j, text in enumerate(row) if not text.isdigit()]
    index = {cell: k for k, cell in enumerate(hidden)}
    rows = []
    for line in lines:
        *parts, total = line
        coeffs = [Fraction(0)] * len(hidden)
        for cell in parts:
            if cell in index:
                coeffs[index[cell]] += 1
        if total in index:
            coeffs[index[total]] -= 1
        rows.append(coeffs)
    # Row-reduce; a hidden cell is determined iff its unit vector lies in the row space.
    pivots: list[tuple[int, list[Fraction]]] = []
    for row in rows:
        row = row[:]
        for col, pivot in pivots:
            if row[col]:
                factor = row[col] / pivot[col]
                row = [a - factor * b for a, b in zip(row, pivot)]
        lead = next((k for k, a in enumerate(row) if a), None)
        if lead is not None:
            pivots.append((lead, row))
    determined = set()
    for cell, k in index.items():
        unit = [Fraction(int(c == k)) for c in range(len(hidden))]
        for col, pivot in pivots:  # insertion order: each pivot is zero at the earlier pivots' columns
            if unit[col]:
                factor = unit[col] / pivot[col]
                unit = [a - factor * b for a, b in zip(unit, pivot)]
        if not any(unit):
            determined.add(cell)
    return determined
