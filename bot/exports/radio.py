"""The weekly loudspeaker bulletin (đài truyền thanh): a 3–5 minute script in the ward-radio register.

Each week has a theme topic (rotating with the ISO week, or the `--topic` chosen); questions, tips
and an activity are added until the reading time, at 130–150 Vietnamese syllables a minute, sits
inside 3–5 minutes. Lines in square brackets are notes for the announcer (sources, timings), never
read aloud. With espeak-ng's offline Vietnamese voice, a machine-read draft is written too, labelled
as a draft in its name and in its first sentence.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.content.loader import Content
from bot.content.models import Faq, Tip
from bot.content.topics import TOPICS
from bot.exports.common import (
    ASSISTANT_NAME,
    ExportOptions,
    ExportResult,
    prepare_out,
    select,
    topics_in_order,
    write_bytes,
    write_text,
)

PACE = (130, 150)  # syllables a minute, slow and fast announcer
MINUTES = (3.0, 5.0)
TARGET_SYLLABLES = 560  # about 4 minutes at 140 a minute
# The bulletin must stay in 3–5 minutes at either pace: 3 min at 150/min … 5 min at 130/min.
MIN_SYLLABLES, MAX_SYLLABLES = round(MINUTES[0] * PACE[1]), round(MINUTES[1] * PACE[0])
ORDINALS = ["thứ nhất", "thứ hai", "thứ ba", "thứ tư", "thứ năm", "thứ sáu", "thứ bảy", "thứ tám"]
FOR_WHOM = {"parent": ", dành cho cha mẹ", "student": ", dành cho các em", "teacher": ", dành cho thầy cô"}
ASKERS = {"parent": "Có phụ huynh hỏi", "student": "Có bạn học sinh hỏi", "teacher": "Có thầy cô hỏi"}
SPOKEN_NUMBERS = {"111": "một một một", "113": "một một ba", "114": "một một bốn", "115": "một một năm"}
DRAFT_WARNING = "Đây là bản nháp giọng máy, chỉ để phát thanh viên tham khảo, không phát lên loa."
WORD = re.compile(r"[^\W\d_]+|\d+")


def syllables(text: str) -> int:
    """Vietnamese is written one syllable per word; a number counts a syllable per digit (≈ spoken)."""
    return sum(len(token) if token.isdigit() else 1 for token in WORD.findall(spoken(text)))


def spoken(text: str) -> str:
    """What is read aloud: the text without the bracketed notes for the announcer."""
    return re.sub(r"\[[^\]]*\]", " ", text)


def minutes(count: int) -> tuple[float, float]:
    """(fastest, slowest) reading time in minutes."""
    return count / PACE[1], count / PACE[0]


def clock(value: float) -> str:
    seconds = round(value * 60)
    return f"{seconds // 60} phút {seconds % 60:02d} giây"


@dataclass
class Segment:
    title: str
    paragraphs: list[str] = field(default_factory=list)  # spoken text; "[…]" marks a note

    @property
    def syllables(self) -> int:
        return sum(syllables(p) for p in self.paragraphs)


@dataclass
class Bulletin:
    title: str
    week: str
    theme: str
    segments: list[Segment]

    @property
    def syllables(self) -> int:
        return sum(segment.syllables for segment in self.segments)

    @property
    def minutes(self) -> tuple[float, float]:
        return minutes(self.syllables)

    def text(self) -> str:
        fast, slow = self.minutes
        lines = [
            self.title,
            self.week,
            f"Chủ đề tuần này: {self.theme}",
            f"[Thời lượng ước tính: {clock(fast)} – {clock(slow)} ({self.syllables} âm tiết, đọc {PACE[0]}–{PACE[1]} âm tiết/phút)]",
            "[Dòng trong ngoặc vuông là ghi chú cho phát thanh viên, không đọc lên loa.]",
            "",
        ]
        for segment in self.segments:
            fast, slow = minutes(segment.syllables)
            lines.append(f"— {segment.title.upper()} — [khoảng {round((fast + slow) * 30)} giây]")
            lines.extend(segment.paragraphs)
            lines.append("")
        return "\n".join(lines).rstrip() + "\n"

    def spoken_text(self) -> str:
        return "\n".join(
            spoken(p).strip() for segment in self.segments for p in segment.paragraphs if spoken(p).strip()
        )


CHAT_ONLY = re.compile(r"\s*\((?:xem|gõ|bấm) (?:mục|lệnh|nút)[^)]*\)")  # "(xem mục Liên hệ)": chat menus, not radio


def _sentence(text: str) -> str:
    """One readable paragraph: lines joined, each ending in punctuation, chat-menu pointers dropped."""
    parts = [CHAT_ONLY.sub("", line).strip() for line in text.splitlines() if line.strip()]
    return " ".join(part if part.rstrip('"”)»')[-1:] in tuple(".!?:;…") else part + "." for part in parts)


def _rotate(items: list, week: int) -> list:
    if not items:
        return items
    shift = week % len(items)
    return items[shift:] + items[:shift]


def build(content: Content, options: ExportOptions) -> Bulletin:
    kb = content.knowledge
    year, week, _ = options.today.isocalendar()
    monday = options.today - timedelta(days=options.today.weekday())
    ward = options.ward
    themes = topics_in_order(options)
    themes = [t for t in themes if any(tip.topic == t for tip in kb.tips)] or themes
    theme = themes[week % len(themes)] if not options.topics else themes[0]
    ordered = [theme] + [t for t in themes if t != theme]

    opening = Segment(
        "Mở đầu",
        [
            f"Đây là Đài truyền thanh {ward}. Kính thưa toàn thể nhân dân! Thưa các bậc phụ huynh, "
            "các thầy giáo, cô giáo và các em học sinh thân mến!",
            "Thực hiện Chương trình bảo vệ và hỗ trợ trẻ em phát triển trên môi trường mạng giai đoạn 2026 đến 2030, "
            f"mời quý vị và các em cùng nghe chuyên mục An toàn số cho trẻ em tuần này, "
            f"từ ngày {monday:%d/%m} đến ngày {monday + timedelta(days=6):%d/%m/%Y}. "
            f"Chủ đề của tuần: {TOPICS[theme].lower()}.",
        ],
    )
    hotline = Segment(
        "Nhắc số điện thoại",
        [
            "Khi trẻ em gặp nguy hiểm, bị xâm hại, bạo lực hay bắt nạt, trên mạng cũng như ngoài đời, xin hãy gọi "
            "ngay Tổng đài quốc gia bảo vệ trẻ em 111. Cuộc gọi miễn phí, suốt 24 giờ, tất cả các ngày. "
            "Trường hợp khẩn cấp, gọi Công an 113.",
            f"Quý vị và các em có thể hỏi thêm về an toàn của trẻ trên mạng với {ASSISTANT_NAME} của {ward} "
            "trên ứng dụng Telegram"
            + (f", tên tài khoản là {options.bot_username}." if options.bot_username else ".")
            + " [Nguồn: Tổng đài 111 (tongdai111.vn); Thông tư 22/2014/TT-BTTTT, Điều 13]",
        ],
    )
    closing = Segment(
        "Kết thúc",
        [
            f"Quý vị và các em vừa nghe chuyên mục An toàn số cho trẻ em của Đài truyền thanh {ward}. "
            "Cảm ơn quý vị và các em đã chú ý lắng nghe. Xin chào và hẹn gặp lại trong chương trình tuần sau!"
        ],
    )
    fixed = opening.syllables + hotline.syllables + closing.syllables

    activity_segment, skipped = _activities(content, week)
    fixed += activity_segment.syllables if activity_segment else 0

    faqs = select(kb.faqs, options)
    tips = select(kb.tips, options)
    queue: list[Faq | Tip] = []
    for topic in ordered:
        topic_faqs = _rotate([f for f in faqs if f.topic == topic], week)
        topic_tips = _rotate([t for t in tips if t.topic == topic], week)
        while topic_faqs or topic_tips:
            if topic_faqs:
                queue.append(topic_faqs.pop(0))
            queue.extend(topic_tips[:3])
            topic_tips = topic_tips[3:]

    questions = Segment("Hỏi – đáp")
    advice = Segment("Lời khuyên trong tuần")
    total = fixed
    chosen_tips = 0
    for item in queue:
        if total >= TARGET_SYLLABLES:
            break
        if isinstance(item, Faq):
            paragraph = (
                f"{ASKERS.get(item.audience, 'Nhiều người hỏi')}: {item.question} "
                f"Xin trả lời: {_sentence(item.answer)} [Nguồn: {item.source}]"
            )
            target = questions
        else:
            ordinal = ORDINALS[chosen_tips] if chosen_tips < len(ORDINALS) else "tiếp theo"
            paragraph = (
                f"Điều {ordinal}{FOR_WHOM.get(item.audience, '')}: {_sentence(item.text)} [Nguồn: {item.source}]"
            )
            target = advice
        cost = syllables(paragraph)
        if total + cost > MAX_SYLLABLES:
            continue
        target.paragraphs.append(paragraph)
        total += cost
        chosen_tips += isinstance(item, Tip)

    segments = [opening]
    segments += [s for s in (questions, advice) if s.paragraphs]
    if activity_segment:
        segments.append(activity_segment)
    segments += [hotline, closing]
    if skipped:
        closing.paragraphs.append(
            f"[Ghi chú: chưa đọc {skipped} hoạt động mẫu vì phường chưa điền ngày, địa điểm thật "
            "trong knowledge/activities.yaml.]"
        )
    return Bulletin(
        title=f"BẢN TIN AN TOÀN SỐ CHO TRẺ EM – ĐÀI TRUYỀN THANH {ward.upper()}",
        week=f"Tuần {week}/{year}: từ {monday:%d/%m} đến {monday + timedelta(days=6):%d/%m/%Y}",
        theme=TOPICS[theme],
        segments=segments,
    )


def _activities(content: Content, week: int) -> tuple[Segment | None, int]:
    """Real ward activities first; the examples a ward has not filled in are never read out."""
    activities = content.knowledge.activities
    skipped = sum(1 for a in activities if a.example)
    ward = [a for a in activities if a.kind == "ward_programme" and not a.example]
    online = _rotate([a for a in activities if a.kind == "online" and not a.example], week)
    picked = ward[:2] or online[:1]
    if not picked:
        return None, skipped
    title = "Hoạt động sắp tới" if ward else "Gợi ý hoạt động cho các em"
    paragraphs = []
    for activity in picked:
        when = ", ".join(part for part in (activity.when, activity.where) if part)
        paragraphs.append(
            f"{activity.title}{(' – ' + when) if when else ''}. {_sentence(activity.description)} "
            f"[Nguồn: {activity.source}]"
        )
    return Segment(title, paragraphs), skipped


def write_docx(bulletin: Bulletin, path: Path) -> None:
    from io import BytesIO

    from docx import Document
    from docx.shared import Pt, RGBColor

    document = Document()
    normal = document.styles["Normal"]
    normal.font.name = "Times New Roman"
    normal.font.size = Pt(14)
    document.add_heading(bulletin.title, level=1)
    lead = document.add_paragraph()
    lead.add_run(f"{bulletin.week}\nChủ đề tuần này: {bulletin.theme}").bold = True
    fast, slow = bulletin.minutes
    _note(
        document,
        f"Thời lượng ước tính: {clock(fast)} – {clock(slow)} ({bulletin.syllables} âm tiết, "
        f"đọc {PACE[0]}–{PACE[1]} âm tiết/phút). Chữ nghiêng màu xám là ghi chú, không đọc lên loa.",
        RGBColor,
    )
    for segment in bulletin.segments:
        document.add_heading(segment.title, level=2)
        for paragraph in segment.paragraphs:
            said = spoken(paragraph).strip()
            if said:
                document.add_paragraph(said)
            for note in re.findall(r"\[([^\]]*)\]", paragraph):
                _note(document, note, RGBColor)
    buffer = BytesIO()
    document.save(buffer)
    write_bytes(path, buffer.getvalue())


def _note(document, text: str, rgb) -> None:
    run = document.add_paragraph().add_run(text)
    run.italic = True
    run.font.color.rgb = rgb(0x66, 0x66, 0x66)


def vietnamese_voice() -> str | None:
    """The espeak-ng binary if it has a Vietnamese voice, else None."""
    binary = shutil.which("espeak-ng")
    if not binary:
        return None
    try:
        listing = subprocess.run([binary, "--voices=vi"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return binary if re.search(r"^\s*\d+\s+vi\s", listing, re.MULTILINE) else None


def write_draft_audio(bulletin: Bulletin, path: Path, binary: str) -> None:
    text = DRAFT_WARNING + "\n" + bulletin.spoken_text()
    for number, words in SPOKEN_NUMBERS.items():
        text = re.sub(rf"\b{number}\b", words, text)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(".tmp-" + path.name)
    subprocess.run(
        [binary, "-v", "vi", "-s", str(sum(PACE) // 2), "-w", str(temporary), "--stdin"],
        input=text.encode("utf-8"),
        check=True,
        capture_output=True,
        timeout=300,
    )
    temporary.replace(path)


def export_radio(content: Content, options: ExportOptions, progress: Callable[[int, int, str], None]) -> ExportResult:
    out = prepare_out(options.out)
    result = ExportResult("radio")
    bulletin = build(content, options)
    year, week, _ = options.today.isocalendar()
    stem = f"ban-tin-{year}-tuan-{week:02d}"
    voice = vietnamese_voice()
    steps = 3 if voice else 2
    write_text(out / f"{stem}.txt", bulletin.text())
    result.add(out / f"{stem}.txt", "kịch bản đọc (văn bản)")
    progress(1, steps, f"{stem}.txt")
    write_docx(bulletin, out / f"{stem}.docx")
    result.add(out / f"{stem}.docx", "kịch bản đọc (Word)")
    progress(2, steps, f"{stem}.docx")
    fast, slow = bulletin.minutes
    result.notes.append(f"Thời lượng ước tính {clock(fast)} – {clock(slow)} ({bulletin.syllables} âm tiết).")
    if bulletin.syllables < MIN_SYLLABLES:
        result.notes.append("Bản tin ngắn hơn 3 phút: chủ đề hay đối tượng đã chọn còn ít nội dung.")
    if voice:
        audio = out / f"{stem}-BAN-NHAP-giong-may.wav"
        write_draft_audio(bulletin, audio, voice)
        result.add(audio, "BẢN NHÁP giọng máy (espeak-ng), chỉ để phát thanh viên tham khảo")
        progress(3, steps, audio.name)
    else:
        result.notes.append(
            "Máy này chưa có giọng đọc tiếng Việt ngoại tuyến (espeak-ng, giọng vi): bỏ qua bản nháp âm thanh. "
            "Cài bằng: apt-get install espeak-ng"
        )
    return result
