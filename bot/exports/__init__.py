"""`python -m bot export KIND`: the checked knowledge base carried to the ward's other channels
(LED boards, loudspeaker radio, web portal, posters), so the ward never retypes a tip. One module
per kind; each returns an `ExportResult` saying what it wrote where."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from bot.content.loader import Content
from bot.exports.common import ExportOptions, ExportResult

# kind → (module, function, what it makes, in the officer's words)
KINDS: dict[str, tuple[str, str, str]] = {
    "led": ("bot.exports.led", "export_led", "tấm chiếu cho bảng LED"),
    "radio": ("bot.exports.radio", "export_radio", "bản tin đài truyền thanh"),
    "site": ("bot.exports.site", "export_site", "trang web tĩnh cho cổng thông tin"),
    "poster": ("bot.exports.poster", "export_poster", "áp phích A4"),
}


def export(
    kind: str, content: Content, options: ExportOptions, progress: Callable[[int, int, str], None]
) -> ExportResult:
    module, function, _ = KINDS[kind]
    return getattr(import_module(module), function)(content, options, progress)


def summary(result: ExportResult, out_label: str) -> str:
    lines = [f"✅ Đã xuất {KINDS[result.kind][2]} vào {out_label}:"]
    lines += [f"  • {item.path} — {item.what}" for item in result.written]
    lines += [f"  ℹ️  {note}" for note in result.notes]
    return "\n".join(lines)
