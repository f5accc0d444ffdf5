"""PNG slides for the ward's public LED boards: one tip or key message per slide, as large as fits.

Every text box is measured before it is drawn: the body takes the largest size at which the wrapped
text fits its box; below the smallest readable size the message is split over several slides, never
cut off or drawn past the margins. The hotline 111 and the ward's name are on every slide. A manifest
(`danh-sach.json`) says which content and source each slide carries, and where each text box is.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from bot.content.loader import Content
from bot.content.topics import TOPICS
from bot.exports.common import (
    ASSISTANT_NAME,
    HOTLINE,
    ExportError,
    ExportOptions,
    ExportResult,
    prepare_out,
    select,
    sentences,
    ward_title,
    write_bytes,
    write_text,
)
from bot.exports.fonts import font_path, printable

BACKGROUND = (11, 31, 58)  # deep navy: white text on it has a contrast ratio above 15:1
TEXT = (255, 255, 255)
ACCENT = (255, 210, 63)  # warm yellow, about 11:1 on the background
MUTED = (200, 221, 255)
LINE_SPACING = 1.12

Box = tuple[int, int, int, int]


@dataclass(frozen=True)
class Message:
    """What one slide says before layout: a tip, or a key message such as the hotline."""

    key: str
    heading: str
    text: str
    source: str
    topic: str | None = None


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    margin: int
    header: Box
    body: Box
    footer: Box

    @classmethod
    def of(cls, width: int, height: int) -> Layout:
        margin = round(min(width, height) * 0.06)
        header_h, footer_h, gap = round(height * 0.10), round(height * 0.15), round(height * 0.03)
        right, bottom = width - margin, height - margin
        return cls(
            width,
            height,
            margin,
            header=(margin, margin, right, margin + header_h),
            body=(margin, margin + header_h + gap, right, bottom - footer_h - gap),
            footer=(margin, bottom - footer_h, right, bottom),
        )

    @property
    def min_body_size(self) -> int:
        """Smallest body text still readable from the street on this board."""
        return max(16, round(self.height * 0.05))

    @property
    def max_body_size(self) -> int:
        return round((self.body[3] - self.body[1]) * 0.24)


@dataclass
class Drawn:
    """One text line as drawn: its region of the slide and its measured box in pixels."""

    region: str
    text: str
    box: Box


@dataclass
class Slide:
    message: Message
    text: str  # the part of the message on this slide
    part: tuple[int, int] | None
    size: tuple[int, int]
    body_font: int = 0
    drawn: list[Drawn] = field(default_factory=list)


@lru_cache(maxsize=256)
def _font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(weight)), size)


# Vietnamese stacks two marks on capitals (Ấ, Ể, Ỗ), above the font's ascender: measure those.
TALLEST = "ẤỂỖẶỰÝgjpqyỵ"


@lru_cache(maxsize=256)
def extent(font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    """(top, bottom) of any Vietnamese line relative to the draw point with anchor 'la'."""
    _, top, _, bottom = font.getbbox(TALLEST, anchor="la")
    return min(0, top), bottom


def _line_height(font: ImageFont.FreeTypeFont) -> int:
    top, bottom = extent(font)
    return round((bottom - top) * LINE_SPACING)


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str] | None:
    """Greedy word wrap within `width` pixels; None when a single word is wider than the box."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            if font.getlength(word) > width:
                return None
            candidate = f"{line} {word}" if line else word
            if font.getlength(candidate) <= width:
                line = candidate
            else:
                lines.append(line)
                line = word
        if line:
            lines.append(line)
    return lines


def fit(text: str, weight: str, box: Box, low: int, high: int) -> tuple[int, list[str]] | None:
    """The largest size in [low, high] at which `text` wraps inside `box`, with its lines."""
    width, height = box[2] - box[0], box[3] - box[1]

    def lines_at(size: int) -> list[str] | None:
        font = _font(weight, size)
        lines = wrap(text, font, width)
        return lines if lines is not None and len(lines) * _line_height(font) <= height else None

    if high < low or lines_at(low) is None:
        return None
    while low < high:  # binary search: fitting is monotonic in the size
        middle = (low + high + 1) // 2
        if lines_at(middle) is None:
            high = middle - 1
        else:
            low = middle
    lines = lines_at(low)
    assert lines is not None
    return low, lines


def split_to_fit(text: str, layout: Layout) -> list[str]:
    """Whole sentences per slide while they fit at the smallest readable size; a sentence too long
    for one slide is cut between words. A word wider than the board is the only failure."""
    low, high = layout.min_body_size, layout.max_body_size

    def fits(piece: str) -> bool:
        return fit(piece, "Bold", layout.body, low, high) is not None

    if fits(text):
        return [text]
    units: list[str] = []
    for sentence in sentences(text):
        if fits(sentence):
            units.append(sentence)
            continue
        chunk = ""
        for word in sentence.split():
            if not fits(word):
                raise ExportError(
                    f"Bảng {layout.width}x{layout.height} quá nhỏ để chữ đủ to: không đặt vừa từ '{word}'."
                )
            if chunk and not fits(f"{chunk} {word} …"):
                units.append(chunk + " …")
                chunk = "… " + word
            else:
                chunk = f"{chunk} {word}".strip()
        units.append(chunk)
    parts: list[str] = []
    for unit in units:
        if parts and fits(f"{parts[-1]} {unit}"):
            parts[-1] = f"{parts[-1]} {unit}"
        else:
            parts.append(unit)
    return parts


def _one_line(draw: ImageDraw.ImageDraw, text: str, weight: str, box: Box, start: int) -> ImageFont.FreeTypeFont:
    """Largest font (≤ start) at which `text` stays on one line inside `box`."""
    width, height = box[2] - box[0], box[3] - box[1]
    size = start
    while size > 8:
        font = _font(weight, size)
        top, bottom = extent(font)
        if font.getlength(text) <= width and bottom - top <= height:
            return font
        size -= 1
    return _font(weight, 8)


def _draw(draw: ImageDraw.ImageDraw, slide: Slide, region: str, xy: tuple[float, float], text: str, font, fill, anchor):
    """Draw one line whose tallest possible glyph starts at xy[1] (anchor 'la' or 'ra'), and record
    the box the pixels actually took."""
    top, _ = extent(font)
    xy = (xy[0], xy[1] - top)
    draw.text(xy, text, font=font, fill=fill, anchor=anchor)
    box = draw.textbbox(xy, text, font=font, anchor=anchor)
    slide.drawn.append(Drawn(region, text, tuple(round(v) for v in box)))  # type: ignore[arg-type]


def _centred(font: ImageFont.FreeTypeFont, top: int, bottom: int) -> int:
    high, low = extent(font)
    return top + ((bottom - top) - (low - high)) // 2


def render(slide: Slide, ward: str, link: str) -> bytes:
    layout = Layout.of(*slide.size)
    font_file = font_path("Bold")
    image = Image.new("RGB", slide.size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    header = printable(slide.message.heading, font_file)
    if slide.part:
        header += f"  ({slide.part[0]}/{slide.part[1]})"
    x0, y0, x1, y1 = layout.header
    font = _one_line(draw, header, "SemiBold", layout.header, round((y1 - y0) * 0.8))
    _draw(draw, slide, "header", (x0, y0), header, font, ACCENT, "la")

    fitted = fit(slide.text, "Bold", layout.body, layout.min_body_size, layout.max_body_size)
    if fitted is None:  # split_to_fit guarantees a fit; this would be a bug, not bad content
        raise AssertionError(f"slide text does not fit: {slide.text[:40]}")
    slide.body_font, lines = fitted
    font = _font("Bold", slide.body_font)
    step = _line_height(font)
    x0, y0, x1, y1 = layout.body
    top = y0 + ((y1 - y0) - step * len(lines)) // 2
    for index, line in enumerate(lines):
        _draw(draw, slide, "body", (x0, top + index * step), line, font, TEXT, "la")

    x0, y0, x1, y1 = layout.footer
    rule = max(2, layout.height // 270)
    draw.rectangle((x0, y0 - rule * 2, x1 - 1, y0 - rule - 1), fill=ACCENT)  # PIL includes the end pixel
    left = printable(f"Gọi {HOTLINE} – miễn phí, 24/7", font_file)
    right = [printable(ward_title(ward), font_file)] + ([link] if link else [])
    half = (x1 - x0) // 2
    gap = round(layout.height * 0.03)
    font = _one_line(draw, left, "ExtraBold", (x0, y0, x0 + half - gap, y1), round((y1 - y0) * 0.7))
    _draw(draw, slide, "footer", (x0, _centred(font, y0, y1)), left, font, ACCENT, "la")
    row_h = (y1 - y0) // len(right)
    for index, text in enumerate(right):
        row = (x0 + half + gap, y0 + index * row_h, x1, y0 + (index + 1) * row_h)
        font = _one_line(draw, text, "SemiBold", row, round(row_h * 0.75))
        _draw(
            draw, slide, "footer", (x1, _centred(font, row[1], row[3])), text, font, TEXT if index == 0 else MUTED, "ra"
        )
    buffer = BytesIO()
    image.save(buffer, "PNG", compress_level=1)  # fast; flat colours compress well anyway
    return buffer.getvalue()


def messages(content: Content, options: ExportOptions) -> list[Message]:
    """The hotline first, then the chosen tips topic by topic, then how to reach the assistant."""
    kb = content.knowledge
    found: list[Message] = []
    hotline = next((c for c in kb.contacts if c.phone == HOTLINE), None)
    if hotline:
        first = sentences(hotline.description)[0]
        found.append(
            Message(f"lien-he-{hotline.id}", "Khi trẻ gặp nguy hiểm", f"{hotline.name}. {first}", hotline.source)
        )
    tips = select(kb.tips, options)
    for topic in TOPICS:
        found.extend(Message(t.id, TOPICS[topic], t.text, t.source, topic) for t in tips if t.topic == topic)
    if options.bot_username:
        text = f"Hỏi đáp về an toàn của trẻ trên mạng: nhắn {ASSISTANT_NAME} trên Telegram, t.me/{options.bot_username}"
        found.append(Message("tro-ly", ASSISTANT_NAME, text, ward_title(options.ward)))
    return found


def export_led(content: Content, options: ExportOptions, progress: Callable[[int, int, str], None]) -> ExportResult:
    out = prepare_out(options.out)
    result = ExportResult("led")
    font_file = font_path("Bold")
    link = f"t.me/{options.bot_username}" if options.bot_username else ""
    plan: list[Slide] = []
    for size in options.led_sizes:
        layout = Layout.of(*size)
        for message in messages(content, options):
            text = printable(message.text, font_file)
            parts = split_to_fit(text, layout)
            for index, part in enumerate(parts, 1):
                plan.append(Slide(message, part, (index, len(parts)) if len(parts) > 1 else None, size))
    manifest = []
    numbers: dict[tuple[int, int], int] = {}
    for done, slide in enumerate(plan, 1):
        number = numbers[slide.size] = numbers.get(slide.size, 0) + 1
        folder = out / f"{slide.size[0]}x{slide.size[1]}"
        suffix = f"-{slide.part[0]}" if slide.part else ""
        path = folder / f"{number:03d}-{slide.message.key}{suffix}.png"
        write_bytes(path, render(slide, options.ward, link))
        progress(done, len(plan), str(path.relative_to(out)))
        manifest.append(_manifest_row(slide, path.relative_to(out)))
    for size in options.led_sizes:
        count = numbers.get(size, 0)
        result.add(out / f"{size[0]}x{size[1]}", f"{count} tấm PNG {size[0]}×{size[1]}")
    index = out / "danh-sach.json"
    write_text(index, json.dumps({"slides": manifest}, ensure_ascii=False, indent=1))
    result.add(index, "danh sách tấm: nội dung, nguồn, vị trí chữ")
    split = sum(1 for slide in plan if slide.part and slide.part[0] == 1)
    if split:
        result.notes.append(f"{split} nội dung dài được chia thành nhiều tấm (đánh số 1/2, 2/2…).")
    return result


def _manifest_row(slide: Slide, path: Path) -> dict:
    layout = Layout.of(*slide.size)
    return {
        "file": str(path),
        "size": list(slide.size),
        "id": slide.message.key,
        "topic": slide.message.topic,
        "part": list(slide.part) if slide.part else None,
        "source": slide.message.source,
        "body_font_px": slide.body_font,
        "margin": layout.margin,
        "regions": {"header": layout.header, "body": layout.body, "footer": layout.footer},
        "texts": [{"region": d.region, "text": d.text, "box": list(d.box)} for d in slide.drawn],
    }
