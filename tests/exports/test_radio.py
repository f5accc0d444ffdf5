"""The weekly loudspeaker bulletin: 3–5 minutes at an announcer's pace, the ward-radio formulas,
a source for each item, the same script in Word, and an audio draft only when a voice exists."""

from __future__ import annotations

import re
import wave
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from docx import Document

from bot.content.loader import Content
from bot.content.topics import TOPICS
from bot.exports import radio
from bot.exports.common import ExportOptions, quiet

NOTE = re.compile(r"\[[^\]]*\]")


def _read_aloud(script: str) -> str:
    """The part an announcer reads: after the header, without bracketed notes and section titles."""
    body = script.split("\n\n", 1)[1]
    lines = [line for line in body.splitlines() if line.strip() and not line.startswith("— ")]
    return NOTE.sub(" ", "\n".join(lines))


def _minutes_at(text: str, pace: int) -> float:
    # Counted independently of the exporter: one Vietnamese syllable per written word, a digit each.
    count = sum(len(t) if t.isdigit() else 1 for t in re.findall(r"[^\W\d_]+|\d+", text))
    return count / pace


def test_weekly_script_reads_in_three_to_five_minutes(
    content: Content, make_options: Callable[..., ExportOptions]
) -> None:
    options = make_options()
    result = radio.export_radio(content, options, quiet)
    script = (options.out / "ban-tin-2026-tuan-25.txt").read_text(encoding="utf-8")
    spoken = _read_aloud(script)
    assert _minutes_at(spoken, 150) >= 3.0 and _minutes_at(spoken, 130) <= 5.0
    assert "Thời lượng ước tính:" in script and any("Thời lượng ước tính" in note for note in result.notes)
    # The ward-radio register: the station opens and closes the bulletin.
    assert spoken.lstrip().startswith("Đây là Đài truyền thanh phường Trung Thành. Kính thưa toàn thể nhân dân!")
    assert spoken.rstrip().endswith("Xin chào và hẹn gặp lại trong chương trình tuần sau!")
    assert "111" in spoken and "AnToanSoTrungThanhBot" in spoken
    # Every question and tip carries its source, as a note the announcer does not read.
    items = [line for line in script.splitlines() if line.startswith(("Điều thứ", "Có phụ huynh", "Có bạn", "Nhiều"))]
    assert len(items) >= 3 and all("[Nguồn: " in line for line in items)
    # Activities the ward has not filled in yet are never announced.
    assert "[Ví dụ]" not in spoken and "Ví dụ" not in spoken


@pytest.mark.parametrize("topic", list(TOPICS))
def test_every_topic_and_audience_stays_in_range(
    content: Content, make_options: Callable[..., ExportOptions], topic: str
) -> None:
    for audience in (None, "parent", "student"):
        bulletin = radio.build(content, make_options(topics=(topic,), audience=audience))
        fast, slow = bulletin.minutes
        assert fast >= 3.0 and slow <= 5.0, (topic, audience, bulletin.syllables)
        assert bulletin.theme == TOPICS[topic]
        assert "(xem mục" not in bulletin.spoken_text()  # the chat's menus mean nothing on a loudspeaker


def test_each_week_has_its_own_theme(content: Content, make_options: Callable[..., ExportOptions]) -> None:
    monday = date(2026, 6, 1)
    themes = [radio.build(content, make_options(today=monday + timedelta(weeks=n))).theme for n in range(4)]
    assert len(set(themes)) == 4


def test_word_file_has_the_same_script_with_notes_set_apart(
    content: Content, make_options: Callable[..., ExportOptions]
) -> None:
    options = make_options()
    radio.export_radio(content, options, quiet)
    document = Document(str(options.out / "ban-tin-2026-tuan-25.docx"))
    paragraphs = [p for p in document.paragraphs if p.text.strip()]
    headings = [p.text for p in paragraphs if p.style.name.startswith("Heading")]
    assert headings[0].startswith("BẢN TIN AN TOÀN SỐ") and "Mở đầu" in headings and "Kết thúc" in headings
    notes = [p for p in paragraphs if p.runs and all(run.italic for run in p.runs)]
    assert any(p.text.startswith("Nguồn: ") for p in notes)
    spoken = " ".join(p.text for p in paragraphs if p not in notes and p.text not in headings)
    assert "Kính thưa toàn thể nhân dân" in spoken and "Nguồn:" not in spoken


@pytest.mark.skipif(radio.vietnamese_voice() is None, reason="espeak-ng with a Vietnamese voice is not installed")
def test_audio_draft_is_labelled_and_about_as_long_as_the_script(
    content: Content, make_options: Callable[..., ExportOptions]
) -> None:
    options = make_options()
    result = radio.export_radio(content, options, quiet)
    audio = options.out / "ban-tin-2026-tuan-25-BAN-NHAP-giong-may.wav"
    assert any(item.path == audio and "NHÁP" in item.what for item in result.written)
    with wave.open(str(audio)) as sound:
        seconds = sound.getnframes() / sound.getframerate()
    assert 2 * 60 <= seconds <= 6 * 60


def test_without_a_voice_the_audio_is_skipped_and_said_so(
    content: Content, make_options: Callable[..., ExportOptions], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(radio.shutil, "which", lambda _name: None)
    options = make_options()
    result = radio.export_radio(content, options, quiet)
    assert not list(options.out.glob("*.wav"))
    assert any("espeak-ng" in note and "bỏ qua" in note for note in result.notes)
