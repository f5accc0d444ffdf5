"""Broadcasts through the real bot – aiogram and python-telegram-bot, by parametrisation – run by
the one process runner (`bot.serve`, as `python -m bot run` does) against the fake Bot API: staff
compose with a photo or a document in Telegram and get the delivery report; a 403 makes a
subscriber inactive and a 429 pauses the sender; residents keep chatting while it goes out; and
`python -m bot run` sends what `python -m bot broadcast` queued."""

from __future__ import annotations

import asyncio
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.app import Assistant
from bot.broadcast.outbox import Outbox
from bot.broadcast.staff import REFUSAL
from bot.broadcast.texts import FOOTER
from bot.channels.telegram_common import NOT_TEXT_NOTICE, channel_class
from bot.core.engine import Engine
from bot.serve import serve
from bot.storage.sqlite import SqliteStore
from tests.broadcast.helpers import broadcast, seed
from tests.fake_bot_api import FakeBotApi
from tests.subprocess_env import clean_env
from tests.test_telegram_channels import TOKEN, Chat, Process, Running, make_config

ROOT = Path(__file__).resolve().parents[2]
ADMIN, RESIDENT = 9001, 5552


async def _until(condition: Callable[[], Any], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def _serve(framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine, **extra: str) -> Running:
    """The bot as `python -m bot run` runs it: the channel of `framework` under `bot.serve`, with
    the broadcast service beside it, on a real SQLite file."""
    config = make_config(fake, tmp_path, BOT_FRAMEWORK=framework, BOT_ADMIN_IDS=f"{ADMIN}, 123", **extra)
    assistant = Assistant(engine, SqliteStore(config.database), config.idle_seconds, config=config)
    channel = channel_class(framework)(config, assistant, polling_timeout=1)
    served = asyncio.create_task(serve(config, assistant, [channel], web=False, out=io.StringIO()))
    await _until(lambda: channel.ready.is_set() or served.done())
    assert not served.done(), served.result()
    return Running(channel, served)


def _store(running: Running) -> SqliteStore:
    return running.channel.assistant.store  # type: ignore[return-value]


async def test_staff_send_a_photo_from_telegram_and_get_the_report(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    running = await _serve(framework, fake, tmp_path, engine)
    try:
        chats = seed(_store(running), 4)
        resident = Chat(fake, running, user=RESIDENT)
        assert [seen.text for seen in await resident.send("/thongbao")] == [REFUSAL]
        before = len(fake.outbox(RESIDENT))
        await running.channel.wait_processed(fake.push_media(RESIDENT, "photo"))
        assert [e["text"] for e in fake.outbox(RESIDENT)[before:]] == [NOT_TEXT_NOTICE], (
            "a resident's photo is not taken"
        )

        staff = Chat(fake, running, user=ADMIN)
        assert "Soạn thông báo" in (await staff.send("/thongbao"))[0].text
        caption = "Áp phích Ngày hội thiếu nhi <Chủ nhật> & *miễn phí*"
        before = len(fake.outbox(ADMIN))
        update = fake.push_media(ADMIN, "photo", caption)
        largest = fake.last_update()["message"]["photo"][-1]["file_id"]
        assert "loại tin" in (await staff._settle(update, before))[0].text
        await staff.press("Thông báo của phường")
        preview = await staff.press("Xem trước")
        assert preview[-2].text == caption + FOOTER and "Số người nhận: 4" in preview[-1].text
        assert "Kèm một ảnh" in preview[-1].text
        await staff.press("Gửi ngay")
        await _until(lambda: any("#1 đã gửi xong" in e["text"] for e in fake.outbox(ADMIN)))

    finally:
        await running.stop()
    photos = [fake.outbox(chat)[-1] for chat in chats]
    assert {p["method"] for p in photos} == {"sendPhoto"} and {p["text"] for p in photos} == {caption + FOOTER}
    assert {p["file_id"] for p in photos} == {largest}, "the staff's own photo, largest size, no upload"
    assert fake.uploads == 0
    report = next(e["text"] for e in fake.outbox(ADMIN) if "#1 đã gửi xong" in e["text"])
    assert "Đã nhận: 4" in report and "Còn chờ: 0" in report
    assert any("Đã xếp hàng thông báo #1 cho 4 người" in e["text"] for e in fake.outbox(ADMIN))


async def test_a_staff_document_reaches_subscribers_by_file_id(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    running = await _serve(framework, fake, tmp_path, engine)
    try:
        chats = seed(_store(running), 2, kinds=("activities",))
        staff = Chat(fake, running, user=ADMIN)
        await staff.send("/thongbao")
        before = len(fake.outbox(ADMIN))
        update = fake.push_media(ADMIN, "document", "Lịch sinh hoạt hè", name="lich-he.pdf")
        file_id = fake.last_update()["message"]["document"]["file_id"]
        await staff._settle(update, before)
        await staff.press("Nhắc hoạt động")
        assert "Số người nhận: 2" in (await staff.press("Xem trước"))[-1].text
        await staff.press("Gửi ngay")
        await _until(lambda: any("đã gửi xong" in e["text"] for e in fake.outbox(ADMIN)))
    finally:
        await running.stop()
    sent = [fake.outbox(chat)[-1] for chat in chats]
    assert {(e["method"], e["file_id"], e["text"]) for e in sent} == {
        ("sendDocument", file_id, "Lịch sinh hoạt hè" + FOOTER)
    }


async def test_blocked_subscribers_become_inactive_and_a_429_pauses_the_sender(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    running = await _serve(framework, fake, tmp_path, engine)
    store = _store(running)
    try:
        *others, blocked = seed(store, 6)
        fake.blocked_chats.add(blocked)
        fake.fail_next("sendMessage", 429, retry_after=1)
        first = broadcast(store, "Lần một")
        outbox = Outbox(store)
        await _until(lambda: outbox.status(first) == "done")
        sends = [(t, p) for (m, p), t in zip(fake.calls, fake.call_times) if m == "sendMessage"]
        refused_at, refused = sends[0]
        assert not [p for t, p in sends if refused_at + 0.05 < t < refused_at + 0.95], "nothing is tried in the pause"
        assert fake.send_times[0] - refused_at >= 0.95
        assert list(fake.delivered)[0] == int(refused["chat_id"]), "the refused message goes first after the pause"
        assert sorted(fake.delivered) == others and set(fake.delivered.values()) == {1}
        kept = outbox.subscriptions.get(f"tg:{blocked}")
        assert kept is not None and not kept.active and kept.inactive_reason == "blocked"
        progress = outbox.progress(first)
        assert (progress.sent, progress.blocked) == (5, 1)

        calls = len(fake.calls)
        second = broadcast(store, "Lần hai")
        await _until(lambda: outbox.status(second) == "done")
        tried = {int(p["chat_id"]) for m, p in fake.calls[calls:] if m == "sendMessage"}
        assert tried == set(others), "an inactive subscriber is not even tried"
    finally:
        await running.stop()


async def test_chat_stays_responsive_while_a_broadcast_goes_out(
    framework: str, fake: FakeBotApi, tmp_path: Path, engine: Engine
) -> None:
    running = await _serve(framework, fake, tmp_path, engine, BOT_BROADCAST_RATE="100")
    try:
        store = _store(running)
        chats = seed(store, 200)
        broadcast(store)
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
        await _until(lambda: len(fake.delivered) >= 201, timeout=15)
    finally:
        await running.stop()
    assert all(fake.delivered[chat] == 1 for chat in chats)


async def test_the_running_assistant_sends_what_the_command_line_queued(
    framework: str, fake: FakeBotApi, tmp_path: Path
) -> None:
    """`python -m bot run` (either library) is running; the IT contractor queues a broadcast with
    `python -m bot broadcast`, which sees the running sender, only follows, and prints the report;
    SIGTERM then stops the bot cleanly, and no message text reaches the log."""
    data = tmp_path / "data"
    store = SqliteStore(data / "antoanso.sqlite3")
    chats = seed(store, 5)
    store.close()
    bot = Process(fake, framework, tmp_path)
    try:
        await bot.start()
        env = clean_env()
        env.update(BOT_DATA_DIR=str(data), BOT_FLOWS_DIR=str(ROOT / "flows"), PYTHONPATH=str(ROOT))
        command = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "broadcast", "--text", "Xếp hàng từ dòng lệnh", "--yes"),
            cwd=tmp_path,
            env=env,  # no token: only the running assistant can send it
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(command.communicate(), 60)
        assert command.returncode == 0, err.decode()
        assert "Trợ lý đang chạy và sẽ gửi" in out.decode() and "Đã nhận: 5" in out.decode()
        stderr = await bot.sigterm()
    finally:
        await bot.kill()
    assert sorted(fake.delivered) == chats
    assert "Xếp hàng từ dòng lệnh" not in stderr, "message text is not logged"
    assert TOKEN not in stderr
