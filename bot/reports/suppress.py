"""Small-cell suppression for a table with published totals, robust to differencing.

Primary: any count from 1 to threshold-1 is shown as "<threshold". Secondary: more cells are hidden
("ẩn") until, from the published cells and totals and the known bounds (a "<10" cell is 1–9, any
hidden cell is ≥ 0), no hidden cell can be worked out exactly and no "<10" cell can be narrowed to
fewer than `PROTECTION + 1` values.

How the check works: with totals, each published line (a row with its total, a column with its
total) is a linear constraint. Writing interior cells and the grand total as +x and the row/column
totals as -x, every constrained line sums to zero, so any other table consistent with what was
published differs from the true one by a circulation over the hidden cells: a bipartite graph whose
nodes are the constrained lines (unconstrained lines are one free "ground" node) and whose edges are
the hidden cells. How far a hidden cell can move is a max-flow in that graph with each cell's room
to its bounds as capacity (the constraint matrix is a network matrix, so integer moves suffice).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

Cell = tuple[int, int]
GROUND = ("ground",)
PROTECTION = 2  # a "<10" cell must stay compatible with at least 3 values (fewer if the threshold is tiny)
UNBOUNDED = 10**12


@dataclass(frozen=True)
class Grid:
    """A table with its published totals: `values` is the interior; `row_totals` adds a last column
    of row sums, `column_totals` a last row of column sums (and the grand total if both)."""

    values: tuple[tuple[int, ...], ...]
    row_totals: bool
    column_totals: bool

    @property
    def shape(self) -> tuple[int, int]:
        rows = len(self.values)
        cols = len(self.values[0]) if rows else 0
        return rows, cols

    def extended(self) -> dict[Cell, int]:
        """Every published cell (interior and totals) by position; totals sit at index rows/cols."""
        m, n = self.shape
        cells = {(i, j): self.values[i][j] for i in range(m) for j in range(n)}
        if self.row_totals:
            for i in range(m):
                cells[(i, n)] = sum(self.values[i])
        if self.column_totals:
            for j in range(n):
                cells[(m, j)] = sum(self.values[i][j] for i in range(m))
        if self.row_totals and self.column_totals:
            cells[(m, n)] = sum(map(sum, self.values))
        return cells

    def is_total(self, cell: Cell) -> bool:
        m, n = self.shape
        return cell[0] == m or cell[1] == n

    def sign(self, cell: Cell) -> int:
        m, n = self.shape
        total_row, total_col = cell[0] == m, cell[1] == n
        return -1 if total_row != total_col else 1

    def row_node(self, i: int) -> tuple:
        m, _ = self.shape
        constrained = self.row_totals if i < m else (self.row_totals and self.column_totals)
        return ("row", i) if constrained else GROUND

    def col_node(self, j: int) -> tuple:
        _, n = self.shape
        constrained = self.column_totals if j < n else (self.row_totals and self.column_totals)
        return ("col", j) if constrained else GROUND


@dataclass
class Suppressed:
    """Which published cells are hidden: `primary` (shown "<threshold") and `secondary` ("ẩn")."""

    grid: Grid
    threshold: int
    primary: set[Cell]
    secondary: set[Cell]

    @property
    def hidden(self) -> set[Cell]:
        return self.primary | self.secondary

    def shown(self, cell: Cell) -> str:
        value = self.grid.extended()[cell]
        if cell in self.primary:
            return f"<{self.threshold}"
        if cell in self.secondary:
            return "ẩn"
        return str(value)


def bounds(value: int, primary: bool, threshold: int) -> tuple[int, int]:
    return (1, threshold - 1) if primary else (0, UNBOUNDED)


def movable(grid: Grid, hidden: dict[Cell, tuple[int, int]], values: dict[Cell, int], target: Cell, limit: int) -> int:
    """How many units (up to `limit`) the hidden cell `target` can move up and down, added: the
    width of the range an attacker is left with, from the published figures and the bounds."""
    return sum(_push(grid, hidden, dict(values), target, direction, limit) for direction in (1, -1))


def _push(
    grid: Grid, hidden: dict[Cell, tuple[int, int]], work: dict[Cell, int], target: Cell, direction: int, limit: int
) -> int:
    moved = 0
    while moved < limit:
        lo, hi = hidden[target]
        if not lo <= work[target] + direction * grid.sign(target) <= hi:
            break
        path = _path(grid, hidden, work, target, direction)
        if path is None:
            break
        work[target] += direction * grid.sign(target)
        for cell, step in path:
            work[cell] += step * grid.sign(cell)
        moved += 1
    return moved


def _path(grid: Grid, hidden: dict[Cell, tuple[int, int]], work: dict[Cell, int], target: Cell, direction: int):
    """Cells (with the ±1 each takes, in the +x/-x signed form) that rebalance a unit move of
    `target`, or None. A cell that can rise is an edge row→col, one that can fall is col→row."""
    edges: dict[tuple, list[tuple[tuple, Cell, int]]] = {}
    for cell, (lo, hi) in hidden.items():
        if cell == target:
            continue
        r, c = grid.row_node(cell[0]), grid.col_node(cell[1])
        y, s = work[cell], grid.sign(cell)
        if lo <= y + s <= hi:  # signed value +1
            edges.setdefault(r, []).append((c, cell, 1))
        if lo <= y - s <= hi:  # signed value -1
            edges.setdefault(c, []).append((r, cell, -1))
    r, c = grid.row_node(target[0]), grid.col_node(target[1])
    start, goal = (c, r) if direction == 1 else (r, c)
    if start == goal:
        return []
    previous: dict[tuple, tuple[tuple, Cell, int]] = {}
    queue = deque([start])
    seen = {start}
    while queue:
        node = queue.popleft()
        for nxt, cell, step in edges.get(node, []):
            if nxt in seen:
                continue
            seen.add(nxt)
            previous[nxt] = (node, cell, step)
            if nxt == goal:
                path = []
                while nxt != start:
                    node, cell, step = previous[nxt]
                    path.append((cell, step))
                    nxt = node
                return path
            queue.append(nxt)
    return None


def suppress(grid: Grid, threshold: int, forced: set[Cell] = frozenset()) -> Suppressed:  # type: ignore[assignment]
    """Hide small cells, then as few others as needed so that none of them can be worked out.
    `forced`: cells that must be hidden as well (a total hidden in another table of the report)."""
    cells = grid.extended()
    primary = {cell for cell, value in cells.items() if 0 < value < threshold}
    secondary = {cell for cell in forced if cell in cells and cell not in primary}
    need = max(1, min(PROTECTION, threshold - 2))
    while True:
        hidden = {cell: bounds(cells[cell], cell in primary, threshold) for cell in primary | secondary}
        unsafe = [
            (cell, need if cell in primary else 1)
            for cell in sorted(primary) + sorted(secondary)
            if movable(grid, hidden, cells, cell, need if cell in primary else 1) < (need if cell in primary else 1)
        ]
        if not unsafe:
            return Suppressed(grid, threshold, primary, secondary)
        target, wanted = unsafe[0]
        choice = _best_complement(grid, cells, primary, secondary, target, threshold, wanted)
        if choice is None:  # everything is hidden already: nothing more can be done
            return Suppressed(grid, threshold, primary, secondary)
        secondary |= choice


def _best_complement(
    grid: Grid,
    cells: dict[Cell, int],
    primary: set[Cell],
    secondary: set[Cell],
    target: Cell,
    threshold: int,
    need: int,
) -> set[Cell] | None:
    """The cheapest cells to hide for `target`: one cell that protects it on its own if any; else
    the rest of a rectangle through it (the smallest pattern that can never be solved); else one
    more cell in its row or column. Interior cells before totals (totals are shared with other
    tables), non-zero before zero (a zero cannot go lower), then the smallest."""
    hidden_now = primary | secondary
    free = [cell for cell in cells if cell not in hidden_now]
    if not free:
        return None

    def protects(extra: set[Cell]) -> bool:
        hidden = {c: bounds(cells[c], c in primary, threshold) for c in hidden_now | extra}
        return movable(grid, hidden, cells, target, need) >= need

    def cost(extra: set[Cell]) -> tuple:
        return (
            sum(grid.is_total(c) for c in extra),
            sum(cells[c] == 0 for c in extra),
            len(extra),
            sum(cells[c] for c in extra),
            sorted(extra),
        )

    def rank(cell: Cell) -> tuple:
        same_line = cell[0] == target[0] or cell[1] == target[1]
        return (not same_line, *cost({cell}))

    ordered = sorted(free, key=rank)
    for cell in ordered:
        if protects({cell}):
            return {cell}
    rows = {c[0] for c in cells}
    cols = {c[1] for c in cells}
    rectangles = []
    for k in rows - {target[0]}:
        for col in cols - {target[1]}:
            corners = {(target[0], col), (k, target[1]), (k, col)}
            if not corners <= cells.keys():
                continue
            extra = corners - hidden_now
            if extra:
                rectangles.append(extra)
    for extra in sorted(rectangles, key=cost):
        if protects(extra):
            return extra
    return {ordered[0]}
