"""The A4 poster: one page, the headline, three tips, the hotline, every glyph in the embedded font,
and a QR code that decodes to the assistant with the poster's topic, which the core counts."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import zxingcpp

from bot.content.loader import Content
from bot.core.engine import Engine
from bot.core.types import Incoming, Session
from bot.exports.common import ExportError, ExportOptions, quiet
from bot.exports.fonts import font_path, missing_glyphs
from bot.exports.poster import export_poster, plan
from tests.exports.conftest import BOT

A4_POINTS = (595, 842)


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _read(path: Path) -> tuple[int, tuple[int, int], str, list[str]]:
    """Pages, page size in points, the page's text, and the QR codes found in its pixels."""
    document = pdfium.PdfDocument(str(path))
    try:
        page = document[0]
        size = (round(page.get_width()), round(page.get_height()))
        text = page.get_textpage().get_text_bounded()
        image = page.render(scale=200 / 72).to_pil()
        codes = [code.text for code in zxingcpp.read_barcodes(image)]
        return len(document), size, text, codes
    finally:
        document.close()


def test_poster_is_one_a4_page_whose_qr_opens_the_assistant(
    content: Content, make_options: Callable[..., ExportOptions], engine: Engine
) -> None:
    options = make_options(topics=("lua_dao",))
    result = export_poster(content, options, quiet)
    [written] = result.written
    pages, size, text, codes = _read(written.path)
    assert pages == 1 and size == A4_POINTS
    expected = f"https://t.me/{BOT}?start=poster_lua_dao"
    assert codes == [expected]
    # The scan, as the assistant receives it: counted for the topic, without anyone's identity.
    payload = codes[0].split("?start=")[1]
    outcome = engine.handle(Incoming("scan", text=f"/start {payload}"), Session(user_key="scan"))
    deep = [event for event in outcome.events if event.kind == "deep_link"]
    assert [(e.topic, e.detail) for e in deep] == [("lua_dao", "poster_lua_dao")]

    flat = _squash(text)
    assert "LỪA ĐẢO TRỰC TUYẾN" in flat and "111" in flat and "phường Trung Thành".upper() in flat
    poster = plan(content, options, "lua_dao")
    assert poster is not None and len(poster.tips) == 3
    for tip in poster.tips:
        assert _squash(tip.text) in flat, tip.id
        assert _squash(tip.source)[:30] in flat  # each tip keeps its source
    assert not missing_glyphs(flat, font_path("Regular")) and not missing_glyphs(flat, font_path("Bold"))


def test_default_posters_cover_every_topic_for_families_and_students_on_request(
    content: Content, make_options: Callable[..., ExportOptions]
) -> None:
    families = export_poster(content, make_options(), quiet)
    assert len(families.written) == 16
    assert all(item.path.name.endswith("-gia-dinh.pdf") for item in families.written)
    students = export_poster(content, make_options(audience="student", topics=("bat_nat_mang", "tin_gia")), quiet)
    names = sorted(item.path.name for item in students.written)
    assert names == ["ap-phich-bat-nat-mang-hoc-sinh.pdf", "ap-phich-tin-gia-hoc-sinh.pdf"]
    for item in students.written:
        pages, _, text, codes = _read(item.path)
        assert pages == 1 and "các em cần nhớ" in _squash(text)
        topic = item.path.name.removeprefix("ap-phich-").removesuffix("-hoc-sinh.pdf").replace("-", "_")
        assert codes == [f"https://t.me/{BOT}?start=poster_{topic}"]


def test_poster_needs_the_assistant_name(content: Content, make_options: Callable[..., ExportOptions]) -> None:
    with pytest.raises(ExportError, match="BOT_TELEGRAM_USERNAME"):
        export_poster(content, make_options(bot_username=""), quiet)
