"""DOCX in the layout of a Vietnamese administrative report (Nghị định 30/2020/NĐ-CP): the issuing
body and the national motto side by side, number and date line, title, period, body, tables, the
weekly chart, notes, recipients and the signature block. Times New Roman, A4, 3/1.5/2/2 cm margins.
The ward fills in the number, the recipients and the signature before filing."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

from bot.reports.chart import weekly_png
from bot.reports.text_out import notes

if TYPE_CHECKING:
    from docx.table import _Cell

    from bot.reports.figures import Report, Table

FONT = "Times New Roman"
MOTTO_1 = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
TITLE = "BÁO CÁO"
SUBJECT = (
    "Kết quả sử dụng Trợ lý An Toàn Số trong thực hiện Chương trình bảo vệ và hỗ trợ trẻ em "
    "phát triển trên môi trường mạng"
)
ROMAN = ("I", "II", "III", "IV")


def place_name(ward: str) -> str:
    """'phường Trung Thành' → 'Trung Thành' (for the place-and-date line)."""
    return re.sub(r"^(phường|xã|thị trấn|đặc khu)\s+", "", ward.strip(), flags=re.IGNORECASE)


def to_docx(report: Report) -> bytes:
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(3), Cm(1.5)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(13)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    normal.paragraph_format.space_after = Pt(0)

    def para(container, text="", *, bold=False, italic=False, size=13, align="left", before=0, after=0, indent=0.0):
        paragraph = container.add_paragraph()
        paragraph.alignment = {
            "left": WD_ALIGN_PARAGRAPH.LEFT,
            "center": WD_ALIGN_PARAGRAPH.CENTER,
            "right": WD_ALIGN_PARAGRAPH.RIGHT,
            "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
        }[align]
        fmt = paragraph.paragraph_format
        fmt.space_before, fmt.space_after = Pt(before), Pt(after)
        if indent:
            fmt.first_line_indent = Cm(indent)
        if text:
            run = paragraph.add_run(text)
            run.bold, run.italic, run.font.size = bold, italic, Pt(size)
        return paragraph

    def rule(cell: _Cell, cell_width: float, width: float) -> None:
        """A short centred line under a heading, as drawn under the motto."""
        paragraph = cell.add_paragraph()
        side = Cm((cell_width - width) / 2)
        paragraph.paragraph_format.left_indent = paragraph.paragraph_format.right_indent = side
        paragraph.paragraph_format.space_after = Pt(4)
        borders = paragraph._p.get_or_add_pPr().makeelement(qn("w:pBdr"), {})
        bottom = borders.makeelement(
            qn("w:bottom"), {qn("w:val"): "single", qn("w:sz"): "6", qn("w:space"): "1", qn("w:color"): "000000"}
        )
        borders.append(bottom)
        paragraph._p.get_or_add_pPr().append(borders)
        paragraph.add_run().font.size = Pt(2)

    def first(cell: _Cell, text: str, **kw) -> None:
        cell.paragraphs[0]._p.getparent().remove(cell.paragraphs[0]._p)
        para(cell, text, **kw)

    # -- heading: issuing body | national motto ----------------------------------------------------
    left_w, right_w = 6.3, 10.2
    head = doc.add_table(rows=1, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    _widths(head, [left_w, right_w], Cm)
    left, right = head.rows[0].cells
    first(left, "ỦY BAN NHÂN DÂN", bold=True, size=13, align="center")
    para(left, report.ward.upper(), bold=True, size=13, align="center")
    rule(left, left_w, 2.2)
    para(left, "Số:        /BC-UBND", size=13, align="center", before=4)
    first(right, MOTTO_1, bold=True, size=12, align="center")
    para(right, MOTTO_2, bold=True, size=13, align="center")
    rule(right, right_w, 5.6)
    made = report.made
    para(
        right,
        f"{place_name(report.ward)}, ngày {made.day:02d} tháng {made.month:02d} năm {made.year}",
        italic=True,
        size=13,
        align="center",
        before=4,
    )

    # -- title ----------------------------------------------------------------------------------------
    para(doc, TITLE, bold=True, size=14, align="center", before=18)
    para(doc, SUBJECT, bold=True, size=14, align="center")
    para(doc, f"({report.period})", italic=True, size=13, align="center", after=12)

    section_no = iter(ROMAN)
    para(doc, f"{next(section_no)}. TÓM TẮT KẾT QUẢ", bold=True, before=6, after=6)
    para(doc, report.summary, align="justify", indent=1.0, after=6)

    para(doc, f"{next(section_no)}. SỐ LIỆU CỤ THỂ", bold=True, before=6, after=6)
    for number, table in enumerate(report.tables, 1):
        heading = para(doc, f"{number}. {table.title}", bold=True, size=13, before=8, after=4)
        heading.paragraph_format.keep_with_next = True
        if table.key == "by_week":  # a chart reads better than 26 rows; the numbers are in the XLSX/CSV
            doc.add_picture(io.BytesIO(weekly_png(table, report.threshold)), width=Cm(16))
            doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
            doc.paragraphs[-1].paragraph_format.keep_with_next = True
            total = table.body()[-1][1]
            caption = f"Biểu đồ: {table.title.lower().capitalize()} (cả kỳ: {_pretty(total)} lượt)"
            para(doc, caption, italic=True, size=11, align="center", after=6)
            continue
        _table(doc, table, Cm, Pt, WD_ALIGN_PARAGRAPH, qn)
        if table.note:
            para(doc, table.note, italic=True, size=11, before=2)

    para(doc, f"{next(section_no)}. GHI CHÚ VỀ SỐ LIỆU", bold=True, before=10, after=6)
    for note in notes(report):
        para(doc, f"- {note}", align="justify", indent=1.0, size=13)
    closing = f"Trên đây là báo cáo kết quả sử dụng Trợ lý An Toàn Số của {report.ward} trong kỳ báo cáo./."
    para(doc, closing, align="justify", indent=1.0, before=6)

    # -- recipients | signature ------------------------------------------------------------------------
    foot = doc.add_table(rows=1, cols=2)
    _widths(foot, [8.0, 8.5], Cm)
    recipients, signer = foot.rows[0].cells
    first(recipients, "Nơi nhận:", bold=True, italic=True, size=12, before=12)
    for line in ("- UBND tỉnh (b/c);", "- Lãnh đạo UBND phường;", "- Lưu: VT, VHXH."):
        para(recipients, line, size=11)
    first(signer, "TM. ỦY BAN NHÂN DÂN", bold=True, size=13, align="center", before=12)
    para(signer, "CHỦ TỊCH", bold=True, size=13, align="center")
    para(signer, "(Ký, ghi rõ họ tên, đóng dấu)", italic=True, size=12, align="center", after=60)

    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _pretty(text: str) -> str:
    """Thousands with a dot, as Vietnamese documents write them: 16784 → 16.784."""
    return f"{int(text):,}".replace(",", ".") if text.isdigit() else text


def _widths(table, widths_cm: list[float], Cm) -> None:  # noqa: N803 - the docx unit, passed in
    """Fixed column widths that Word and LibreOffice both honour (grid columns and every cell)."""
    table.autofit = False
    for column, width in zip(table.columns, widths_cm):
        column.width = Cm(width)
        for cell in column.cells:
            cell.width = Cm(width)


def _table(doc, table: Table, Cm, Pt, align, qn) -> None:  # noqa: N803 - the docx units, passed in
    header, body = table.header(), table.body()
    grid = doc.add_table(rows=1 + len(body), cols=len(header))
    grid.style = "Table Grid"
    first_width = 7.5 if len(header) <= 3 else (6.0 if len(header) <= 5 else 3.5)
    other = (16.5 - first_width) / max(1, len(header) - 1)
    if len(header) == 2:
        first_width, other = 12.5, 4.0
    _widths(grid, [first_width] + [other] * (len(header) - 1), Cm)
    for r, values in enumerate([header, *body]):
        total_row = table.grid.column_totals and r == len(body)
        for c, text in enumerate(values):
            cell = grid.cell(r, c)
            paragraph = cell.paragraphs[0]
            paragraph.alignment = align.LEFT if c == 0 else (align.CENTER if r == 0 else align.RIGHT)
            paragraph.paragraph_format.keep_with_next = r < len(body)  # a table is not split from its title
            run = paragraph.add_run(text if r == 0 or c == 0 else _pretty(text))
            run.font.size = Pt(11)
            run.bold = r == 0 or total_row
            if r == 0:
                shading = cell._tc.get_or_add_tcPr().makeelement(
                    qn("w:shd"), {qn("w:val"): "clear", qn("w:fill"): "E7EEF5"}
                )
                cell._tc.get_or_add_tcPr().append(shading)
