"""Kept unanswered questions are anonymous and unlinkable, and /riengtu says so plainly: a name
typed after "tên là…" is scrubbed before it is stored, nothing in a row (not even the order rows
came in) ties it to who asked, and after /xoadulieu the name is nowhere in the database files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from bot.app import Assistant
from bot.config import Config
from bot.core.engine import Engine
from bot.core.types import Incoming
from bot.stats.schema import STATS
from bot.stats.unanswered import scrub
from bot.storage.sqlite import SqliteStore
from tests.stats.helpers import at, press

ON = Config.load(env={"BOT_KEEP_UNANSWERED": "on"}, dotenv=None)


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("con tôi tên là Nguyễn Văn Zuyên, học lớp 5", "con tôi tên là [tên], học lớp 5"),
        ("tên em là Đỗ Thị Hà em bị dọa", "tên em là [tên] em bị dọa"),
        ("ten em la hoang minh tuan em bi doa", "ten em la [tên] em bi doa"),
        ("em tên lan bị người lạ nhắn tin", "em tên [tên] bị người lạ nhắn tin"),
        ("bạn ấy tên Hùng lớp 7A", "bạn ấy tên [tên] lớp 7A"),
        ("Họ tên: Trần Thị Bích. Tôi muốn hỏi", "Họ tên: [tên]. Tôi muốn hỏi"),
        ("Tôi là Hoa, con tôi bị lừa mua thẻ game", "Tôi là [tên], con tôi bị lừa mua thẻ game"),
        ("Con gái tôi là Mai Anh, 12 tuổi", "Con gái tôi là [tên], [số] tuổi"),
        ("CON TÔI TÊN LÀ MINH", "CON TÔI TÊN LÀ [tên]"),
    ],
)
def test_a_name_introduced_as_a_name_is_scrubbed(text: str, kept: str) -> None:
    assert scrub(text) == kept


@pytest.mark.parametrize(
    "text",
    [
        "làm sao đổi tên tài khoản facebook của con",
        "tôi là phụ huynh học sinh lớp 6",
        "con tôi tên gì không quan trọng",
        "nó là Zalo của lớp",
        "Con Tôi Là Học Sinh Giỏi Nhưng Nghiện Game",
    ],
)
def test_a_question_without_a_name_keeps_its_words(text: str) -> None:
    assert scrub(text) == text


def rows_in_file_order(database: Path) -> list[str]:
    db = sqlite3.connect(database)
    try:
        return [row[0] for row in db.execute("SELECT text FROM unanswered_questions ORDER BY rowid")]
    finally:
        db.close()


def test_rows_do_not_keep_the_order_they_came_in(engine: Engine, tmp_path: Path) -> None:
    """Row ids are random: row order cannot be set beside other records of the day one by one."""
    store = SqliteStore(tmp_path / "antoanso.sqlite3")
    arrived = [f"câu hỏi lạ thứ {chr(ord('a') + i)} về xe đạp" for i in range(26)]
    for text in arrived:
        store.unanswered.keep(text, "2026-07-01")
    ids = [row[0] for row in store.db.execute("SELECT rowid FROM unanswered_questions ORDER BY rowid")]
    store.close()
    assert sorted(rows_in_file_order(tmp_path / "antoanso.sqlite3")) == sorted(arrived)
    assert rows_in_file_order(tmp_path / "antoanso.sqlite3") != arrived
    assert ids[-1] - ids[0] > 10**6, "not counted up one by one"


def test_questions_kept_before_lose_their_order_and_their_names(tmp_path: Path) -> None:
    database = tmp_path / "antoanso.sqlite3"
    old = sqlite_utils.Database(database)
    STATS.apply(old, stop_before="unanswered_without_order")
    arrived = ["tên em là Zuyên em bị bắt nạt"] + [f"câu cũ số {chr(ord('a') + i)}" for i in range(20)]
    for text in arrived:
        old.execute("INSERT INTO unanswered_questions (day, text) VALUES ('2026-07-01', ?)", [text])
    old.conn.commit()
    old.close()
    SqliteStore(database).close()
    texts = rows_in_file_order(database)
    assert "tên em là [tên] em bị bắt nạt" in texts and not any("Zuyên" in text for text in texts)
    assert texts != ["tên em là [tên] em bị bắt nạt", *arrived[1:]]
    assert "Zuyên".encode() not in database.read_bytes()


def test_a_name_typed_there_does_not_survive_forgetting(engine: Engine, tmp_path: Path) -> None:
    database = tmp_path / "antoanso.sqlite3"
    assistant = Assistant(engine, SqliteStore(database), clock=lambda: at("2026-07-01 10:00"), config=ON)
    user = "tg:424242"
    question = "con tôi tên là Phùng Zuyên Khánh, cháu mua xe đạp màu xanh ở chợ Ba Hàng"
    assert assistant.handle(Incoming(user, text=question)).kind == "fallback"
    outcome = press(assistant, assistant.handle(Incoming(user, text="/xoadulieu")), "Có, xóa hết", user=user)
    assert "Đã xóa xong" in outcome.replies[0].text
    assistant.store.close()
    assert rows_in_file_order(database) == ["con tôi tên là [tên], cháu mua xe đạp màu xanh ở chợ Ba Hàng"]
    files = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("antoanso"))
    for trace in ("Zuyên", "Phùng", "424242"):
        assert trace.encode() not in files
    db = sqlite3.connect(database)
    columns = [row[1] for row in db.execute("PRAGMA table_info(unanswered_questions)")]
    db.close()
    assert columns == ["day", "text"], "the day and the words: nothing that names who asked"


def test_privacy_text_says_they_are_anonymous_and_why_forgetting_cannot_find_them(engine: Engine) -> None:
    from bot.core.types import Session

    outcome = engine.handle(Incoming("tg:1", text="/riengtu"), Session(user_key="tg:1", started=True))
    text = " ".join(reply.text for reply in outcome.replies)
    assert "ẩn danh" in text and "không có mã người hỏi, giờ hay thứ tự gửi" in text
    assert "/xoadulieu cũng không tìm được" in text
    assert "tên đi sau “tên là…”" in text and "đừng gõ tên thật" in text
