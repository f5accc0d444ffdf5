"""The statistics tables hold no user id, chat id, name, username or message text: checked on the
schema and on every stored value, after a scripted conversation in the core and over Telegram."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from bot.app import Assistant
from bot.config import Config
from bot.content.loader import Content
from bot.core.engine import Engine
from bot.stats.schema import STATS_TABLES
from bot.storage.sqlite import SqliteStore
from tests.conversation_runner import CONVERSATIONS, run_conversation
from tests.fake_bot_api import FakeBotApi
from tests.stats.helpers import TYPED, USER, USER_ID, at, converse
from tests.test_telegram_aiogram import TOKEN, Chat, make_config, start_bot
from tests.test_telegram_aiogram import USER as TG_USER

ALLOWED_COLUMNS = {"day", "kind", "topic", "detail", "role", "age_band", "grp", "count", "users", "digest"}
CODE = re.compile(r"^[a-z0-9_:=.\-]*$")
DIGEST = re.compile(r"^[0-9a-f]{32}$")


def assert_anonymous(database: Path, forbidden: list[str]) -> int:
    db = sqlite3.connect(database)
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    stats_tables = {name for name in names if name.startswith("stats_")}
    assert stats_tables == set(STATS_TABLES), "every statistics table is listed (and so checked)"
    checked = 0
    for table in sorted(stats_tables):
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        assert set(columns) <= ALLOWED_COLUMNS, f"{table} has columns {columns}"
        for row in db.execute(f"SELECT * FROM {table}"):
            for column, value in zip(columns, row):
                checked += 1
                if isinstance(value, int):
                    assert column in {"count", "users"}, (table, column, value)
                    continue
                assert (DIGEST if column == "digest" else CODE).match(value), (table, column, value)
                for word in forbidden:
                    assert word.lower() not in value.lower(), (table, column, value)
    db.close()
    return checked


def typed_words() -> list[str]:
    """Words of the typed messages that no code could contain (codes are ASCII, with _ and -)."""
    words = {w for text in TYPED for w in re.findall(r"\w{4,}", text)}
    return sorted(w for w in words if not w.isascii()) + ["0912", "345", "678", "Quynh", "lam sao"]


def test_statistics_hold_counts_and_codes_only(engine: Engine, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "antoanso.sqlite3")
    config = Config.load(env={"BOT_KEEP_UNANSWERED": "on"}, dotenv=None)
    assistant = Assistant(engine, store, clock=lambda: at("2026-07-01 10:00"), config=config)
    converse(assistant)
    kinds = {row["kind"] for row in store.counters()}
    assert {
        "session_started",
        "profile_set",
        "tip_read",
        "quiz_started",
        "report_guide_opened",
        "faq_answered",
        "fallback",
        "crisis_shown",
    } <= kinds
    assert {row["grp"] for row in store.counters()} == {"", "to-03"}
    store.close()
    checked = assert_anonymous(tmp_path / "antoanso.sqlite3", [USER, USER_ID, *typed_words(), "Quỳnh", "0912"])
    assert checked > 100


async def test_statistics_after_a_telegram_conversation_hold_no_identifier(tmp_path: Path, content: Content) -> None:
    fake = await FakeBotApi(TOKEN).start()
    try:
        config = make_config(fake, tmp_path)
        running = await start_bot(config, content)
        try:
            for offset, name in enumerate(("onboarding_quiz.yaml", "report_and_questions.yaml")):
                chat = Chat(fake, running, user=TG_USER + offset)
                await run_conversation(CONVERSATIONS / name, chat.send, chat.press)
        finally:
            await running.stop()
    finally:
        await fake.stop()
    ids = [str(TG_USER), str(TG_USER + 1), f"tg:{TG_USER}"]
    forbidden = [*ids, "Người dùng", "antoanso_test_bot", "chui boi", "sống nữa", "vang"]
    assert assert_anonymous(config.database, forbidden) > 50
