"""From anonymous counts to the report's tables, with small cells suppressed consistently.

Every table is a cross-classification with published totals, protected on its own by
`suppress`. Tables share only their totals (period figures such as "questions answered"), never
an inner cell, and no table is a breakdown of another's inner cell: that keeps one table from
being used to difference another. A shared total hidden in one table is hidden in all of them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.reports.labels import (
    AGE_LABELS,
    ALWAYS,
    CRISIS_LABELS,
    INDICATORS,
    NOT_INTERACTIONS,
    ROLE_LABELS,
    SCORE_BANDS,
    UNKNOWN,
    Labels,
    month_label,
    vn_date,
)
from bot.reports.suppress import Cell, Grid, Suppressed, suppress
from bot.stats.recorder import Statistics

TOTAL = "Cộng"


@dataclass
class Table:
    key: str
    title: str
    row_header: str
    rows: list[str]
    columns: list[str]
    grid: Grid
    shared: dict[Cell, str] = field(default_factory=dict)  # published cell → figure key shared across tables
    note: str = ""
    result: Suppressed | None = None

    def header(self) -> list[str]:
        return [self.row_header, *self.columns] + ([TOTAL] if self.grid.row_totals else [])

    def body(self) -> list[list[str]]:
        """Rows as shown: labels and values after suppression, with the "Cộng" row if any."""
        assert self.result is not None
        m, n = self.grid.shape
        width = n + (1 if self.grid.row_totals else 0)
        labels = self.rows + ([TOTAL] if self.grid.column_totals else [])
        return [[label, *(self.result.shown((i, j)) for j in range(width))] for i, label in enumerate(labels)]

    def value(self, row: int, col: int) -> int | None:
        """The published number, or None if it is hidden."""
        assert self.result is not None
        return None if (row, col) in self.result.hidden else self.grid.extended()[(row, col)]


@dataclass
class Report:
    ward: str
    first: date
    last: date
    made: date
    threshold: int
    tables: list[Table]
    summary: str = ""

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    @property
    def period(self) -> str:
        return f"Từ ngày {vn_date(self.first)} đến ngày {vn_date(self.last)}"


def months(first: date, last: date) -> list[tuple[int, int]]:
    out, (year, month) = [], (first.year, first.month)
    while (year, month) <= (last.year, last.month):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def weeks(first: date, last: date) -> list[tuple[date, date]]:
    """Monday-to-Sunday weeks, clipped to the period."""
    start = first - timedelta(days=first.weekday())
    out = []
    while start <= last:
        end = start + timedelta(days=6)
        out.append((max(start, first), min(end, last)))
        start += timedelta(days=7)
    return out


def build(
    stats: Statistics, first: date, last: date, *, ward: str, threshold: int, labels: Labels, made: date
) -> Report:
    counts = stats.counts(first.isoformat(), last.isoformat())
    users = stats.daily_users(first.isoformat(), last.isoformat())
    tables = [
        _overview(counts, users),
        _by_month(counts, users, first, last),
        _by_topic(counts, labels),
        _by_profile(users),
        _by_group(counts, users, labels),
        _quizzes(counts, labels),
        _guides(counts, labels),
        _crisis(counts),
        _by_week(counts, first, last),
    ]
    _suppress_all(tables, threshold)
    report = Report(ward, first, last, made, threshold, tables)
    from bot.reports.summary import summary

    report.summary = summary(report, labels)
    return report


def _suppress_all(tables: list[Table], threshold: int) -> None:
    forced: set[str] = set()
    for _ in range(10):
        for table in tables:
            cells = {cell for cell, key in table.shared.items() if key in forced}
            table.result = suppress(table.grid, threshold, cells)
        hidden = {key for t in tables for cell, key in t.shared.items() if cell in t.result.secondary}  # type: ignore[union-attr]
        if hidden <= forced:
            return
        forced |= hidden


def _grid(rows: list[list[int]], row_totals: bool, column_totals: bool) -> Grid:
    return Grid(tuple(tuple(r) for r in rows), row_totals, column_totals)


def _kind_totals(counts: list[dict]) -> Counter[str]:
    totals: Counter[str] = Counter()
    for row in counts:
        totals[row["kind"]] += row["count"]
        if row["kind"] not in NOT_INTERACTIONS:
            totals["interactions"] += row["count"]
    return totals


def _overview(counts: list[dict], users: list[dict]) -> Table:
    totals = _kind_totals(counts)
    totals["users"] = sum(r["users"] for r in users)
    chosen = [(key, label) for key, label in INDICATORS if key in ALWAYS or totals[key]]
    grid = _grid([[totals[key]] for key, _ in chosen], False, False)
    return Table(
        "overview",
        "Các chỉ số chính",
        "Chỉ số",
        [label for _, label in chosen],
        ["Số lượng"],
        grid,
        shared={(i, 0): key for i, (key, _) in enumerate(chosen)},
    )


MONTH_COLUMNS = (
    ("users", "Lượt người dùng"),
    ("faq_answered", "Câu hỏi được trả lời"),
    ("tip_read", "Lượt xem mẹo"),
    ("quiz_finished", "Trắc nghiệm hoàn thành"),
    ("report_guide_opened", "Mở hướng dẫn báo cáo"),
    ("crisis_shown", "Thẻ khẩn cấp"),
)


def _by_month(counts: list[dict], users: list[dict], first: date, last: date) -> Table:
    span = months(first, last)
    index = {ym: i for i, ym in enumerate(span)}
    values = [[0] * len(MONTH_COLUMNS) for _ in span]
    column = {key: j for j, (key, _) in enumerate(MONTH_COLUMNS)}
    for row in counts:
        if row["kind"] in column:
            values[index[_ym(row["day"])]][column[row["kind"]]] += row["count"]
    for row in users:
        values[index[_ym(row["day"])]][column["users"]] += row["users"]
    return Table(
        "by_month",
        "Kết quả theo tháng",
        "Tháng",
        [month_label(y, m) for y, m in span],
        [label for _, label in MONTH_COLUMNS],
        _grid(values, False, True),
        shared={(len(span), j): key for j, (key, _) in enumerate(MONTH_COLUMNS)},
    )


def _ym(day: str) -> tuple[int, int]:
    return int(day[:4]), int(day[5:7])


def _by_topic(counts: list[dict], labels: Labels) -> Table:
    topics = list(labels.topics)
    kinds = ("faq_answered", "tip_read")
    values = [[0, 0] for _ in topics]
    for row in counts:
        if row["kind"] in kinds and row["topic"] in labels.topics:
            values[topics.index(row["topic"])][kinds.index(row["kind"])] += row["count"]
    return Table(
        "by_topic",
        "Mức độ quan tâm theo chủ đề",
        "Chủ đề",
        [labels.topics[t] for t in topics],
        ["Câu hỏi được trả lời", "Lượt xem mẹo"],
        _grid(values, True, True),
        shared={(len(topics), 0): "faq_answered", (len(topics), 1): "tip_read"},
    )


def _codes(known: dict[str, str], seen: set[str]) -> list[str]:
    """Known codes in their order, then any others seen, then "" (not given) last."""
    extra = sorted(code for code in seen if code and code not in known)
    return [*known, *extra, ""]


def _by_profile(users: list[dict]) -> Table:
    roles = _codes(ROLE_LABELS, {r["role"] for r in users})
    bands = _codes(AGE_LABELS, {r["age_band"] for r in users})
    values = [[0] * len(bands) for _ in roles]
    for row in users:
        values[roles.index(row["role"])][bands.index(row["age_band"])] += row["users"]
    return Table(
        "by_profile",
        "Lượt người dùng theo đối tượng và độ tuổi của trẻ",
        "Đối tượng",
        [ROLE_LABELS.get(r, r) if r else UNKNOWN for r in roles],
        [AGE_LABELS.get(b, b) if b else "Không chọn độ tuổi" for b in bands],
        _grid(values, True, True),
        shared={(len(roles), len(bands)): "users"},
        note="Độ tuổi là độ tuổi của trẻ (với phụ huynh) hoặc của học sinh.",
    )


def _by_group(counts: list[dict], users: list[dict], labels: Labels) -> Table:
    groups = _codes(labels.groups, {r["grp"] for r in users} | {r["grp"] for r in counts})
    values = [[0, 0] for _ in groups]
    for row in users:
        values[groups.index(row["grp"])][0] += row["users"]
    for row in counts:
        if row["kind"] not in NOT_INTERACTIONS:
            values[groups.index(row["grp"])][1] += row["count"]
    return Table(
        "by_group",
        "Theo tổ dân phố (người dùng tự chọn cho biết)",
        "Tổ dân phố",
        [labels.groups.get(g, g) if g else "Không cho biết" for g in groups],
        ["Lượt người dùng", "Lượt tương tác"],
        _grid(values, False, True),
        shared={(len(groups), 0): "users", (len(groups), 1): "interactions"},
    )


def _quizzes(counts: list[dict], labels: Labels) -> Table:
    finished = [r for r in counts if r["kind"] == "quiz_finished"]
    quizzes = list(labels.quizzes) + sorted({r["detail"].split(":")[0] for r in finished} - set(labels.quizzes))
    bands = list(SCORE_BANDS)
    values = [[0] * len(bands) for _ in quizzes]
    for row in finished:
        quiz, _, band = row["detail"].partition(":")
        band = max((b for b in bands if int(b) <= int(band or 0)), key=int, default="0") if band.isdigit() else "0"
        values[quizzes.index(quiz)][bands.index(band)] += row["count"]
    return Table(
        "quizzes",
        "Kết quả trắc nghiệm kỹ năng số",
        "Bộ câu hỏi",
        [labels.quizzes.get(q, q) for q in quizzes],
        [SCORE_BANDS[b] for b in bands],
        _grid(values, True, True),
        shared={(len(quizzes), len(bands)): "quiz_finished"},
        note="Cột Cộng là số bài hoàn thành của mỗi bộ câu hỏi.",
    )


def _single(
    key: str,
    title: str,
    header: str,
    codes: list[str],
    names: dict[str, str],
    totals: Counter[str],
    shared: str,
    column: str,
) -> Table:
    return Table(
        key,
        title,
        header,
        [names.get(c, c) for c in codes],
        [column],
        _grid([[totals[c]] for c in codes], False, True),
        shared={(len(codes), 0): shared},
    )


def _guides(counts: list[dict], labels: Labels) -> Table:
    totals: Counter[str] = Counter()
    for row in counts:
        if row["kind"] == "report_guide_opened":
            totals[row["detail"]] += row["count"]
    codes = list(labels.guides) + sorted(set(totals) - set(labels.guides))
    return _single(
        "guides",
        "Hướng dẫn báo cáo đã mở, theo loại việc",
        "Loại việc",
        codes,
        labels.guides,
        totals,
        "report_guide_opened",
        "Lượt mở",
    )


def _crisis(counts: list[dict]) -> Table:
    totals: Counter[str] = Counter()
    for row in counts:
        if row["kind"] == "crisis_shown":
            totals[row["detail"]] += row["count"]
    codes = list(CRISIS_LABELS) + sorted(set(totals) - set(CRISIS_LABELS))
    names = {**CRISIS_LABELS, "": "Khác"}
    return _single(
        "crisis",
        "Thẻ khẩn cấp đã hiện, theo dấu hiệu nguy hiểm",
        "Dấu hiệu",
        codes,
        names,
        totals,
        "crisis_shown",
        "Số lần",
    )


def _by_week(counts: list[dict], first: date, last: date) -> Table:
    span = weeks(first, last)
    per_day: defaultdict[str, int] = defaultdict(int)
    for row in counts:
        if row["kind"] not in NOT_INTERACTIONS:
            per_day[row["day"]] += row["count"]
    values = []
    for start, end in span:
        days = (start + timedelta(days=k) for k in range((end - start).days + 1))
        values.append([sum(per_day[d.isoformat()] for d in days)])
    return Table(
        "by_week",
        "Lượt tương tác theo tuần",
        "Tuần",
        [f"{s.day:02d}/{s.month:02d}–{e.day:02d}/{e.month:02d}" for s, e in span],
        ["Lượt tương tác"],
        _grid(values, False, True),
        shared={(len(span), 0): "interactions"},
    )
