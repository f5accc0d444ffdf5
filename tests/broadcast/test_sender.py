"""The broadcast sender end to end: real SQLite outbox, the channels' own transport of each library
(aiogram and python-telegram-bot, by parametrisation) over HTTP to the local fake Bot API (which
enforces Telegram's flood control when asked)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.broadcast.outbox import Outbox
from bot.storage.sqlite import SqliteStore
from bot.storage.subscriptions import Segment
from tests.broadcast.helpers import broadcast, seed, send_all, service
from tests.fake_bot_api import FakeBotApi, max_in_window
from tests.stats.helpers import assert_anonymous


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "antoanso.sqlite3"


@pytest.fixture
def store(path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore(path)
    yield opened
    opened.close()


async def test_everyone_gets_it_once_paced_and_as_typed(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore
) -> None:
    fake.rate_limit = 40
    chats = seed(store, 120)
    text = "Họp phụ huynh <b>19:30</b> & *đúng giờ* _nhé_ <script>"
    broadcast_id = broadcast(store, text)
    started = time.monotonic()
    await send_all(path, fake, framework, rate=40)
    elapsed = time.monotonic() - started
    assert sorted(fake.delivered) == chats and set(fake.delivered.values()) == {1}
    assert fake.too_many == 0 and max_in_window(fake.send_times, 1.0) <= 40
    assert elapsed >= 120 / 40 * 0.9, "no faster than the rate allows"
    gaps = [b - a for a, b in zip(fake.send_times, fake.send_times[1:])]
    assert sorted(gaps)[len(gaps) // 2] >= 0.8 / 40, "spread evenly, not in bursts"
    sent = [params for method, params in fake.calls if method == "sendMessage"]
    assert {p["text"] for p in sent} == {text} and not any(p.get("parse_mode") for p in sent)
    progress = Outbox(store).progress(broadcast_id)
    assert (progress.sent, progress.pending) == (120, 0)
    assert Outbox(store).get(broadcast_id).status == "done"


async def test_blocked_and_missing_chats_become_inactive_and_are_skipped(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore
) -> None:
    blocked, gone, *others = seed(store, 6)
    fake.blocked_chats.add(blocked)
    fake.missing_chats.add(gone)
    first = broadcast(store, "Lần một")
    await send_all(path, fake, framework, rate=100)
    outbox = Outbox(store)
    progress = outbox.progress(first)
    assert (progress.sent, progress.blocked, progress.failed) == (4, 2, 0)
    assert outbox.subscriptions.get(f"tg:{blocked}").inactive_reason == "blocked"
    assert outbox.subscriptions.get(f"tg:{gone}").inactive_reason == "chat_not_found"
    assert outbox.subscriptions.count(Segment(), "tg:") == 4

    calls_before = len(fake.calls)
    second = broadcast(store, "Lần hai")
    await send_all(path, fake, framework, rate=100)
    tried = {int(params["chat_id"]) for method, params in fake.calls[calls_before:] if method.startswith("send")}
    assert tried == set(others), "inactive subscribers are not even tried"
    assert outbox.progress(second).total == 4


async def test_429_pauses_everything_then_retries_the_same_message(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore
) -> None:
    chats = seed(store, 12)
    broadcast(store)
    fake.fail_next("sendMessage", 429, retry_after=1)
    running = await send_all(path, fake, framework, rate=100)
    sends = [(t, int(p["chat_id"])) for (m, p), t in zip(fake.calls, fake.call_times) if m == "sendMessage"]
    refused_at = sends[0][0]
    during = [chat for at, chat in sends if refused_at + 0.05 < at < refused_at + 0.95]
    assert not during, "nothing at all is tried during the pause"
    assert fake.send_times[0] - refused_at >= 0.95
    assert list(fake.delivered)[0] == chats[0], "the refused message goes first after the pause"
    assert sorted(fake.delivered) == chats and set(fake.delivered.values()) == {1}
    assert running.sender.totals.retry_after >= 1


async def test_flood_wait_from_the_server_is_honoured(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore
) -> None:
    # The server allows 10 a second but the sender is set to 30: it gets a 429, waits it out
    # (the server refuses everything meanwhile) and still delivers everything exactly once.
    fake.rate_limit, fake.flood_wait = 10, 1
    chats = seed(store, 25)
    broadcast(store)
    running = await send_all(path, fake, framework, rate=30)
    assert sorted(fake.delivered) == chats and set(fake.delivered.values()) == {1}
    assert running.sender.totals.retry_after >= 1
    assert fake.too_many == running.sender.totals.retry_after, "no send was tried during a flood wait"


async def test_one_chat_gets_at_most_one_message_a_second(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore
) -> None:
    fake.per_chat_interval = 1.0
    chats = seed(store, 2)
    broadcast(store, "Tin thứ nhất")
    broadcast(store, "Tin thứ hai")
    await send_all(path, fake, framework, rate=100)
    assert fake.chat_too_fast == 0
    assert [event["text"] for event in fake.outbox(chats[0])] == ["Tin thứ nhất", "Tin thứ hai"]


async def test_server_errors_are_retried_then_reported_failed(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore
) -> None:
    (chat,) = seed(store, 1)
    fake.fail_next("sendMessage", 500, "Internal Server Error", times=1)
    first = broadcast(store, "Lần một")
    await send_all(path, fake, framework, rate=100, backoff=0.05)
    outbox = Outbox(store)
    assert outbox.progress(first).sent == 1 and fake.delivered[chat] == 1

    fake.fail_next("sendMessage", 502, "Bad Gateway", times=10)
    second = broadcast(store, "Lần hai")
    await send_all(path, fake, framework, rate=100, backoff=0.05, max_attempts=2)
    progress = outbox.progress(second)
    assert (progress.sent, progress.failed, progress.pending) == (0, 1, 0)
    assert [m for m, p in fake.calls if m == "sendMessage" and p["text"] == "Lần hai"] == ["sendMessage"] * 2
    assert outbox.subscriptions.get(f"tg:{chat}").active, "a server error is not the user's fault"


async def test_photo_is_uploaded_once_and_reused(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore, tmp_path: Path
) -> None:
    chats = seed(store, 5)
    poster = tmp_path / "poster.png"
    poster.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 200)
    broadcast(store, "Áp phích hoạt động hè", media_kind="photo", media_ref=str(poster), media_name="poster.png")
    await send_all(path, fake, framework, rate=100)
    assert fake.uploads == 1
    photos = [event for chat in chats for event in fake.outbox(chat)]
    assert [event["method"] for event in photos] == ["sendPhoto"] * 5
    assert len({event["file_id"] for event in photos}) == 1
    assert {event["text"] for event in photos} == {"Áp phích hoạt động hè"}


async def test_scheduled_broadcast_fires_at_its_time(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore
) -> None:
    chats = seed(store, 3)
    at = time.time() + 3600
    broadcast_id = broadcast(store, "Nhắc lịch sinh hoạt hè", send_at=at)
    now = [at - 60]
    running = service(path, fake, framework, rate=100, clock=lambda: now[0])
    try:
        assert await running.tick() is False
        assert not fake.delivered and Outbox(store).get(broadcast_id).status == "scheduled"
        now[0] = at
        assert await running.tick() is True
    finally:
        await running.close()
    assert sorted(fake.delivered) == chats
    assert Outbox(store).get(broadcast_id).status == "done"


async def test_cancel_stops_a_broadcast_being_sent(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore
) -> None:
    seed(store, 100)
    broadcast_id = broadcast(store)
    running = service(path, fake, framework, rate=20)
    task = asyncio.create_task(running.run(until_idle=True))
    try:
        while len(fake.delivered) < 10:
            await asyncio.sleep(0.02)
        stopped = Outbox(store).cancel(broadcast_id, time.time())
        assert stopped and stopped >= 80
        await asyncio.wait_for(task, 5)
    finally:
        await running.close()
    delivered = len(fake.delivered)
    assert delivered <= 10 + 20 + 8, "at most about a second (and the messages in flight) after the cancel"
    progress = Outbox(store).progress(broadcast_id)
    assert progress.sent == delivered and progress.pending == 0 and progress.cancelled == 100 - delivered
    assert Outbox(store).get(broadcast_id).status == "cancelled"


async def test_stopping_midway_and_starting_again_sends_the_rest(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore
) -> None:
    chats = seed(store, 60)
    broadcast(store)
    first = service(path, fake, framework, rate=30)
    task = asyncio.create_task(first.run())
    while len(fake.delivered) < 15:
        await asyncio.sleep(0.02)
    first.request_stop()
    await task
    await first.close()
    assert 15 <= len(fake.delivered) < 60
    await send_all(path, fake, framework, rate=100)
    assert sorted(fake.delivered) == chats and set(fake.delivered.values()) == {1}


async def test_only_one_process_sends_at_a_time(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore
) -> None:
    seed(store, 40)
    broadcast(store)
    holder = service(path, fake, framework, rate=20)
    task = asyncio.create_task(holder.run())
    while not fake.delivered:
        await asyncio.sleep(0.02)
    assert Outbox(store).sender_alive(time.time())
    other = await send_all(path, fake, framework, rate=100)  # returns at once: someone else is sending
    assert other.sender.totals.sent == 0
    holder.request_stop()
    await task
    await holder.close()
    assert not Outbox(store).sender_alive(time.time())
    assert set(fake.delivered.values()) == {1}


async def test_staff_get_a_delivery_report(framework: str, fake: FakeBotApi, path: Path, store: SqliteStore) -> None:
    staff = 4242001
    chats = seed(store, 3)
    fake.blocked_chats.add(chats[0])
    broadcast(store, report_to=f"tg:{staff}", created_by=f"tg:{staff}")
    await send_all(path, fake, framework, rate=100)
    (report,) = fake.outbox(staff)
    assert "đã gửi xong" in report["text"]
    assert "Đã nhận: 2" in report["text"] and "Đã chặn bot hoặc không còn tài khoản: 1" in report["text"]
    assert "Còn chờ: 0" in report["text"]
    await send_all(path, fake, framework, rate=100)
    assert len(fake.outbox(staff)) == 1, "one report per broadcast"


async def test_deliveries_are_counted_anonymously(
    framework: str, fake: FakeBotApi, path: Path, store: SqliteStore
) -> None:
    """Each delivery is one `broadcast_delivered` event in the statistics, by the subscriber's role,
    age band and group, through the stats module with visitor=False: a count, never a person, and
    nobody is counted as a user of the day for a message they did nothing for."""
    chats = seed(store, 3, group="to-05") + seed(store, 2, first=710_000, role="teacher", age_band=None)
    fake.blocked_chats.add(chats[0])
    broadcast(store, "Thông báo đếm ẩn danh")
    await send_all(path, fake, framework, rate=100)
    delivered = {
        (row["role"], row["age_band"], row["grp"], row["detail"]): row["count"]
        for row in store.stats.counts()
        if row["kind"] == "broadcast_delivered"
    }
    assert delivered == {("parent", "6-10", "to-05", "announcement"): 2, ("teacher", "", "", "announcement"): 2}
    assert store.stats.daily_users() == [], "receiving a broadcast does not make anyone a user of the day"
    forbidden = [str(chat) for chat in chats] + [f"tg:{chat}" for chat in chats]
    assert assert_anonymous(path, forbidden) > 0
