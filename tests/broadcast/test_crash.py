"""Kill -9 in the middle of a broadcast and start again: nobody is missed, and the only duplicates
are messages that were in flight at the kill (sent, but not yet marked in the outbox).

The first sender is a real `python -m bot broadcast send` process, killed with SIGKILL; the
resumed one runs here. The fake Bot API allows 1,000 sends a second (and the sender is set to
that pace), so 2,000 recipients take about two seconds.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

from bot.broadcast.outbox import Outbox
from bot.storage.sqlite import SqliteStore
from tests.broadcast.helpers import TOKEN, broadcast, seed, send_all
from tests.fake_bot_api import FakeBotApi
from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parents[2]
RECIPIENTS = 2000
CONCURRENCY = 8  # the sender's limit on messages in flight (BroadcastService default)


async def _sender(fake: FakeBotApi, data: Path) -> asyncio.subprocess.Process:
    env = clean_env()
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=fake.base,
        BOT_DATA_DIR=str(data),
        BOT_BROADCAST_RATE="1000",
        PYTHONPATH=str(ROOT),
    )
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "broadcast",
        "send",
        cwd=data.parent,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_sigkill_midway_then_resume_misses_nobody(tmp_path: Path) -> None:
    fake = await FakeBotApi(TOKEN, rate_limit=1000, latency=0.003).start()
    data = tmp_path / "data"
    store = SqliteStore(data / "antoanso.sqlite3")
    try:
        chats = seed(store, RECIPIENTS)
        broadcast_id = broadcast(store, "Thông báo khẩn của phường: lịch tiêm chủng đổi sang thứ Bảy")

        first = await _sender(fake, data)
        deadline = time.monotonic() + 60
        while fake.delivered.total() < RECIPIENTS * 0.35:
            assert first.returncode is None, (await first.communicate())[1].decode()
            assert time.monotonic() < deadline, "the sender did not get going"
            await asyncio.sleep(0.005)
        first.send_signal(signal.SIGKILL)
        await first.wait()
        await asyncio.sleep(0.3)  # requests already on the wire reach the server

        delivered_at_kill = fake.delivered.total()
        marked = Outbox(store).progress(broadcast_id).sent
        in_flight = delivered_at_kill - marked
        assert 0 <= in_flight <= CONCURRENCY, (delivered_at_kill, marked)
        assert delivered_at_kill < RECIPIENTS, "killed mid-way"

        # Resume: here, in this process (the lease of the killed one is taken over at once).
        resumed = await send_all(data / "antoanso.sqlite3", fake, rate=1000)
        assert resumed.sender.totals.sent == RECIPIENTS - marked
    finally:
        store.close()
        await fake.stop()

    assert sorted(fake.delivered) == chats, "every subscriber received it"
    duplicates = fake.delivered.total() - RECIPIENTS
    assert duplicates <= in_flight
    store = SqliteStore(data / "antoanso.sqlite3")
    progress = Outbox(store).progress(broadcast_id)
    status = Outbox(store).get(broadcast_id).status
    store.close()
    assert (progress.sent, progress.pending, status) == (RECIPIENTS, 0, "done")
    print(f"\ncrash test: {delivered_at_kill} delivered at the kill, {in_flight} in flight, {duplicates} duplicates")
