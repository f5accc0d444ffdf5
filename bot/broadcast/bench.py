"""`python -m bot bench broadcast [--subscribers 5000] [--rate 30] [--framework aiogram|ptb]`: one
broadcast to N subscribers through the real sender, the chosen library's transport (BOT_FRAMEWORK by
default) and HTTP, against the fake Bot API (tests/fake_bot_api.py) run in its own process and
enforcing Telegram's flood control: at most `rate` sends in any sliding second, and a 429 that
refuses every send until its retry_after has passed.

Prints messages/second sustained, 429s, duplicates, the most sends seen in any one second, and
the total time against the ideal N / rate. Run it from the source folder (it needs tests/).
Target at rate 30: ≥ 28 msg/s, zero 429s, zero duplicates.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bot.broadcast.outbox import NewBroadcast, Outbox
from bot.broadcast.service import BroadcastService
from bot.channels.telegram_common import open_transport
from bot.config import Config
from bot.storage.sqlite import SqliteStore
from bot.storage.subscriptions import Segment

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:BENCH"
TEXT = "Thông báo thử: <b>&amp;</b> *đậm* _nghiêng_ – phải đến đúng như gõ."


def _start_fake(rate: int) -> tuple[subprocess.Popen[str], int]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fake_bot_api", "--token", TOKEN, "--rate", str(rate), "--flood-wait", "3"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if not line.startswith("PORT "):
        process.kill()
        raise RuntimeError("the fake Bot API did not start")
    return process, int(line.split()[1])


def _stats(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stats", timeout=10) as response:
        return json.loads(response.read())


def _seed(path: Path, subscribers: int) -> int:
    store = SqliteStore(path)
    now = time.time()
    rows = [(f"tg:{10_000_000 + i}", "parent", "6-10", ",announcements,", "", 1, now, now) for i in range(subscribers)]
    with store.db.conn:
        store.db.conn.executemany(
            "INSERT INTO subscriptions (user_key, role, age_band, kinds, topics, active, consent_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    outbox = Outbox(store)
    segment = Segment()
    recipients = [(s.user_key, None) for s in outbox.subscriptions.recipients(segment, "tg:")]
    spec = NewBroadcast("announcement", TEXT, segment, "Tất cả người đăng ký", now, created_by="bench")
    broadcast_id = outbox.create(spec, recipients, now)
    store.close()
    return broadcast_id


async def _send(path: Path, port: int, rate: int, total: int, framework: str) -> tuple[float, int]:
    config = Config.load(
        env={"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_API_BASE": f"http://127.0.0.1:{port}"}, dotenv=None
    )
    transport = open_transport(config, framework)
    service = BroadcastService(path, transport, rate=rate)
    step = max(1, total // 10)

    def progress() -> None:
        sent = service.sender.totals.sent
        if sent % step == 0:
            print(f"  {sent:>6}/{total} gửi xong", flush=True)

    service.sender.on_sent = progress
    started = time.monotonic()
    try:
        await service.run(until_idle=True)
    finally:
        await service.close()
    return time.monotonic() - started, service.sender.totals.retry_after


def bench_broadcast(subscribers: int = 5000, rate: int = 30, framework: str = "aiogram") -> int:
    if not (ROOT / "tests" / "fake_bot_api.py").is_file():
        print("Cần chạy trong thư mục mã nguồn (thiếu tests/fake_bot_api.py).", file=sys.stderr)
        return 2
    fake, port = _start_fake(rate)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "bench.sqlite3"
            _seed(path, subscribers)
            print(
                f"Gửi một thông báo tới {subscribers} người qua {framework}, máy chủ giả giới hạn {rate} tin/giây…",
                flush=True,
            )
            elapsed, seen_429 = asyncio.run(_send(path, port, rate, subscribers, framework))
            stats = _stats(port)
            store = SqliteStore(path)
            progress = Outbox(store).progress(1)
            store.close()
    finally:
        fake.terminate()
        fake.wait(10)
    span = (stats["last"] - stats["first"]) if stats["sent"] > 1 else 0.0
    sustained = (stats["sent"] - 1) / span if span else 0.0
    ideal = subscribers / rate
    print(f"\nNgười nhận:            {subscribers}")
    print(f"Đã nhận (máy chủ giả): {stats['chats']} người, {stats['sent']} tin")
    print(f"Trùng lặp:             {stats['duplicates']}")
    print(f"Lỗi 429 nhận được:     {stats['too_many']} (phía gửi thấy {seen_429})")
    print(f"Nhiều nhất trong 1 s:  {stats['max_per_second']} tin (giới hạn {rate})")
    print(f"Tốc độ duy trì:        {sustained:.2f} tin/giây")
    print(
        f"Tổng thời gian:        {elapsed:.1f} s; lý tưởng {subscribers}/{rate} = {ideal:.1f} s (×{elapsed / ideal:.3f})"
    )
    print(f"Outbox:                {progress.sent} đã gửi · {progress.pending} còn chờ · {progress.failed} lỗi")
    ok = (
        stats["chats"] == subscribers
        and stats["duplicates"] == 0
        and stats["too_many"] == 0
        and sustained >= rate * 28 / 30
    )
    print("Kết quả:               " + ("ĐẠT mục tiêu" if ok else "CHƯA ĐẠT mục tiêu"))
    return 0 if ok else 1
