"""The report as the ward files it: DOCX in the administrative layout with its chart, XLSX with one
sheet per table, CSV and Markdown; from the command line, on a seeded database of synthetic events."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document as open_docx
from openpyxl import load_workbook

from bot.content.loader import Content
from bot.reports.chart import FONT
from bot.reports.figures import Report, build
from bot.reports.labels import Labels
from bot.reports.render import render
from bot.stats.synthetic import seed
from bot.storage.sqlite import SqliteStore
from tests.test_cli import run

FIRST, LAST = date(2026, 6, 1), date(2026, 11, 30)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    store = SqliteStore(folder / "antoanso.sqlite3")
    seed(store.stats, FIRST, LAST, people=150)
    store.close()
    return folder


@pytest.fixture(scope="module")
def report(seeded: Path, content: Content) -> Report:
    store = SqliteStore(seeded / "antoanso.sqlite3")
    made = build(
        store.stats,
        FIRST,
        LAST,
        ward="phường Trung Thành",
        threshold=10,
        labels=Labels.from_content(content),
        made=date(2026, 12, 2),
    )
    store.close()
    return made


def test_docx_follows_the_administrative_layout(report: Report) -> None:
    doc = open_docx(io.BytesIO(render(report, "docx")))
    head = doc.tables[0].rows[0].cells
    left, right = (cell.text for cell in head)
    assert "ỦY BAN NHÂN DÂN" in left and "PHƯỜNG TRUNG THÀNH" in left and "/BC-UBND" in left
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in right and "Độc lập - Tự do - Hạnh phúc" in right
    assert "Trung Thành, ngày 02 tháng 12 năm 2026" in right
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "BÁO CÁO" in text and "Từ ngày 01/06/2026 đến ngày 30/11/2026" in text
    assert report.summary in text and "lượt người dùng" in report.summary
    assert doc.sections[0].left_margin.cm == pytest.approx(3, abs=0.01)
    assert doc.sections[0].page_width.cm == pytest.approx(21, abs=0.01)
    assert len(doc.inline_shapes) == 1, "the weekly chart (its numbers are in the XLSX and CSV)"
    data_tables = doc.tables[1:-1]
    assert len(data_tables) == len(report.tables) - 1
    assert any("." in cell.text for row in data_tables[0].rows for cell in row.cells), "thousands written 1.234"
    by_month = data_tables[1]
    assert [c.text for c in by_month.rows[0].cells][:2] == ["Tháng", "Lượt người dùng"]
    assert [row.cells[0].text for row in by_month.rows[1:]] == [f"Tháng {m}/2026" for m in range(6, 12)] + ["Cộng"]
    assert "TM. ỦY BAN NHÂN DÂN" in doc.tables[-1].rows[0].cells[1].text


def test_ward_name_comes_from_the_settings(seeded: Path, content: Content) -> None:
    store = SqliteStore(seeded / "antoanso.sqlite3")
    other = build(store.stats, FIRST, LAST, ward="xã Tân Cương", threshold=10, labels=Labels(), made=date(2026, 12, 2))
    store.close()
    doc = open_docx(io.BytesIO(render(other, "docx")))
    assert "XÃ TÂN CƯƠNG" in doc.tables[0].rows[0].cells[0].text
    assert "Tân Cương, ngày" in doc.tables[0].rows[0].cells[1].text


def test_chart_font_has_every_vietnamese_glyph_it_draws(report: Report) -> None:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    path = font_manager.findfont(font_manager.FontProperties(family=FONT), fallback_to_default=False)
    charmap = FT2Font(path).get_charmap()
    table = report.table("by_week")
    drawn = "Lượt tương tác theo tuần" + "Tuần bắt đầu từ ngày" + "".join(table.rows) + "tuần có số nhỏ hoặc được ẩn"
    missing = {ch for ch in drawn if ord(ch) not in charmap and not ch.isspace()}
    assert not missing
    png = render(report, "docx")  # the chart renders inside it; check the PNG itself too
    from bot.reports.chart import weekly_png

    image = weekly_png(table, 10)
    assert image[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > len(image)


def test_xlsx_has_one_sheet_per_table_with_numbers(report: Report) -> None:
    book = load_workbook(io.BytesIO(render(report, "xlsx")))
    assert book.sheetnames[0] == "Thông tin" and len(book.sheetnames) == 1 + len(report.tables)
    sheet = book[book.sheetnames[2]]
    assert sheet["A2"].value == "Tháng" and sheet["A3"].value == "Tháng 6/2026"
    assert isinstance(sheet["B3"].value, int)
    values = [c.value for row in book[book.sheetnames[-2]].iter_rows(min_row=3, min_col=2) for c in row]
    assert any(v == "<10" for v in values), "small cells appear as <10 in the spreadsheet too"


def test_csv_and_markdown(report: Report) -> None:
    rows = list(csv.DictReader(io.StringIO(render(report, "csv").decode("utf-8-sig"))))
    assert set(rows[0]) == {"bang", "hang", "cot", "gia_tri"}
    assert {r["bang"] for r in rows} == {t.title for t in report.tables}
    markdown = render(report, "md").decode("utf-8")
    assert markdown.startswith("# Báo cáo thống kê ẩn danh") and "| Tháng 7/2026 |" in markdown


def test_report_command_writes_the_file(seeded: Path, tmp_path: Path) -> None:
    (tmp_path / "data").symlink_to(seeded)
    (tmp_path / "reports").mkdir()
    result = run(
        "report", "--from", "2026-06-01", "--to", "2026-11-30", "--format", "xlsx", "--out", "reports", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Đã ghi" in result.stdout and "Đang tổng hợp" in result.stderr
    target = tmp_path / "reports" / "bao-cao-thong-ke_2026-06-01_2026-11-30.xlsx"
    assert load_workbook(target).sheetnames[0] == "Thông tin"
    result = run(
        "report", "--from", "2026-06-01", "--to", "2026-06-30", "--format", "md", "--out", "thang6", cwd=tmp_path
    )
    assert "Tháng 6/2026" in (tmp_path / "thang6.md").read_text(encoding="utf-8")
    result = run("report", "--from", "2026-06-01", "--to", "2026-11-30", "--format", "docx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "bao-cao-thong-ke_2026-06-01_2026-11-30.docx").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-13-01"], "không hợp lệ"),
        (["--from", "2026-11-30", "--to", "2026-06-01"], "ở sau ngày kết thúc"),
    ],
)
def test_report_command_explains_bad_dates(tmp_path: Path, args: list[str], message: str) -> None:
    result = run("report", *args, cwd=tmp_path)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_report_command_without_a_database(tmp_path: Path) -> None:
    result = run("report", "--format", "md", cwd=tmp_path)
    assert result.returncode == 1 and "Chưa có dữ liệu" in result.stderr
