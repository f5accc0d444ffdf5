"""XLSX: an information sheet, then one sheet per table (numbers stay numbers)."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from bot.reports.labels import vn_date
from bot.reports.text_out import notes

if TYPE_CHECKING:
    from bot.reports.figures import Report


def _sheet_name(title: str, used: set[str]) -> str:
    base = re.sub(r"[\[\]:*?/\\]", " ", title)[:28].strip()
    name, n = base, 2
    while name in used:
        name, n = f"{base[:25]} {n}", n + 1
    used.add(name)
    return name


def to_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    book = Workbook()
    info = book.active
    info.title = "Thông tin"
    rows = [
        ("Báo cáo thống kê ẩn danh – Trợ lý An Toàn Số",),
        ("Đơn vị", report.ward),
        ("Kỳ báo cáo", report.period),
        ("Ngày lập", vn_date(report.made)),
        ("Tóm tắt", report.summary),
        (),
        ("Ghi chú",),
        *[("", note) for note in notes(report)],
    ]
    for row in rows:
        info.append(list(row))
    info["A1"].font = Font(bold=True, size=13)
    info.column_dimensions["A"].width = 14
    info.column_dimensions["B"].width = 100
    for cell in info["B"]:
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    header_fill = PatternFill("solid", fgColor="DCE6F1")
    used = {"Thông tin"}
    for number, table in enumerate(report.tables, 1):
        sheet = book.create_sheet(_sheet_name(f"{number}. {table.title}", used))
        sheet.append([f"{number}. {table.title}"])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(table.header())
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True, vertical="center")
        body = table.body()
        for row in body:
            sheet.append([row[0], *(int(v) if v.isdigit() else v for v in row[1:])])
        if table.grid.column_totals:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
        for cell_row in sheet.iter_rows(min_row=3, min_col=2):
            for cell in cell_row:
                cell.alignment = Alignment(horizontal="right")
        if table.note:
            sheet.append([])
            sheet.append([table.note])
        sheet.column_dimensions["A"].width = max(14, min(48, max(len(r[0]) for r in body) + 2))
        for j in range(2, len(table.header()) + 1):
            sheet.column_dimensions[get_column_letter(j)].width = 16
        sheet.freeze_panes = "B3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
