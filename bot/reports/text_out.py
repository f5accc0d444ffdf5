"""CSV (one long table: bảng, hàng, cột, giá trị; UTF-8 with BOM so Excel reads Vietnamese) and
Markdown renderings of a report. Neither needs the `[report]` extra."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from bot.reports.labels import vn_date

if TYPE_CHECKING:
    from bot.reports.figures import Report


def notes(report: Report) -> list[str]:
    t = report.threshold
    return [
        "Số liệu là các con số đếm ẩn danh do trợ lý tự tổng hợp: không có tên, mã người dùng hay nội dung tin nhắn.",
        f"“<{t}”: số từ 1 đến {t - 1}, không ghi số cụ thể để không ai bị nhận ra.",
        f"“ẩn”: ô được ẩn thêm để không tính ngược được các ô “<{t}” từ dòng Cộng.",
        "Lượt người dùng: mỗi người được tính một lượt cho mỗi ngày có sử dụng (đếm bằng mã ngẫu nhiên chỉ dùng "
        "trong ngày, hết ngày bị hủy), nên không cộng được thành số người khác nhau trong cả kỳ.",
        "Mỗi báo cáo được bảo vệ riêng; nên lập báo cáo theo kỳ cố định (tháng, quý, 6 tháng), "
        "không lập nhiều báo cáo chồng lấn nhau về thời gian.",
    ]


def _pretty(text: str) -> str:
    return f"{int(text):,}".replace(",", ".") if text.isdigit() else text


def to_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["bang", "hang", "cot", "gia_tri"])
    for table in report.tables:
        header = table.header()
        for row in table.body():
            for column, value in zip(header[1:], row[1:]):
                writer.writerow([table.title, row[0], column, value])
    return buffer.getvalue().encode("utf-8-sig")


def to_markdown(report: Report) -> bytes:
    lines = [
        f"# Báo cáo thống kê ẩn danh – Trợ lý An Toàn Số, {report.ward}",
        "",
        f"{report.period}. Lập ngày {vn_date(report.made)}.",
        "",
        report.summary,
        "",
    ]
    for number, table in enumerate(report.tables, 1):
        lines += [f"## {number}. {table.title}", ""]
        header = table.header()
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" + "---:|" * (len(header) - 1))
        lines += ["| " + " | ".join([row[0], *map(_pretty, row[1:])]) + " |" for row in table.body()]
        if table.note:
            lines += ["", f"_{table.note}_"]
        lines.append("")
    lines += ["## Ghi chú về số liệu", ""] + [f"- {note}" for note in notes(report)]
    return ("\n".join(lines) + "\n").encode("utf-8")
