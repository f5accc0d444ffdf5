"""Unanswered questions: kept only when the ward turns it on, scrubbed, unlinked, gone after 30 days."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.app import Assistant
from bot.config import Config
from bot.core.engine import Engine
from bot.core.types import Incoming
from bot.stats.unanswered import scrub
from bot.storage.sqlite import SqliteStore
from tests.stats.helpers import at

QUESTION = "ông Tư mua xe đạp màu xanh ở chợ Ba Hàng, gọi 0912 345 678 hoặc email tu@gmail.com"


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("gọi cho tôi 0912 345 678 nhé", "gọi cho tôi [số điện thoại] nhé"),
        ("số +84 912.345.678 của chị Lan", "số [số điện thoại] của chị Lan"),
        ("mail me@truong.edu.vn giúp", "mail [email] giúp"),
        ("xem https://bit.ly/abc?x=1 hay www.trangxau.net", "xem [liên kết] hay [liên kết]"),
        ("vào facebook.com/ten.ai mà xem", "vào [liên kết] mà xem"),
        ("nick zalo @tu_xanh_2012 đó", "nick zalo [tài khoản] đó"),
        ("con 12 tuổi học lớp 6 mã 4455", "con [số] tuổi học lớp 6 mã [số]"),
        ("Giá   vàng\nhôm nay", "Giá vàng hôm nay"),
    ],
)
def test_scrub(text: str, kept: str) -> None:
    assert scrub(text) == kept


def assistant_for(engine: Engine, tmp_path: Path, now: list[float], keep: str) -> Assistant:
    config = Config.load(env={"BOT_KEEP_UNANSWERED": keep}, dotenv=None)
    return Assistant(engine, SqliteStore(tmp_path / "antoanso.sqlite3"), clock=lambda: now[0], config=config)


def kept(tmp_path: Path) -> list[tuple]:
    db = sqlite3.connect(tmp_path / "antoanso.sqlite3")
    rows = db.execute("SELECT * FROM unanswered_questions").fetchall()
    db.close()
    return rows


def test_off_by_default_nothing_typed_is_kept(engine: Engine, tmp_path: Path) -> None:
    assert Config.load(env={}, dotenv=None).get("BOT_KEEP_UNANSWERED") == "off"
    assistant = assistant_for(engine, tmp_path, [at("2026-07-01 10:00")], "off")
    outcome = assistant.handle(Incoming("tg:1", text=QUESTION))
    assert outcome.kind == "fallback"
    assert kept(tmp_path) == []
    assistant.store.close()


def test_when_on_kept_scrubbed_without_a_user_and_deleted_after_30_days(engine: Engine, tmp_path: Path) -> None:
    now = [at("2026-07-01 10:00")]
    assistant = assistant_for(engine, tmp_path, now, "on")
    assistant.handle(Incoming("tg:1", text=QUESTION))
    assistant.handle(Incoming("tg:2", text="con tôi bị bắt nạt trên mạng"))  # answered: not kept
    assistant.handle(Incoming("tg:3", text="thời tiết mai thế nào"))  # known out of scope: not kept
    rows = kept(tmp_path)
    assert rows == [("2026-07-01", "ông Tư mua xe đạp màu xanh ở chợ Ba Hàng, gọi [số điện thoại] hoặc email [email]")]
    db = sqlite3.connect(tmp_path / "antoanso.sqlite3")
    columns = [row[1] for row in db.execute("PRAGMA table_info(unanswered_questions)")]
    db.close()
    assert columns == ["day", "text"], "no user, no time of day"
    now[0] = at("2026-07-31 09:00")
    assistant.sweep()
    assert len(kept(tmp_path)) == 1, "30 days are kept"
    now[0] = at("2026-08-01 09:00")
    assistant.sweep()
    assert kept(tmp_path) == []
    assistant.store.close()


def test_staff_read_them_from_the_command_line(engine: Engine, tmp_path: Path) -> None:
    from tests.test_cli import run

    assistant = assistant_for(engine, tmp_path / "data", [at("2026-07-01 10:00")], "on")
    for _ in range(2):
        assistant.handle(Incoming("tg:1", text=QUESTION))
    assistant.store.close()
    result = run("unanswered", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "2 × ông Tư mua xe đạp" in result.stdout and "0912" not in result.stdout
