"""The weekly activity chart (PNG) for the DOCX report: matplotlib's object API (no pyplot, so no
global state when the bot makes a report in a worker thread) and DejaVu Sans, which ships with
matplotlib and has every Vietnamese glyph."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.reports.figures import Table

FONT = "DejaVu Sans"
BAR = "#1f6f8b"
HIDDEN = "#c9d6df"


def weekly_png(table: Table, threshold: int, dpi: int = 200) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    m, _ = table.grid.shape
    labels = [label.split("–")[0] for label in table.rows]
    values = [table.value(i, 0) for i in range(m)]
    figure = Figure(figsize=(6.3, 2.9), dpi=dpi)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    shown = [v if v is not None else 0 for v in values]
    top = max(shown + [threshold])
    axes.bar(range(m), shown, color=BAR, width=0.75)
    hidden = [i for i, v in enumerate(values) if v is None]
    if hidden:
        axes.bar(
            hidden,
            [threshold / 2] * len(hidden),
            color=HIDDEN,
            hatch="///",
            edgecolor="#8aa1b1",
            width=0.75,
            label=f"tuần có số nhỏ (<{threshold}) hoặc được ẩn",
        )
        axes.legend(prop={"family": FONT, "size": 7}, frameon=False, loc="upper left")
    axes.set_title("Lượt tương tác theo tuần", fontfamily=FONT, fontsize=10)
    axes.set_ylabel("Lượt", fontfamily=FONT, fontsize=8)
    step = max(1, m // 13)
    axes.set_xticks(range(0, m, step))
    axes.set_xticklabels(labels[::step], rotation=45, ha="right", fontfamily=FONT, fontsize=7)
    axes.tick_params(axis="y", labelsize=7)
    axes.set_ylim(0, top * 1.15)
    axes.spines[["top", "right"]].set_visible(False)
    axes.set_xlabel("Tuần bắt đầu từ ngày", fontfamily=FONT, fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
