"""The statistics tables hold no user id, chat id, name, username or message text: checked on the
schema and on every stored value, after a scripted conversation in the core and over Telegram."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app import Assistant
from bot.config import Config
from bot.core.engine import Engine
from bot.storage.sqlite import SqliteStore
from tests.conversation_runner import CONVERSATIONS, run_conversation
from tests.fake_bot_api import FakeBotApi
from tests.stats.helpers import TYPED, USER, USER_ID, assert_anonymous, at, converse
from tests.test_telegram_channels import FRAMEWORKS, TOKEN, Chat, make_config, start_bot
from tests.test_telegram_channels import USER as TG_USER


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


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_statistics_after_a_telegram_conversation_hold_no_identifier(
    framework: str, tmp_path: Path, engine: Engine
) -> None:
    fake = await FakeBotApi(TOKEN).start()
    try:
        config = make_config(fake, tmp_path)
        running = await start_bot(framework, config, engine)
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
