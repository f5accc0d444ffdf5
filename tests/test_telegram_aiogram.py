"""The aiogram channel end to end: the real bot, polling (or webhook) over real HTTP against a
local fake Bot API server, on a temporary data directory and the shipped knowledge/flows."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest

from bot.app import Assistant
from bot.channels.telegram_aiogram import AiogramChannel
from bot.channels.telegram_common import (
    FLOOD_NOTICE,
    GROUP_NOTICE,
    FloodLimiter,
    TokenRedactor,
    UpdateDedup,
    bot_commands,
    redact_secrets,
    split_text,
    telegram_length,
)
from bot.config import Config
from bot.content.loader import Content
from bot.core.engine import Engine
from bot.core.types import Incoming, Outcome, Reply
from bot.storage.sqlite import SqliteStore
from tests.conversation_runner import Seen, conversation_files, pick_button, run_conversation
from tests.fake_bot_api import FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAH-sEcReT_tOkEn-for-tests_0123456789"
USER = 5551


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = await FakeBotApi(TOKEN).start()
    yield api
    await api.stop()


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
    channel: AiogramChannel
    task: asyncio.Task[None]

    async def stop(self) -> None:
        await self.channel.stop(self.task)
        self.channel.assistant.store.close()


async def start_bot(config: Config, content: Content) -> Running:
    assistant = Assistant(
        Engine.build(content, seed=1), SqliteStore(config.database), config.idle_seconds, config=config
    )
    channel = AiogramChannel(config, assistant, polling_timeout=1)
    task = asyncio.create_task(channel.run())
    ready = asyncio.create_task(channel.ready.wait())
    await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    assert channel.ready.is_set(), "the bot did not start"
    return Running(channel, task)


@pytest.fixture
async def bot(fake: FakeBotApi, tmp_path: Path, content: Content) -> AsyncIterator[Running]:
    running = await start_bot(make_config(fake, tmp_path), content)
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


@pytest.mark.parametrize("path", conversation_files(), ids=lambda p: p.stem)
async def test_conversation_over_telegram(path: Path, fake: FakeBotApi, bot: Running, content: Content) -> None:
    chat = Chat(fake, bot)
    await run_conversation(path, chat.send, chat.press)
    assert fake.callbacks, "the conversation pressed no button"
    assert fake.answered == fake.callbacks, "every button press must be answered"
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


async def test_restart_mid_quiz_resumes(fake: FakeBotApi, tmp_path: Path, content: Content) -> None:
    config = make_config(fake, tmp_path)
    first = await start_bot(config, content)
    chat = Chat(fake, first)
    for step in ("/start",):
        await chat.send(step)
    for fragment in ("Phụ huynh", "11–14", "Bỏ qua", "Trắc nghiệm", "Phụ huynh và an toàn số", "A", "A"):
        await chat.press(fragment)
    assert "Câu 3/12" in fake.outbox(USER)[-1]["text"]
    await first.stop()

    second = await start_bot(config, content)
    try:
        chat.running = second
        seen = await chat.press("A")
        assert any("Câu 4/12" in message.text for message in seen), seen
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


async def test_one_users_updates_are_handled_in_order(fake: FakeBotApi, bot: Running) -> None:
    ids = [fake.push_text(USER, text) for text in ("/help", "/lienhe", "/help")]
    for update_id in ids:
        await bot.channel.wait_processed(update_id)
    texts = [event["text"] for event in fake.outbox(USER)]
    assert [t.split()[1] for t in texts] == ["Cách", "Khi", "Cách"]


async def test_flood_gets_one_notice(fake: FakeBotApi, tmp_path: Path, content: Content) -> None:
    running = await start_bot(make_config(fake, tmp_path, BOT_FLOOD_PER_MINUTE="3"), content)
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


async def test_stop_finishes_in_flight_updates(fake: FakeBotApi, tmp_path: Path, content: Content) -> None:
    running = await start_bot(make_config(fake, tmp_path), content)
    real_handle = running.channel.assistant.handle

    def slow(incoming: Incoming) -> Outcome:
        time.sleep(0.5)
        return real_handle(incoming)

    running.channel.assistant.handle = slow  # type: ignore[method-assign]
    fake.push_text(USER, "/lienhe")
    while not running.channel._inflight:
        await asyncio.sleep(0.01)
    await running.stop()
    assert "111" in fake.outbox(USER)[-1]["text"]


async def test_webhook_checks_the_secret(fake: FakeBotApi, tmp_path: Path, content: Content) -> None:
    secret = "webhook-Secret_42"
    config = make_config(
        fake,
        tmp_path,
        BOT_WEBHOOK_URL="https://bot.example.test/tg/hook",
        BOT_WEBHOOK_SECRET=secret,
        BOT_WEBHOOK_PORT="0",
    )
    running = await start_bot(config, content)
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
            async with http.post(url, json=update, headers=right) as response:
                assert response.status == 200
            await running.channel.wait_processed(update["update_id"])
            assert "111" in fake.outbox(USER)[-1]["text"]
            sent = len(fake.outbox(USER))
            async with http.post(url, json=update, headers=right) as response:  # Telegram retries
                assert response.status == 200
            await running.channel.wait_processed(update["update_id"], times=2)
            assert len(fake.outbox(USER)) == sent
    finally:
        await running.stop()


async def test_token_and_message_text_never_logged(
    fake: FakeBotApi, tmp_path: Path, content: Content, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    running = await start_bot(make_config(fake, tmp_path), content)
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


async def test_cli_runs_telegram_and_stops_on_sigterm(fake: FakeBotApi, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE": fake.base,
        "BOT_DATA_DIR": str(tmp_path / "data"),
        "BOT_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "BOT_FLOWS_DIR": str(ROOT / "flows"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        for _ in range(200):
            if fake.get_updates_calls:
                break
            await asyncio.sleep(0.05)
        assert fake.get_updates_calls, "the bot never polled"
        update_id = fake.push_text(USER, "/lienhe")
        for _ in range(100):
            if fake.outbox(USER):
                break
            await asyncio.sleep(0.05)
        assert update_id and "111" in fake.outbox(USER)[-1]["text"]
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 15)
        assert process.returncode == 0, stderr.decode()
        assert TOKEN not in stderr.decode()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    ptb = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "BOT_FRAMEWORK": "ptb"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(ptb.communicate(), 15)
    assert ptb.returncode == 2 and "ptb" in stderr.decode()
