"""LED slides: the configured sizes, text measured inside the margins, every glyph in the font,
nothing lost when a long message is split over several slides."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PIL import Image

from bot.content.loader import Content
from bot.content.models import Tip
from bot.exports.common import ExportOptions, quiet
from bot.exports.fonts import SUBSTITUTES, font_path, missing_glyphs
from bot.exports.led import BACKGROUND, export_led
from tests.exports.conftest import WARD

SIZES = ((1920, 1080), (1152, 384))


def _inside(box: list[int], region: list[int]) -> bool:
    return region[0] <= box[0] and region[1] <= box[1] and box[2] <= region[2] and box[3] <= region[3]


def _margins_are_empty(image: Image.Image, margin: int) -> bool:
    width, height = image.size
    strips = [
        (0, 0, width, margin),
        (0, height - margin, width, height),
        (0, 0, margin, height),
        (width - margin, 0, width, height),
    ]
    return all(
        image.crop(strip).getcolors(maxcolors=4) == [(image.crop(strip).width * image.crop(strip).height, BACKGROUND)]
        for strip in strips
    )


def _slides(out: Path) -> list[dict]:
    return json.loads((out / "danh-sach.json").read_text(encoding="utf-8"))["slides"]


def test_slides_fit_their_boards(content: Content, make_options: Callable[..., ExportOptions]) -> None:
    options = make_options(topics=("lua_dao", "bao_cao"), led_sizes=SIZES)
    result = export_led(content, options, quiet)
    slides = _slides(options.out)
    tips = [t for t in content.knowledge.tips if t.topic in ("lua_dao", "bao_cao")]
    # hotline + each tip + the assistant, on each board
    assert len(slides) == len(SIZES) * (len(tips) + 2)
    assert {w.path.name for w in result.written} >= {"1920x1080", "1152x384", "danh-sach.json"}
    for slide in slides:
        image = Image.open(options.out / slide["file"])
        assert image.size == tuple(slide["size"]) and image.size in SIZES
        assert _margins_are_empty(image.convert("RGB"), slide["margin"]), slide["file"]
        regions = slide["regions"]
        for text in slide["texts"]:
            assert _inside(text["box"], regions[text["region"]]), (slide["file"], text)
        body = [t for t in slide["texts"] if t["region"] == "body"]
        assert body and max(t["box"][3] for t in body) < regions["footer"][1]
        footer = " ".join(t["text"] for t in slide["texts"] if t["region"] == "footer")
        assert "111" in footer and WARD in footer and "t.me/AnToanSoTrungThanhBot" in footer
        assert slide["body_font_px"] >= max(16, round(image.size[1] * 0.05))  # readable from the street


def test_every_drawn_character_is_in_the_font(content: Content, make_options: Callable[..., ExportOptions]) -> None:
    options = make_options(topics=("thong_tin_ca_nhan",), led_sizes=((1152, 384),))
    export_led(content, options, quiet)
    drawn = "".join(t["text"] for slide in _slides(options.out) for t in slide["texts"])
    assert "ư" in drawn and "ệ" in drawn
    assert not missing_glyphs(drawn, font_path("Bold")), "a slide would show empty boxes"


def test_the_font_covers_all_vietnamese_and_all_content(content: Content) -> None:
    tones = ["", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"]
    letters = {unicodedata.normalize("NFC", v + t) for v in "aăâeêioôơuưy" for t in tones} | {"đ"}
    letters |= {letter.upper() for letter in letters}
    assert len(letters) == 2 * (12 * 6 + 1)
    kb = content.knowledge
    texts = [t.text for t in kb.tips] + [c.name + c.description for c in kb.contacts]
    texts += [f.question + f.answer for f in kb.faqs] + [g.title + " ".join(g.report_where) for g in kb.guides]
    for weight in ("Regular", "SemiBold", "Bold", "ExtraBold"):
        path = font_path(weight)
        assert not missing_glyphs("".join(letters), path), weight
        for text in texts:
            for char, substitute in SUBSTITUTES.items():
                text = text.replace(char, substitute)
            assert not missing_glyphs(unicodedata.normalize("NFC", text), path), text[:60]


def test_a_long_message_on_a_small_board_is_split_not_cut(
    content: Content, make_options: Callable[..., ExportOptions]
) -> None:
    long_text = (
        "Khi con kể chuyện bị bắt nạt trên mạng, bố mẹ hãy lắng nghe đến hết và nói rõ rằng con không có lỗi. "
        "Chụp màn hình tin nhắn, bài viết, bình luận còn thấy rõ ngày giờ, lưu đường link và tên tài khoản. "
        "Báo cáo tài khoản bằng nút Báo cáo của ứng dụng rồi chặn, báo giáo viên chủ nhiệm để nhà trường cùng "
        "xử lý. Gọi 111 miễn phí nếu con sợ hãi hay buồn kéo dài."
    )
    tip = Tip(id="tip-dai", topic="bat_nat_mang", text=long_text, source="Thử nghiệm")
    small = Content(replace(content.knowledge, tips=[tip], contacts=[]), content.flows)
    options = make_options(led_sizes=((480, 160),), bot_username="")
    result = export_led(small, options, quiet)
    slides = _slides(options.out)
    parts = [s for s in slides if s["id"] == "tip-dai"]
    assert len(parts) >= 2 and all(s["part"][1] == len(parts) for s in parts)
    assert any("chia thành nhiều tấm" in note for note in result.notes)
    words: list[str] = []
    for slide in parts:
        image = Image.open(options.out / slide["file"]).convert("RGB")
        assert _margins_are_empty(image, slide["margin"])
        assert all(_inside(t["box"], slide["regions"][t["region"]]) for t in slide["texts"])
        assert f"({slide['part'][0]}/{len(parts)})" in slide["texts"][0]["text"]
        words += [w for t in slide["texts"] if t["region"] == "body" for w in t["text"].split() if w != "…"]
    assert words == long_text.split(), "every word is shown once, in order"
