"""Both Telegram channels end to end, by parametrisation: the real bot (aiogram or
python-telegram-bot), polling or webhook, over real HTTP against a local fake Bot API server, on
a temporary data directory and the shipped knowledge/flows. Every test here runs for each
framework, so "nothing a user sees may differ" is checked, not hoped."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import Assistant
from bot.channels.telegram_common import (
    FLOOD_NOTICE,
    GROUP_NOTICE,
    FloodLimiter,
    TelegramChannel,
    TokenRedactor,
    Unauthorized,
    UpdateDedup,
    bot_commands,
    channel_class,
    redact_secrets,
    split_text,
    telegram_length,
)
from bot.config import Config
from bot.core.engine import Engine
from bot.core.types import Document, Incoming, Outcome, Reply, Session
from bot.serve import OFFLINE_MESSAGE, UNAUTHORIZED_MESSAGE, plan, run, serve
from bot.storage.sqlite import SqliteStore
from tests.content_edits import NEW_NAME, OLD_NAME, break_menu, copy_content, rename_contact
from tests.conversation_runner import Seen, conversation_files, pick_button, run_conversation
from tests.fake_bot_api import TEST_TOKEN, FakeBotApi
from tests.stats.helpers import assert_anonymous
from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parent.parent
TOKEN = TEST_TOKEN
USER = 5551
FRAMEWORKS = ["aiogram", "ptb"]
# Onboarding (role, age band, residential group skipped), then the parents' quiz to question 3.
QUIZ_START = ("Phụ huynh", "11–14", "Bỏ qua", "Trắc nghiệm", "Phụ huynh và an toàn số", "A", "A")


def make_config(fake: FakeBotApi, data_dir: Path, **extra: str) -> Config:
    env = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": fake.base,
        "BOT_DATA_DIR": str(data_dir),
        "BOT_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "BOT_FLOWS_DIR": str(ROOT / "flows"),
        **extra,
    }
    return Config.load(env=env, dotenv=None)


@dataclass
class Running:
    channel: TelegramChannel
    task: asyncio.Task[None]

    async def stop(self) -> None:
        await self.channel.stop(self.task)
        self.channel.assistant.store.close()


async def start_bot(framework: str, config: Config, engine: Engine) -> Running:
    """The channel `python -m bot run` would build, on a real SQLite file, started in this loop."""
    assistant = Assistant(engine, SqliteStore(config.database), config.idle_seconds, config=config)
    channel = channel_class(framework)(config, assistant, polling_timeout=1)
    task = asyncio.create_task(channel.run())
    ready = asyncio.create_task(channel.ready.wait())
    await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    ready.cancel()
    if task.done():
        task.result()
    assert channel.ready.is_set(), "the bot did not start"
    return Running(channel, task)


@pytest.fixture
async def bot(framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine) -> AsyncIterator[Running]:
    running = await start_bot(framework, make_config(fake, tmp_path), engine)
    yield running
    await running.stop()


@dataclass
class Chat:
    """The conversation runner's driver for one Telegram user."""

    fake: FakeBotApi
    running: Running
    user: int = USER
    buttons: list[tuple[str, str]] = field(default_factory=list)
    keyboard_message: int = 0

    async def _settle(self, update_id: int, before: int) -> list[Seen]:
        await self.running.channel.wait_processed(update_id)
        seen = []
        for event in self.fake.outbox(self.user)[before:]:
            if event["buttons"]:
                self.buttons, self.keyboard_message = event["buttons"], event["message_id"]
            seen.append(Seen(event["text"], tuple(label for label, _ in event["buttons"])))
        return seen

    async def send(self, text: str) -> list[Seen]:
        before = len(self.fake.outbox(self.user))
        return await self._settle(self.fake.push_text(self.user, text), before)

    async def press(self, fragment: str) -> list[Seen]:
        before = len(self.fake.outbox(self.user))
        payload = pick_button(self.buttons, fragment)
        return await self._settle(self.fake.push_callback(self.user, payload, self.keyboard_message), before)


@pytest.mark.parametrize("path", conversation_files("telegram"), ids=lambda p: p.stem)
async def test_conversation_over_telegram(path: Path, fake: FakeBotApi, bot: Running) -> None:
    chat = Chat(fake, bot)
    await run_conversation(path, chat.send, chat.press)
    assert fake.callbacks, "the conversation pressed no button"
    assert fake.answered == fake.callbacks, "every button press must be answered"
    content = bot.channel.assistant.content
    assert [(c["command"], c["description"]) for c in fake.commands] == bot_commands(content)
    assert "getUpdates" in fake.methods() and "deleteWebhook" in fake.methods()
    assert all(not params.get("parse_mode") for _, params in fake.calls)


async def test_button_press_edits_the_pressed_message(fake: FakeBotApi, bot: Running) -> None:
    chat = Chat(fake, bot)
    await chat.send("/menu")
    menu_id = chat.keyboard_message
    seen = await chat.press("Trắc nghiệm")
    assert seen and "bộ trắc nghiệm" in seen[0].text
    last = fake.outbox(USER)[-1]
    assert (last["method"], last["message_id"]) == ("editMessageText", menu_id)
    assert fake.message(USER, menu_id).text == seen[0].text
    # When Telegram refuses the edit (message too old, deleted…), the reply comes as a new message.
    await chat.press("Menu chính")
    fake.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
    seen = await chat.press("Trắc nghiệm")
    assert "bộ trắc nghiệm" in seen[-1].text
    assert fake.outbox(USER)[-1]["method"] == "sendMessage"
    assert fake.answered == fake.callbacks


async def _half_a_quiz(chat: Chat) -> None:
    await chat.send("/start")
    for fragment in QUIZ_START:
        await chat.press(fragment)
    assert "Câu 3/12" in chat.fake.outbox(USER)[-1]["text"]


async def test_restart_mid_quiz_resumes(framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine) -> None:
    config = make_config(fake, tmp_path)
    first = await start_bot(framework, config, engine)
    chat = Chat(fake, first)
    await _half_a_quiz(chat)
    await first.stop()

    second = await start_bot(framework, config, engine)
    try:
        chat.running = second
        seen = await chat.press("A")
        assert any("Câu 4/12" in message.text for message in seen), seen
    finally:
        await second.stop()


@pytest.mark.parametrize(("before", "after"), [("aiogram", "ptb"), ("ptb", "aiogram")], ids=lambda f: f)
async def test_switching_library_mid_quiz_continues_the_quiz(
    before: str, after: str, fake: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    """A deployer changes BOT_FRAMEWORK and restarts on the same data directory: the user presses
    the next answer on the message the other library sent, and the quiz goes on to its end."""
    first = await start_bot(before, make_config(fake, tmp_path, BOT_FRAMEWORK=before), engine)
    chat = Chat(fake, first)
    await _half_a_quiz(chat)
    await first.stop()

    second = await start_bot(after, make_config(fake, tmp_path, BOT_FRAMEWORK=after), engine)
    try:
        chat.running = second
        quiz_message, sent = chat.keyboard_message, len(fake.outbox(USER))
        seen = await chat.press("A")
        assert any("Câu 4/12" in message.text for message in seen), seen
        edits = [e["message_id"] for e in fake.outbox(USER)[sent:] if e["method"] == "editMessageText"]
        assert edits == [quiz_message], "the new library edits the message the old one sent"
        for _ in range(9):  # questions 4…12
            seen = await chat.press("A")
        assert "Bạn đúng" in seen[-1].text and "/12" in seen[-1].text
        assert fake.answered == fake.callbacks
    finally:
        await second.stop()


async def test_replayed_update_acts_once(fake: FakeBotApi, bot: Running) -> None:
    update_id = fake.push_text(USER, "/lienhe")
    replay = fake.last_update()
    await bot.channel.wait_processed(update_id)
    sent = len(fake.outbox(USER))
    assert sent >= 1
    fake.push(replay, force=True)  # Telegram re-delivers (e.g. after a crash before the offset moved)
    await bot.channel.wait_processed(update_id, times=2)
    assert len(fake.outbox(USER)) == sent


async def test_an_update_answered_before_a_restart_acts_once(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    """Telegram sends again, after a restart, an update whose offset it never saw confirmed: the
    quiz answer it carries must not be counted twice, nor the reply sent twice."""
    config = make_config(fake, tmp_path)
    first = await start_bot(framework, config, engine)
    update_id = fake.push_text(USER, "/lienhe")
    replay = fake.last_update()
    await first.channel.wait_processed(update_id)
    await first.stop()
    sent = len(fake.outbox(USER))
    await _until(lambda: fake.waiting_polls == 0, "the stopped bot's last long poll to end")
    fake.push(replay, force=True)
    second = await start_bot(framework, config, engine)
    try:
        await second.channel.wait_processed(update_id)
        assert len(fake.outbox(USER)) == sent
        await second.channel.wait_processed(fake.push_text(USER, "/lienhe"))
        assert len(fake.outbox(USER)) > sent, "a new update is still answered"
    finally:
        await second.stop()


async def test_an_edited_message_is_answered_for_what_it_says_now(fake: FakeBotApi, bot: Running) -> None:
    """A child first writes something vague, then edits it to say what is happening: the edit
    gets the emergency card, not silence."""
    await bot.channel.wait_processed(fake.push_text(USER, "/help"))
    sent = len(fake.outbox(USER))
    await bot.channel.wait_processed(fake.push_edit(USER, "có người lạ dọa tung ảnh của em nếu em không gửi thêm"))
    answers = fake.outbox(USER)[sent:]
    assert answers and any("111" in event["text"] for event in answers)


async def test_one_users_updates_are_handled_in_order(fake: FakeBotApi, bot: Running) -> None:
    ids = [fake.push_text(USER, text) for text in ("/help", "/lienhe", "/help")]
    for update_id in ids:
        await bot.channel.wait_processed(update_id)
    texts = [event["text"] for event in fake.outbox(USER)]
    assert [t.split()[1] for t in texts] == ["Cách", "Khi", "Cách"]


async def test_many_users_at_once_all_get_their_answer(fake: FakeBotApi, bot: Running) -> None:
    """Updates of different users are handled side by side (threads sharing one SQLite file)."""
    users = range(USER, USER + 40)
    ids = [fake.push_text(user, text) for text in ("/start", "/lienhe") for user in users]
    for update_id in ids:
        await bot.channel.wait_processed(update_id)
    for user in users:
        texts = [event["text"] for event in fake.outbox(user)]
        assert len(texts) == 3 and "là ai" in texts[1] and "111" in texts[2], (user, texts)
    store = bot.channel.assistant.store
    assert sum(row["count"] for row in store.counters() if row["kind"] == "session_started") == len(users)


async def test_flood_gets_one_notice(framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine) -> None:
    running = await start_bot(framework, make_config(fake, tmp_path, BOT_FLOOD_PER_MINUTE="3"), engine)
    try:
        ids = [fake.push_text(USER, "/lienhe") for _ in range(10)]
        for update_id in ids:
            await running.channel.wait_processed(update_id)
        texts = [event["text"] for event in fake.outbox(USER)]
        assert texts.count(FLOOD_NOTICE) == 1
        assert texts[-1] == FLOOD_NOTICE
        assert sum("111" in text for text in texts) == 3
        other = fake.push_text(USER + 1, "/lienhe")  # the limit is per user
        await running.channel.wait_processed(other)
        assert "111" in fake.outbox(USER + 1)[-1]["text"]
    finally:
        await running.stop()


async def test_danger_is_answered_past_the_flood_limit(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    running = await start_bot(framework, make_config(fake, tmp_path, BOT_FLOOD_PER_MINUTE="3"), engine)
    try:
        for update_id in [fake.push_text(USER, "/lienhe") for _ in range(5)]:
            await running.channel.wait_processed(update_id)
        assert fake.outbox(USER)[-1]["text"] == FLOOD_NOTICE
        danger = fake.push_text(USER, "em 13 tuoi dang bi nguoi la doa tung anh neu khong gui them")
        await running.channel.wait_processed(danger)
        assert "Gọi 111" in fake.outbox(USER)[-1]["text"]
    finally:
        await running.stop()


async def test_a_failing_database_still_sends_the_reply(
    framework: str, fake: FakeBotApi, bot: Running, caplog: pytest.LogCaptureFixture
) -> None:
    """Disk full, read-only or locked: the reply (the emergency card above all) goes out anyway,
    and the fault is logged once, not once per message."""
    store = bot.channel.assistant.store

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    for name in ("load_session", "save_session", "record_events"):
        setattr(store, name, refuse)
    caplog.set_level(logging.INFO)
    for text in ("em muốn chết", "/lienhe", "em muốn chết"):
        await bot.channel.wait_processed(fake.push_text(USER, text))
    texts = [event["text"] for event in fake.outbox(USER)]
    assert len(texts) == 3 and all("111" in text for text in texts)
    assert texts[0] == texts[2] and "Gọi 111" in texts[0]
    faults = [r for r in caplog.records if "database cannot be used" in r.getMessage()]
    assert len(faults) == 1 and "doctor" in faults[0].getMessage()


async def test_group_chat_gets_one_polite_notice(fake: FakeBotApi, bot: Running) -> None:
    group = -1001234567
    ids = [
        fake.push_text(USER, text, chat_id=group, chat_type="supergroup") for text in ("/start", "xin chào", "/menu")
    ]
    for update_id in ids:
        await bot.channel.wait_processed(update_id)
    assert [event["text"] for event in fake.outbox(group)] == [GROUP_NOTICE]
    assert fake.outbox(USER) == []


async def test_long_reply_is_split_under_telegrams_limit(fake: FakeBotApi, bot: Running) -> None:
    # 3000 characters fit the core's limit, but emoji count double in Telegram's (UTF-16) limit.
    long_text = "\n\n".join(["🙂" * 600] * 5)
    assert len(long_text) <= 4096 < telegram_length(long_text)
    real_handle = bot.channel.assistant.handle

    def handle(incoming: Incoming) -> Outcome:
        outcome = real_handle(incoming)
        keyboard = outcome.replies[-1].buttons
        return Outcome([Reply(long_text, keyboard)], outcome.session, outcome.events)

    bot.channel.assistant.handle = handle  # type: ignore[method-assign]
    await bot.channel.wait_processed(fake.push_text(USER, "/menu"))
    events = fake.outbox(USER)
    assert len(events) == 2
    assert all(telegram_length(event["text"]) <= 4096 for event in events)
    assert not events[0]["buttons"] and events[1]["buttons"]
    assert "".join(event["text"] for event in events).replace("\n", "") == long_text.replace("\n", "").strip()


async def test_a_file_goes_out_with_its_caption_or_after_its_text(fake: FakeBotApi, bot: Running) -> None:
    """Reply.document through the shared front: one sendDocument (a multipart upload from either
    library), the text as its caption when it fits Telegram's 1024, else as messages before it."""
    data = "Bảng,Giá trị\n".encode() + bytes(range(256))
    long_caption = ("Báo cáo thống kê. " * 70).strip()
    assert telegram_length(long_caption) > 1024
    real_handle = bot.channel.assistant.handle

    def handle(incoming: Incoming) -> Outcome:
        outcome = real_handle(incoming)
        text = long_caption if incoming.text == "/help" else "📊 Báo cáo"
        keyboard = outcome.replies[-1].buttons
        return Outcome([Reply(text, keyboard, document=Document("bao-cao.csv", data))], outcome.session, outcome.events)

    bot.channel.assistant.handle = handle  # type: ignore[method-assign]
    await bot.channel.wait_processed(fake.push_text(USER, "/menu"))
    [sent] = fake.outbox(USER)
    assert (sent["method"], sent["filename"], sent["data"], sent["text"]) == (
        "sendDocument",
        "bao-cao.csv",
        data,
        "📊 Báo cáo",
    )
    assert sent["buttons"], "the buttons go with the file"
    await bot.channel.wait_processed(fake.push_text(USER, "/help"))
    *texts, document = fake.outbox(USER)[1:]
    assert [event["method"] for event in texts] == ["sendMessage"] and texts[0]["text"] == long_caption
    assert document["method"] == "sendDocument" and document["text"] == "" and document["data"] == data


async def test_rate_limit_and_blocked_user_are_survived(fake: FakeBotApi, bot: Running) -> None:
    fake.fail_next("sendMessage", 429, retry_after=1)
    started = time.monotonic()
    await bot.channel.wait_processed(fake.push_text(USER, "/lienhe"))
    assert time.monotonic() - started >= 0.9
    assert "111" in fake.outbox(USER)[-1]["text"]
    fake.fail_next("sendMessage", 403)
    await bot.channel.wait_processed(fake.push_text(USER, "/help"))
    await bot.channel.wait_processed(fake.push_text(USER, "/help"))
    assert "Cách dùng" in fake.outbox(USER)[-1]["text"]
    assert not bot.task.done()


async def test_stop_finishes_in_flight_updates(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    running = await start_bot(framework, make_config(fake, tmp_path), engine)
    real_handle = running.channel.assistant.handle

    def slow(incoming: Incoming) -> Outcome:
        time.sleep(0.5)
        return real_handle(incoming)

    running.channel.assistant.handle = slow  # type: ignore[method-assign]
    fake.push_text(USER, "/lienhe")
    while not running.channel.front.inflight:
        await asyncio.sleep(0.01)
    await running.stop()
    assert "111" in fake.outbox(USER)[-1]["text"]


async def test_stop_keeps_its_deadline_when_the_bot_api_stops_answering(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    """An update is in hand when the Bot API goes silent (connections taken, never answered) and
    SIGTERM's stop arrives: the channel is down within the 10 s the service manager is promised."""
    running = await start_bot(framework, make_config(fake, tmp_path), engine)
    real_handle = running.channel.assistant.handle

    def slow(incoming: Incoming) -> Outcome:
        time.sleep(0.3)
        return real_handle(incoming)

    running.channel.assistant.handle = slow  # type: ignore[method-assign]
    fake.push_text(USER, "/lienhe")
    while not running.channel.front.inflight:
        await asyncio.sleep(0.01)
    fake.stall()
    started = time.monotonic()
    try:
        await asyncio.wait_for(running.stop(), 30)
    finally:
        running.channel.assistant.store.close()
    assert time.monotonic() - started <= 10
    assert running.task.done() and running.task.exception() is None


async def test_webhook_checks_the_secret(framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine) -> None:
    secret = "webhook-Secret_42"
    config = make_config(
        fake,
        tmp_path,
        BOT_WEBHOOK_URL="https://bot.example.test/tg/hook",
        BOT_WEBHOOK_SECRET=secret,
        BOT_WEBHOOK_PORT="0",
    )
    running = await start_bot(framework, config, engine)
    try:
        assert fake.webhook == {"url": "https://bot.example.test/tg/hook", "secret_token": secret}
        url = f"http://127.0.0.1:{running.channel.webhook_port}/tg/hook"
        update = fake.text_update(USER, "/lienhe")
        async with aiohttp.ClientSession() as http:
            for wrong in ({"X-Telegram-Bot-Api-Secret-Token": "guess"}, {}):
                async with http.post(url, json=update, headers=wrong) as response:
                    assert response.status == 403
            await asyncio.sleep(0.2)
            assert fake.outbox(USER) == []
            assert "sendMessage" not in fake.methods()
            right = {"X-Telegram-Bot-Api-Secret-Token": secret}
            async with http.post(url, data=b"not json", headers=right) as response:
                assert response.status == 400
            async with http.post(url, json=update, headers=right) as response:
                assert response.status == 200
            await running.channel.wait_processed(update["update_id"])
            assert "111" in fake.outbox(USER)[-1]["text"]
            sent = len(fake.outbox(USER))
            async with http.post(url, json=update, headers=right) as response:  # Telegram retries
                assert response.status == 200
            await running.channel.wait_processed(update["update_id"], times=2)
            assert len(fake.outbox(USER)) == sent
            # A press arriving by webhook edits the pressed message, as with polling.
            menu = fake.text_update(USER, "/menu")
            async with http.post(url, json=menu, headers=right) as response:
                assert response.status == 200
            await running.channel.wait_processed(menu["update_id"])
            shown = fake.outbox(USER)[-1]
            press = fake.push_callback(USER, pick_button(shown["buttons"], "Trắc nghiệm"), shown["message_id"])
            async with http.post(url, json=fake.last_update(), headers=right) as response:
                assert response.status == 200
            await running.channel.wait_processed(press)
            assert fake.outbox(USER)[-1]["method"] == "editMessageText"
            assert fake.answered == fake.callbacks
        assert "getUpdates" not in fake.methods()
    finally:
        await running.stop()


async def test_token_and_message_text_never_logged(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    running = await start_bot(framework, make_config(fake, tmp_path), engine)
    try:
        chat = Chat(fake, running)
        fake.fail_next("sendMessage", 400, f"Bad Request: bot{TOKEN} said no")
        await chat.send("con tôi bị lộ ảnh riêng tư")
        await chat.send("/menu")
        fake.fail_next("editMessageText", 400, "Bad Request: message can't be edited")
        await chat.press("Liên hệ")
        try:
            raise RuntimeError(f"GET {fake.base}/bot{TOKEN.replace(':', '%3A')}/getMe failed")
        except RuntimeError:
            logging.getLogger("aiohttp.client").exception("request to bot%s failed", TOKEN)
    finally:
        await running.stop()
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert caplog.records
    assert "<TOKEN>" in logged
    assert TOKEN not in logged and TOKEN.split(":")[1] not in logged and "%3A" + TOKEN.split(":")[1] not in logged
    info_and_up = "".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "lộ ảnh" not in info_and_up


async def test_rejected_token_stops_with_a_clear_error(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "987654321:AAwrong-token-never-to-be-logged"
    config = make_config(fake, tmp_path, TELEGRAM_BOT_TOKEN=wrong)
    channel = channel_class(framework)(config, Assistant(engine, SqliteStore(config.database)), polling_timeout=1)
    try:
        with pytest.raises(Unauthorized) as raised:
            await asyncio.wait_for(channel.run(), 10)
    finally:
        channel.assistant.store.close()
    assert wrong not in str(raised.value) and wrong not in caplog.text
    assert not channel.ready.is_set() and "getUpdates" not in fake.methods()


def test_helpers_without_telegram() -> None:
    text = "Đoạn một.\n\n" + "chữ " * 1500 + "\n\n" + "x" * 5000
    pieces = split_text(text)
    assert all(telegram_length(p) <= 4096 for p in pieces)
    assert pieces[0] == "Đoạn một." or pieces[0].startswith("Đoạn một.")
    assert "".join(pieces).replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")
    assert split_text("ngắn") == ["ngắn"]
    now = [0.0]
    limiter = FloodLimiter(2, 60, clock=lambda: now[0])
    assert [limiter.check("u") for _ in range(5)] == ["ok", "ok", "notice", "drop", "drop"]
    now[0] = 61
    assert limiter.check("u") == "ok"
    dedup = UpdateDedup(size=2)
    assert [dedup.first_time(i) for i in (1, 1, 2, 3, 1)] == [True, False, True, True, True]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "url %s", ("/bot12%3Aabc/getMe",), None)
    TokenRedactor("12:abc").filter(record)
    assert record.getMessage() == "url /bot<TOKEN>/getMe"
    with redact_secrets("12:abc"):
        made = logging.getLogger("x").makeRecord("x", logging.INFO, __file__, 1, "t=%s", ("12:abc",), None)
    assert made.getMessage() == "t=<TOKEN>"


# --- the real command line: `python -m bot run`, switched between libraries, stopped by SIGTERM --


async def _until(check: Callable[[], Any], what: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Process:
    """`python -m bot run` in a subprocess, driven through the fake server (no in-process hooks)."""

    fake: FakeBotApi
    framework: str
    cwd: Path
    extra: dict[str, str] = field(default_factory=dict)
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        env = {
            **clean_env(),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE": self.fake.base,
            "BOT_FRAMEWORK": self.framework,
            "BOT_DATA_DIR": str(self.cwd / "data"),
            "BOT_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
            "BOT_FLOWS_DIR": str(ROOT / "flows"),
            "PYTHONPATH": str(ROOT),
            **self.extra,
        }
        polls = self.fake.get_updates_calls
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=self.cwd,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await _until(lambda: self.fake.get_updates_calls > polls, f"{self.framework} to poll", 20)

    async def sigterm(self) -> str:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(self.process.communicate(), 15)
        assert self.process.returncode == 0, stderr.decode()
        return stderr.decode()

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()


async def _act(fake: FakeBotApi, push: Callable[[], int], expect: str) -> dict[str, Any]:
    """Push one update and wait for the bot's answer containing `expect`; returns that event."""
    before = len(fake.outbox(USER))
    push()
    return await _until(
        lambda: next((e for e in fake.outbox(USER)[before:] if expect in e["text"]), None), repr(expect)
    )


async def test_cli_switches_library_mid_quiz_and_stops_on_sigterm(fake: FakeBotApi, tmp_path: Path) -> None:
    keyboard: dict[str, Any] = {}

    async def press(fragment: str, expect: str) -> None:
        payload = pick_button(keyboard["buttons"], fragment)
        event = await _act(fake, lambda: fake.push_callback(USER, payload, keyboard["message_id"]), expect)
        keyboard.update(event)

    first, second = Process(fake, "aiogram", tmp_path), Process(fake, "ptb", tmp_path)
    try:
        await first.start()
        keyboard.update(await _act(fake, lambda: fake.push_text(USER, "/start"), "là ai"))
        expected = ("độ tuổi", "tổ dân phố", "Menu chính", "bộ trắc nghiệm", "Câu 1/12", "Câu 2/12")
        for fragment, expect in zip(QUIZ_START, expected):
            await press(fragment, expect)
        await press("A", "Câu 3/12")
        stderr = await first.sigterm()
        assert "Telegram (aiogram): long polling" in stderr and TOKEN not in stderr

        await second.start()  # BOT_FRAMEWORK=ptb, same data directory
        quiz_message, sent = keyboard["message_id"], len(fake.outbox(USER))
        await press("A", "Câu 4/12")
        assert [e["message_id"] for e in fake.outbox(USER)[sent:] if e["method"] == "editMessageText"] == [quiz_message]
        stderr = await second.sigterm()
        assert "Telegram (ptb): long polling" in stderr
        assert TOKEN not in stderr and TOKEN.split(":")[1] not in stderr
    finally:
        await first.kill()
        await second.kill()


@pytest.mark.parametrize("library", FRAMEWORKS)
async def test_cli_sigterm_exits_in_time_with_the_bot_api_silent(
    library: str, fake: FakeBotApi, tmp_path: Path
) -> None:
    """`python -m bot run` holds a reply it cannot send (the Bot API takes connections and never
    answers) when SIGTERM comes: exit 0 within 10 s, not minutes of retries."""
    process = Process(fake, library, tmp_path)
    try:
        await process.start()
        await _act(fake, lambda: fake.push_text(USER, "/help"), "Cách dùng")
        fake.stall()
        sends = sum(method == "sendMessage" for method, _ in fake.calls)
        fake.push_text(USER, "/lienhe")
        await _until(lambda: sum(m == "sendMessage" for m, _ in fake.calls) > sends, "the reply to be attempted")
        started = time.monotonic()
        stderr = await process.sigterm()
        assert time.monotonic() - started <= 10, stderr
        assert "Stopping:" in stderr, "the log says what was cut short"
    finally:
        await process.kill()


def test_cli_refuses_an_unknown_framework(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    monkeypatch.chdir(tmp_path)
    for name, value in {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "BOT_FRAMEWORK": "telebot",
        "BOT_DATA_DIR": str(tmp_path / "data"),
        "BOT_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "BOT_FLOWS_DIR": str(ROOT / "flows"),
    }.items():
        monkeypatch.setenv(name, value)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "telebot" in err and "aiogram" in err and "ptb" in err and TOKEN not in err


# --- the one process runner (bot.serve) around either library ---------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _handlers_installed(*signals: signal.Signals) -> bool:
    """The runner's handlers are in place (so a signal sent to this very process cannot kill it)."""
    return all(
        signal.getsignal(sig) not in (signal.SIG_DFL, signal.SIG_IGN, signal.default_int_handler) for sig in signals
    )


async def _web_says(base: str, text: str) -> str:
    """One new web visitor sends `text`; all reply texts, joined."""
    async with aiohttp.ClientSession() as http, http.post(f"{base}/api/message", json={"text": text}) as response:
        assert response.status == 200, await response.text()
        return "\n".join(reply["text"] for reply in (await response.json())["replies"])


async def test_runner_explains_start_up_failures(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    """What `python -m bot run` prints and returns when it cannot start: one Vietnamese line and an
    exit code (1: token or Telegram, 2: a port), never a traceback or the token."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    cases = [
        ({"TELEGRAM_BOT_TOKEN": "987654321:AAwrong-token-never-to-be-logged"}, 1, UNAUTHORIZED_MESSAGE),
        ({"TELEGRAM_BOT_TOKEN": "not-a-token"}, 1, UNAUTHORIZED_MESSAGE),
        ({"TELEGRAM_API_BASE": f"http://127.0.0.1:{_free_port()}"}, 1, OFFLINE_MESSAGE.split("(")[0]),
        (
            {
                "BOT_WEBHOOK_URL": "https://bot.example.test/tg/hook",
                "BOT_WEBHOOK_SECRET": "s3cret",
                "BOT_WEBHOOK_PORT": str(busy.getsockname()[1]),
            },
            2,
            f"Cổng {busy.getsockname()[1]} đang được một chương trình khác dùng. Hãy tắt chương trình đó hoặc "
            f"chọn cổng khác, ví dụ: BOT_WEBHOOK_PORT={busy.getsockname()[1] + 1}",
        ),
        (
            {"BOT_WEBHOOK_URL": "https://bot.example.test/tg/hook", "BOT_WEBHOOK_PORT": "0"},
            1,
            "Telegram từ chối khi khởi động (%sbad webhook: failed to resolve host",
        ),
    ]
    fake.fail_next("setWebhook", 400, "Bad Request: bad webhook: Failed to resolve host: Name or service not known")
    try:
        for extra, code, message in cases:
            config = make_config(fake, tmp_path, BOT_FRAMEWORK=framework, **extra)
            assistant = Assistant(engine, SqliteStore(config.database), config.idle_seconds)
            try:
                # In a worker thread, as `python -m bot run` does it (its own event loop), while
                # the fake Bot API keeps serving in this one.
                assert await asyncio.wait_for(asyncio.to_thread(run, config, assistant, plan(config)), 20) == code
            finally:
                assistant.store.close()
            err = capsys.readouterr().err
            # Each library words Telegram's own reason its way ("Bad Request: bad webhook…", "Bad webhook…").
            assert all(part.lower() in err.lower() for part in message.split("%s")), (extra, err)
            assert "Traceback" not in err
            assert config.token not in err
    finally:
        busy.close()


async def test_sigterm_lets_telegram_and_the_web_chat_finish_what_they_hold(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    """One process, both channels (BOT_WEB_CHAT=on): SIGTERM arrives while a Telegram update and a
    web message are being answered; both answers still go out, then the runner returns 0."""
    config = make_config(fake, tmp_path, BOT_FRAMEWORK=framework, BOT_WEB_CHAT="on", BOT_WEB_PORT="0")
    assistant = Assistant(engine, SqliteStore(config.database), config.idle_seconds, config=config)
    channel = channel_class(framework)(config, assistant, polling_timeout=1)
    out = io.StringIO()
    served = asyncio.create_task(serve(config, assistant, [channel], web=True, out=out))
    try:
        await _until(lambda: out.getvalue().count("\n") == 2 or served.done(), "both channels to start")
        assert f"Telegram ({framework}, long polling)" in out.getvalue()
        web_base = out.getvalue().split("Trò chuyện trên web: ")[1].split()[0].rstrip("/")
        real_handle, taken = assistant.handle, []

        def slow(incoming: Incoming) -> Outcome:
            taken.append(incoming.user_key)
            time.sleep(0.4)
            return real_handle(incoming)

        assistant.handle = slow  # type: ignore[method-assign]
        fake.push_text(USER, "/lienhe")
        web_answer = asyncio.create_task(_web_says(web_base, "/lienhe"))
        await _until(lambda: len(taken) == 2, "both messages to be in hand")
        assert _handlers_installed(signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(served, 15) == 0
        assert "111" in await web_answer
        assert "111" in fake.outbox(USER)[-1]["text"]
        assert not _handlers_installed(signal.SIGTERM), "the runner gives the signals back when done"
    finally:
        if not served.done():
            channel.request_stop()
            served.cancel()
        assistant.store.close()


async def test_cli_serves_telegram_and_web_chat_reloads_on_sighup_and_stops_on_sigterm(
    framework: str, fake: FakeBotApi, tmp_path: Path
) -> None:
    """`python -m bot run` with a token and BOT_WEB_CHAT=on, for each library: one service answers on
    Telegram and on the web; SIGHUP swaps in edited content for both, and keeps it when the next
    edit is broken; one SIGTERM stops both with exit code 0; neither the token nor a message is logged."""
    knowledge, flows = copy_content(tmp_path)
    port = _free_port()
    extra = {
        "BOT_WEB_CHAT": "on",
        "BOT_WEB_PORT": str(port),
        "BOT_KNOWLEDGE_DIR": str(knowledge),
        "BOT_FLOWS_DIR": str(flows),
    }
    bot = Process(fake, framework, tmp_path, extra)
    logged: list[str] = []

    async def until_logged(fragment: str) -> str:
        assert bot.process is not None and bot.process.stderr is not None
        while fragment not in "".join(logged):
            line = await asyncio.wait_for(bot.process.stderr.readline(), 30)
            assert line, f"the bot ended before logging {fragment!r}:\n{''.join(logged)}"
            logged.append(line.decode())
        return "".join(logged)

    async def both_say(fragment: str) -> None:
        assert fragment in await _web_says(f"http://127.0.0.1:{port}", "/lienhe")
        await _act(fake, lambda: fake.push_text(USER, "/lienhe"), fragment)

    try:
        await bot.start()
        assert bot.process is not None and bot.process.stdout is not None
        shown = [(await asyncio.wait_for(bot.process.stdout.readline(), 20)).decode() for _ in range(2)]
        assert any(f"Telegram ({framework}, long polling)" in line for line in shown), shown
        assert any(f"Trò chuyện trên web: http://127.0.0.1:{port}/" in line for line in shown), shown
        await both_say(OLD_NAME)

        rename_contact(knowledge)
        bot.process.send_signal(signal.SIGHUP)
        await until_logged("Đã nạp lại nội dung")
        await both_say(NEW_NAME)

        break_menu(flows)
        bot.process.send_signal(signal.SIGHUP)
        log = await until_logged("contactz")
        assert "vẫn dùng nội dung cũ" in log and "menu.yaml:" in log
        await both_say(NEW_NAME)  # still the last good content

        stderr = "".join(logged) + await bot.sigterm()
        assert TOKEN not in stderr and TOKEN.split(":")[1] not in stderr and "/lienhe" not in stderr
    finally:
        await bot.kill()


@pytest.mark.parametrize(
    ("telegram", "web"),
    [("aiogram", False), ("ptb", False), ("aiogram", True), ("ptb", True), (None, True)],
    ids=["aiogram", "ptb", "aiogram+web", "ptb+web", "web"],
)
async def test_the_runner_keeps_house_and_counts_every_channel_anonymously(
    telegram: str | None, web: bool, fake: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    """Whatever channels `python -m bot run` serves, the housekeeping sweep runs beside them: a day
    that ended while the assistant was down is closed at start-up (its digests collapsed into a
    count, its key replaced), and Telegram users and web visitors are counted by day, never by id."""
    config = make_config(fake, tmp_path, BOT_WEB_CHAT="on" if web else "off", BOT_WEB_PORT="0")
    if telegram is None:
        config = Config.load(env={**config.values, "TELEGRAM_BOT_TOKEN": ""}, dotenv=None)
    assistant = Assistant(engine, SqliteStore(config.database), config.idle_seconds, config=config)
    store = assistant.store
    today = assistant.day()
    yesterday = (date.fromisoformat(today) - timedelta(days=1)).isoformat()
    store.stats.record([], Session(user_key="tg:1"), yesterday)  # someone came yesterday, then the bot stopped
    assert store.stats.daykey.stored_day() == yesterday
    channels = [channel_class(telegram)(config, assistant, polling_timeout=1)] if telegram else []
    out = io.StringIO()
    served = asyncio.create_task(serve(config, assistant, channels, web=web, out=out))
    try:
        await _until(lambda: out.getvalue().count("\n") == len(channels) + web or served.done(), "the channels")
        assert any(thread.name == "housekeeping" for thread in threading.enumerate()), "the sweep runs beside"
        assert store.db.execute("SELECT COUNT(*) FROM stats_visitors WHERE day < ?", [today]).fetchone()[0] == 0
        assert store.stats.daykey.stored_day() == today, "yesterday's key is gone"
        assert [row["users"] for row in store.stats.daily_users(yesterday, yesterday)] == [1]
        forbidden = ["tg:1"]
        if telegram:
            await _act(fake, lambda: fake.push_text(USER, "/lienhe"), "111")
            forbidden += [str(USER), f"tg:{USER}"]
        if web:
            web_base = out.getvalue().split("Trò chuyện trên web: ")[1].split()[0].rstrip("/")
            assert "111" in await _web_says(web_base, "/lienhe")
            sid = store.db.execute("SELECT user_key FROM sessions WHERE user_key LIKE 'web:%'").fetchone()[0]
            forbidden += [sid, sid.removeprefix("web:")]
        users_today = sum(row["users"] for row in store.stats.daily_users(today, today))
        assert users_today == bool(telegram) + web, "one Telegram user and one web visitor, each counted once"
        os.kill(os.getpid(), signal.SIGTERM)
        assert await asyncio.wait_for(served, 15) == 0
        assert not any(thread.name == "housekeeping" for thread in threading.enumerate()), "and stops with them"
    finally:
        if not served.done():
            for channel in channels:
                channel.request_stop()
            served.cancel()
        store.close()
    assert assert_anonymous(config.database, forbidden) > 10
