"""A short Vietnamese paragraph that reads the report's published figures (never a hidden one)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.reports.labels import Labels, vn_date, vn_number

if TYPE_CHECKING:
    from bot.reports.figures import Report, Table


def _figure(overview: Table, key: str) -> int | None:
    """The published value of an overview figure; None if hidden, 0 if not listed."""
    for (row, _), shared in overview.shared.items():
        if shared == key:
            return overview.value(row, 0)
    return 0


def _say(value: int | None, threshold: int) -> str:
    return f"dưới {threshold}" if value is None else vn_number(value)


def _top(table: Table, column: int, how_many: int) -> list[tuple[str, int]]:
    """The rows with the largest published value in `column` (hidden and zero rows left out)."""
    m, _ = table.grid.shape
    ranked = [(table.rows[i], table.value(i, column)) for i in range(m)]
    shown = [(label, value) for label, value in ranked if value]
    return sorted(shown, key=lambda item: -item[1])[:how_many]  # type: ignore[arg-type,operator]


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " và " + items[-1]


def summary(report: Report, labels: Labels) -> str:
    t = report.threshold
    overview = report.table("overview")
    users = _figure(overview, "users")
    period = f"Từ ngày {vn_date(report.first)} đến ngày {vn_date(report.last)}"
    if users == 0:
        return f"{period}, Trợ lý An Toàn Số của {report.ward} chưa ghi nhận lượt sử dụng nào."
    parts = [
        f"{period}, Trợ lý An Toàn Số của {report.ward} đã có {_say(users, t)} lượt người dùng "
        f"(mỗi người tính một lượt cho mỗi ngày có sử dụng), trả lời {_say(_figure(overview, 'faq_answered'), t)} "
        f"câu hỏi của người dân, giới thiệu {_say(_figure(overview, 'tip_read'), t)} lượt mẹo an toàn trên mạng "
        f"và ghi nhận {_say(_figure(overview, 'quiz_finished'), t)} bài trắc nghiệm kỹ năng số được hoàn thành"
    ]
    quizzes = report.table("quizzes")
    m, n = quizzes.grid.shape
    best, done = (quizzes.value(m, n - 1), quizzes.value(m, n)) if m and n else (None, 0)  # no quiz known
    if best is not None and done:
        parts[0] += f", trong đó {round(100 * best / done)}% số bài đạt từ 80% số câu đúng trở lên"
    parts[0] += "."
    topics = _top(report.table("by_topic"), report.table("by_topic").grid.shape[1], 3)
    if topics:
        parts.append(f"Các chủ đề được quan tâm nhiều nhất là {_join([label for label, _ in topics])}.")
    months = _top(report.table("by_month"), 0, 1)
    if months and len(report.table("by_month").rows) > 1:
        label, value = months[0]
        parts.append(f"{label} có nhiều lượt người dùng nhất ({vn_number(value)} lượt).")
    guides = report.table("guides")
    opened = _figure(overview, "report_guide_opened")
    if opened:
        top = _top(guides, 0, 1)
        most = f", nhiều nhất là “{top[0][0]}”" if top else ""
        parts.append(f"Hướng dẫn báo cáo khi có chuyện đã được mở {_say(opened, t)} lần{most}.")
    crisis = _figure(overview, "crisis_shown")
    if crisis != 0:
        parts.append(
            f"Thẻ khẩn cấp (gọi 111, 113) đã hiện {_say(crisis, t)} lần, kịp thời hướng người dùng tới "
            "Tổng đài quốc gia bảo vệ trẻ em và cơ quan công an."
        )
    fallback = _figure(overview, "fallback")
    if fallback != 0:
        parts.append(
            f"Có {_say(fallback, t)} câu hỏi trợ lý chưa trả lời được; phường sẽ dùng để bổ sung nội dung hỏi đáp."
        )
    return " ".join(parts)
