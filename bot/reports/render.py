"""One entry for every output format, and the clear message when the `[report]` extra is missing."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.reports.figures import Report

FORMATS = ("docx", "xlsx", "csv", "md")
NEEDS = {"docx": ("docx", "matplotlib"), "xlsx": ("openpyxl",)}
MISSING = (
    'Máy chủ chưa cài phần tạo báo cáo {fmt}. Cài thêm bằng lệnh: pip install -e ".[report]" '
    "(hoặc chọn dạng csv hay md, không cần cài thêm)."
)


class ExtraMissing(RuntimeError):
    """The `[report]` extra (python-docx, openpyxl, matplotlib) is not installed."""


def available(fmt: str) -> bool:
    return all(importlib.util.find_spec(module) is not None for module in NEEDS.get(fmt, ()))


def render(report: Report, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}")
    if not available(fmt):
        raise ExtraMissing(MISSING.format(fmt=fmt.upper()))
    renderer: Callable[[Report], bytes]
    if fmt == "docx":
        from bot.reports.docx_out import to_docx as renderer
    elif fmt == "xlsx":
        from bot.reports.xlsx_out import to_xlsx as renderer
    elif fmt == "csv":
        from bot.reports.text_out import to_csv as renderer
    else:
        from bot.reports.text_out import to_markdown as renderer
    return renderer(report)


def filename(report: Report, fmt: str) -> str:
    return f"bao-cao-thong-ke_{report.first.isoformat()}_{report.last.isoformat()}.{fmt}"
