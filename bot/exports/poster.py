"""A4 posters for school and residential-group notice boards: a headline, three tips, the hotline
111 and a QR code that opens the assistant on Telegram.

The QR code carries `?start=poster_<topic>`: the assistant counts each scan as an anonymous
`deep_link` event for that topic, so the ward learns which posters bring people in. Every text box is
measured before it is drawn and the page never breaks: one poster, one page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot.content.loader import Content
from bot.content.models import Tip
from bot.content.topics import TOPICS
from bot.core.engine import POSTER_LINK
from bot.exports.common import (
    ASSISTANT_NAME,
    ExportError,
    ExportOptions,
    ExportResult,
    prepare_out,
    topics_in_order,
    ward_title,
    write_bytes,
)
from bot.exports.fonts import font_path, printable

NAVY = (11, 31, 58)
YELLOW = (255, 210, 63)
INK = (26, 26, 26)
GREY = (77, 77, 77)
PAGE_W, PAGE_H, MARGIN = 210.0, 297.0, 12.0
TIPS_TOP, TIPS_BOTTOM = 80.0, 196.0
LEADS = {
    "parent": "3 điều cha mẹ cần nhớ",
    "student": "3 điều các em cần nhớ",
    "teacher": "3 điều thầy cô cần nhớ",
    "family": "3 điều cả nhà cần nhớ",
}
FAMILY = "BeVietnamPro"


SLUGS = {"parent": "phu-huynh", "student": "hoc-sinh", "teacher": "giao-vien", "family": "gia-dinh"}
LABELS = {"parent": "CHA MẸ", "student": "CÁC EM", "teacher": "THẦY CÔ", "all": "MỌI NGƯỜI"}


@dataclass(frozen=True)
class PosterPlan:
    topic: str
    audience: str  # parent, student, teacher, or family (parents' tips plus one for the child)
    tips: tuple[Tip, ...]

    @property
    def mixed(self) -> bool:
        """Tips in more than one voice: each then carries a label saying whom it speaks to."""
        return len({tip.audience for tip in self.tips} - {"all"}) > 1


def plan(content: Content, options: ExportOptions, topic: str) -> PosterPlan | None:
    """Three short tips of the topic in the audience's voice; for parents (the default, for
    residential-group boards) their own tips first, completed with the shortest for the child."""
    tips = sorted((t for t in content.knowledge.tips if t.topic == topic), key=lambda t: len(t.text))
    primary = options.audience if options.audience in ("parent", "student", "teacher") else "parent"
    voice = [t for t in tips if t.audience in (primary, "all")]
    others = [t for t in tips if t not in voice]
    chosen = (voice + others)[:3]
    if len(chosen) < 3:
        return None
    pure = len(voice) >= 3
    audience = primary if pure else ("family" if primary == "parent" else primary)
    order = {primary: 0, "all": 1}
    return PosterPlan(topic, audience, tuple(sorted(chosen, key=lambda t: order.get(t.audience, 2))))


def start_payload(topic: str) -> str:
    return POSTER_LINK + topic


def qr_image(url: str):
    import qrcode
    from qrcode.constants import ERROR_CORRECT_M

    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=12, border=4)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image()


def render(poster: PosterPlan, options: ExportOptions) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import MethodReturnValue, XPos, YPos

    regular, bold = font_path("Regular"), font_path("Bold")
    url = options.assistant_url(start_payload(poster.topic))
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font(FAMILY, "", str(regular))
    pdf.add_font(FAMILY, "B", str(bold))
    pdf.set_title(f"{TOPICS[poster.topic]} – {ward_title(options.ward)}")
    pdf.set_lang("vi")
    pdf.set_creator(ASSISTANT_NAME)
    pdf.add_page()
    width = PAGE_W - 2 * MARGIN

    def text(value: str, path: Path = bold) -> str:
        return printable(value, path)

    def fit_size(value: str, style: str, box_w: float, box_h: float, start: float, low: float, leading: float) -> float:
        """Largest font size (pt) at which `value` wraps within box_w × box_h mm."""
        size = start
        while size > low:
            pdf.set_font(FAMILY, style, size)
            lines = pdf.multi_cell(box_w, size * leading * 0.3528, value, dry_run=True, output=MethodReturnValue.LINES)
            if len(lines) * size * leading * 0.3528 <= box_h:
                return size
            size -= 0.5
        raise ExportError(f"Mẹo quá dài cho áp phích chủ đề {TOPICS[poster.topic]}: {value[:50]}…")

    # Band: who speaks.
    pdf.set_fill_color(*NAVY)
    pdf.rect(MARGIN, MARGIN, width, 24, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_xy(MARGIN + 6, MARGIN + 4)
    pdf.set_font(FAMILY, "B", 14)
    pdf.cell(width - 12, 7, text(ward_title(options.ward).upper()), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_x(MARGIN + 6)
    pdf.set_font(FAMILY, "", 10.5)
    pdf.cell(width - 12, 6, text("Chương trình bảo vệ trẻ em trên môi trường mạng 2026–2030", regular))

    # Headline and lead.
    headline = text(TOPICS[poster.topic].upper())
    size = fit_size(headline, "B", width, 20, 40, 18, 1.15)
    pdf.set_text_color(*NAVY)
    pdf.set_xy(MARGIN, 44)
    pdf.set_font(FAMILY, "B", size)
    pdf.multi_cell(width, size * 1.15 * 0.3528, headline, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "B", 17)
    pdf.set_text_color(*GREY)
    pdf.set_xy(MARGIN, 66)
    pdf.cell(width, 9, text(LEADS.get(poster.audience, "3 điều cả nhà cần nhớ")))

    # Three tips, one size for all three so they read as a set.
    slot = (TIPS_BOTTOM - TIPS_TOP) / 3
    text_x, text_w = MARGIN + 22, width - 22
    tips = [text(t.text, regular) for t in poster.tips]
    label_h = 6.0 if poster.mixed else 0.0
    size = min(fit_size(t, "", text_w, slot - 6 - label_h, 17, 10, 1.3) for t in tips)
    for index, tip in enumerate(tips):
        top = TIPS_TOP + index * slot
        pdf.set_fill_color(*YELLOW)
        pdf.circle(x=MARGIN + 8, y=top + 8, radius=8, style="F")
        pdf.set_text_color(*NAVY)
        pdf.set_font(FAMILY, "B", 20)
        pdf.set_xy(MARGIN, top + 3)
        pdf.cell(16, 10, str(index + 1), align="C")
        if poster.mixed:
            pdf.set_text_color(*GREY)
            pdf.set_font(FAMILY, "B", 10)
            pdf.set_xy(text_x, top + 1)
            pdf.cell(text_w, label_h - 1, text("DÀNH CHO " + LABELS[poster.tips[index].audience]))
        pdf.set_text_color(*INK)
        pdf.set_font(FAMILY, "", size)
        pdf.set_xy(text_x, top + 1 + label_h)
        pdf.multi_cell(text_w, size * 1.3 * 0.3528, tip, align="L")

    # Hotline, left; QR code to the assistant, right.
    block_top, block_h, qr_size = 204.0, 58.0, 50.0
    hot_w = width - qr_size - 8
    pdf.set_fill_color(*NAVY)
    pdf.rect(MARGIN, block_top, hot_w, block_h, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FAMILY, "B", 13)
    pdf.set_xy(MARGIN + 6, block_top + 5)
    pdf.cell(hot_w - 12, 7, text("Trẻ gặp nguy hiểm, bị xâm hại, bắt nạt?"))
    pdf.set_text_color(*YELLOW)
    pdf.set_font(FAMILY, "B", 64)
    pdf.set_xy(MARGIN + 6, block_top + 14)
    pdf.cell(hot_w - 12, 24, "111")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FAMILY, "", 11.5)
    pdf.set_xy(MARGIN + 6, block_top + 40)
    pdf.multi_cell(
        hot_w - 12, 5.5, text("Tổng đài quốc gia bảo vệ trẻ em: miễn phí, 24/7.\nKhẩn cấp: gọi Công an 113.", regular)
    )
    qr_x = PAGE_W - MARGIN - qr_size
    pdf.image(qr_image(url), x=qr_x, y=block_top - 2, w=qr_size, h=qr_size)
    pdf.set_text_color(*INK)
    pdf.set_font(FAMILY, "B", 9.5)
    pdf.set_xy(qr_x - 4, block_top + qr_size - 2)
    pdf.multi_cell(qr_size + 8, 4.2, text(f"Quét mã: hỏi {ASSISTANT_NAME} trên Telegram"), align="C")

    # Sources of the tips (each item keeps its source), who made it, the link written out.
    pdf.set_text_color(*GREY)
    pdf.set_font(FAMILY, "", 7.5)
    sources = "; ".join(dict.fromkeys(t.source for t in poster.tips))
    pdf.set_xy(MARGIN, 268)
    pdf.multi_cell(width, 3.4, text(f"Nguồn: {sources}", regular), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_xy(MARGIN, PAGE_H - MARGIN - 4)
    pdf.cell(width, 4, text(f"{ward_title(options.ward)} · {options.today:%m/%Y} · {url}", regular))
    if pdf.page_no() != 1 or pdf.get_y() > PAGE_H:
        raise AssertionError("poster spilled over one page")
    return bytes(pdf.output())


def export_poster(content: Content, options: ExportOptions, progress: Callable[[int, int, str], None]) -> ExportResult:
    options.require_username("Áp phích")
    out = prepare_out(options.out)
    result = ExportResult("poster")
    plans = []
    for topic in topics_in_order(options):
        poster = plan(content, options, topic)
        if poster is None:
            result.notes.append(f"Chưa đủ 3 mẹo cho áp phích chủ đề {TOPICS[topic]}: bỏ qua.")
        else:
            plans.append(poster)
    for done, poster in enumerate(plans, 1):
        path = out / f"ap-phich-{poster.topic.replace('_', '-')}-{SLUGS[poster.audience]}.pdf"
        write_bytes(path, render(poster, options))
        result.add(path, f"áp phích A4 – {TOPICS[poster.topic]} (mã QR: {start_payload(poster.topic)})")
        progress(done, len(plans), path.name)
    if plans:
        result.notes.append("Mỗi lần quét mã QR được đếm ẩn danh theo chủ đề của áp phích (sự kiện deep_link).")
    return result
