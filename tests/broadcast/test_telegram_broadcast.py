"""Broadcasts through the real aiogram bot against the fake Bot API: a staff member composes with a
photo in Telegram and gets the delivery report; residents keep chatting while it goes out; and
`python -m bot run` sends what another process queued."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.broadcast.service import BroadcastService
from bot.broadcast.staff import REFUSAL
from bot.broadcast.texts import FOOTER
from bot.channels.aiogram_transport import AiogramTransport
from bot.channels.telegram_common import NOT_TEXT_NOTICE
from bot.content.loader import Content
from bot.storage.sqlite import SqliteStore
from tests.broadcast.helpers import broadcast, seed
from tests.fake_bot_api import FakeBotApi
from tests.test_telegram_aiogram import TOKEN, Chat, Running, make_config, start_bot

ROOT = Path(__file__).resolve().parents[2]
ADMIN, RESIDENT = 9001, 5552


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    api = await FakeBotApi(TOKEN).start()
    yield api
    await api.stop()


async def _with_service(fake: FakeBotApi, tmp_path: Path, content: Content, **extra: str):
    config = make_config(fake, tmp_path, BOT_ADMIN_IDS=f"{ADMIN}, 123", **extra)
    running = await start_bot(config, content)
    service = BroadcastService.from_config(config, AiogramTransport.from_config(config))
    service.poll = 0.05
    task = asyncio.create_task(service.run())
    return running, service, task


async def _stop(running: Running, service: BroadcastService, task: asyncio.Task[None]) -> None:
    service.request_stop()
    await task
    await service.close()
    await running.stop()


async def _until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_staff_send_a_photo_from_telegram_and_get_the_report(
    fake: FakeBotApi, tmp_path: Path, content: Content
) -> None:
    running, service, task = await _with_service(fake, tmp_path, content)
    try:
        chats = seed(running.channel.assistant.store, 4)  # type: ignore[arg-type]
        resident = Chat(fake, running, user=RESIDENT)
        assert [seen.text for seen in await resident.send("/thongbao")] == [REFUSAL]
        before = len(fake.outbox(RESIDENT))
        await running.channel.wait_processed(fake.push_media(RESIDENT, "photo"))
        assert [e["text"] for e in fake.outbox(RESIDENT)[before:]] == [NOT_TEXT_NOTICE]

        staff = Chat(fake, running, user=ADMIN)
        assert "Soạn thông báo" in (await staff.send("/thongbao"))[0].text
        caption = "Áp phích Ngày hội thiếu nhi <Chủ nhật> & *miễn phí*"
        before = len(fake.outbox(ADMIN))
        update = fake.push_media(ADMIN, "photo", caption)
        largest = fake.last_update()["message"]["photo"][-1]["file_id"]
        seen = await staff._settle(update, before)
        assert "loại tin" in seen[0].text
        await staff.press("Thông báo của phường")
        preview = await staff.press("Xem trước")
        assert preview[-2].text == caption + FOOTER and "Số người nhận: 4" in preview[-1].text
        assert "Kèm một ảnh" in preview[-1].text
        await staff.press("Gửi ngay")
        await _until(lambda: len(fake.delivered) >= 4 and any("đã gửi xong" in e["text"] for e in fake.outbox(ADMIN)))
    finally:
        await _stop(running, service, task)
    photos = [fake.outbox(chat)[-1] for chat in chats]
    assert {p["method"] for p in photos} == {"sendPhoto"} and {p["text"] for p in photos} == {caption + FOOTER}
    assert {p["file_id"] for p in photos} == {largest}, "the staff's own photo, largest size, no upload"
    assert fake.uploads == 0
    report = fake.outbox(ADMIN)[-1]["text"]
    assert "Đã nhận: 4" in report and "Còn chờ: 0" in report
    status = "\n".join(e["text"] for e in fake.outbox(ADMIN))
    assert "Đã xếp hàng thông báo #1 cho 4 người" in status


async def test_chat_stays_responsive_while_a_broadcast_goes_out(
    fake: FakeBotApi, tmp_path: Path, content: Content
) -> None:
    running, service, task = await _with_service(fake, tmp_path, content, BOT_BROADCAST_RATE="100")
    try:
        store = running.channel.assistant.store
        chats = seed(store, 200)  # type: ignore[arg-type]
        broadcast(store)  # type: ignore[arg-type]
        await _until(lambda: len(fake.delivered) >= 20)
        resident = Chat(fake, running, user=RESIDENT)
        latencies = []
        for text in ("/lienhe", "con tôi bị bắt nạt trên mạng", "/help"):
            started = time.monotonic()
            seen = await resident.send(text)
            latencies.append(time.monotonic() - started)
            assert seen
        assert len(fake.delivered) < 200, "the broadcast was still going"
        assert max(latencies) < 1.0, latencies
        await _until(lambda: len(fake.delivered) >= 200, timeout=15)
    finally:
        await _stop(running, service, task)
    assert all(fake.delivered[chat] == 1 for chat in chats)


async def test_the_running_assistant_sends_what_another_process_queued(fake: FakeBotApi, tmp_path: Path) -> None:
    data = tmp_path / "data"
    store = SqliteStore(data / "antoanso.sqlite3")
    chats = seed(store, 5)
    broadcast(store, "Xếp hàng từ dòng lệnh khi trợ lý chưa chạy")
    store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=fake.base,
        BOT_DATA_DIR=str(data),
        BOT_KNOWLEDGE_DIR=str(ROOT / "knowledge"),
        BOT_FLOWS_DIR=str(ROOT / "flows"),
        PYTHONPATH=str(ROOT),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await _until(lambda: len(fake.delivered) >= 5, timeout=60)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    assert sorted(fake.delivered) == chats
    assert "Xếp hàng từ dòng lệnh" not in stderr.decode(), "message text is not logged"
