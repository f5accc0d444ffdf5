"""`python -m bot bench telegram`: what each Telegram library costs per update, measured in one run.

Each round starts the local fake Bot API server (tests/fake_bot_api.py, 127.0.0.1 only), starts
one channel polling it, pushes a burst of updates from many users and times until every one was
answered over HTTP. Every round runs each library in each mode, alternating which goes first, so
drift (other load on the machine) hits all alike; medians over rounds.

Two modes: "kênh" answers every update with one fixed reply (no core, no database), so the time is
the library + shared front + HTTP to the fake; "đầy đủ" runs the real assistant on a temporary
SQLite file, as users see it. Prints medians of updates/second (wall clock) and of CPU ms per
update (the whole process: library, shared front, assistant and the fake server), and ptb/aiogram
ratios. CPU per update is the steadier figure on a busy machine; updates/second is what users feel.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.app import Assistant
from bot.channels.telegram_common import FRAMEWORKS, channel_class
from bot.config import Config
from bot.content.loader import Content
from bot.core.engine import Engine
from bot.core.types import Incoming, Outcome, Reply, Session
from bot.storage.sqlite import SqliteStore

TOKEN = "123456789:bench-token-not-real"
USERS = 50
FULL_TEXTS = ("/lienhe", "con bị bắt nạt trên mạng phải làm sao", "/help", "cách cài đặt kiểm soát của cha mẹ")


@dataclass
class _FixedReply:
    """Stands in for the assistant in "kênh" mode: one short reply, no work, no storage."""

    content: Content

    def handle(self, incoming: Incoming) -> Outcome:
        return Outcome([Reply("Đã nhận.")], Session(user_key=incoming.user_key), [])

    def is_admin(self, _user_key: str) -> bool:
        return False


class _NoStore:
    def close(self) -> None: ...


def _fake_server() -> Any:
    """The fake Bot API lives with the tests; a source checkout has it next to `bot/`."""
    try:
        return importlib.import_module("tests.fake_bot_api").FakeBotApi
    except ModuleNotFoundError:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        try:
            return importlib.import_module("tests.fake_bot_api").FakeBotApi
        except ModuleNotFoundError:
            print("Cần chạy từ thư mục mã nguồn (có tests/fake_bot_api.py).", file=sys.stderr)
            raise SystemExit(2) from None


async def _one_round(
    framework: str, mode: str, content: Content, engine: Engine, updates: int, data: Path
) -> tuple[float, float]:
    """(updates per wall-clock second, CPU milliseconds per update) for one burst."""
    fake = await _fake_server()(TOKEN).start()
    config = Config.load(
        env={
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_BASE": fake.base,
            "BOT_DATA_DIR": str(data / f"{framework}-{mode}"),
            "BOT_FLOOD_PER_MINUTE": "1000000",
        },
        dotenv=None,
    )
    if mode == "kênh":
        assistant: Any = _FixedReply(content)
        assistant.store = _NoStore()
    else:
        assistant = Assistant(engine, SqliteStore(config.database), config.idle_seconds)
    channel = channel_class(framework)(config, assistant, polling_timeout=1)
    task = asyncio.create_task(channel.run())
    try:
        await asyncio.wait_for(channel.ready.wait(), 10)
        texts = FULL_TEXTS if mode == "đầy đủ" else ("/help",)
        warm = [fake.push_text(10_000 + n, texts[n % len(texts)]) for n in range(20)]
        for update_id in warm:
            await channel.wait_processed(update_id)
        started, cpu = time.perf_counter(), time.process_time()
        ids = [fake.push_text(1 + n % USERS, texts[n % len(texts)]) for n in range(updates)]
        for update_id in ids:
            await channel.wait_processed(update_id, timeout=120)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        answered = sum(len(fake.outbox(1 + user)) for user in range(USERS))
        if answered < updates:
            raise RuntimeError(f"{framework}: only {answered} of {updates} updates were answered")
        return updates / elapsed, 1000 * cpu / updates
    finally:
        await channel.stop(task)
        assistant.store.close()
        await fake.stop()


def _available() -> list[str]:
    found = []
    for name in FRAMEWORKS:
        try:
            channel_class(name)
        except ModuleNotFoundError:
            print(f"Bỏ qua {name}: chưa cài {FRAMEWORKS[name][2]}.", file=sys.stderr)
            continue
        found.append(name)
    return found


async def _measure(
    content: Content, rounds: int, updates: int, progress: Callable[[str], None]
) -> dict[tuple[str, str], tuple[float, float]]:
    engine = Engine.build(content, seed=0)
    frameworks = _available()
    results: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="antoanso-bench-") as tmp:
        for number in range(rounds):
            order = frameworks if number % 2 == 0 else frameworks[::-1]
            for mode in ("kênh", "đầy đủ"):
                for framework in order:
                    rate, cpu = await _one_round(framework, mode, content, engine, updates, Path(tmp) / str(number))
                    results.setdefault((framework, mode), []).append((rate, cpu))
                    progress(
                        f"  {mode:<7} lượt {number + 1}/{rounds} {framework:<8} {rate:7.0f} cập nhật/s  {cpu:6.3f} ms CPU"
                    )
    return {
        key: (statistics.median(r for r, _ in values), statistics.median(c for _, c in values))
        for key, values in results.items()
    }


def bench_telegram(content: Content, rounds: int = 5, updates: int = 400) -> int:
    logging.disable(logging.WARNING)  # a 429 or a retry would be the fake's, not news
    print(
        f"Đo {updates} cập nhật từ {USERS} người dùng mỗi lượt, {rounds} lượt mỗi kênh, "
        "qua máy chủ Bot API giả trên 127.0.0.1 (long polling)."
    )
    medians = asyncio.run(_measure(content, rounds, updates, lambda line: print(line, flush=True)))
    print(f"\n{'chế độ':<8}{'kênh':<10}{'cập nhật/s (median)':>21}{'ms CPU/cập nhật (median)':>27}")
    for (framework, mode), (rate, cpu) in sorted(medians.items(), key=lambda kv: (kv[0][1] != "kênh", kv[0][0])):
        print(f"{mode:<8}{framework:<10}{rate:>21.0f}{cpu:>27.3f}")
    for mode in ("kênh", "đầy đủ"):
        if ("aiogram", mode) in medians and ("ptb", mode) in medians:
            (a_rate, a_cpu), (p_rate, p_cpu) = medians[("aiogram", mode)], medians[("ptb", mode)]
            print(
                f"ptb/aiogram ({mode}): tốc độ ×{p_rate / a_rate:.2f} · CPU mỗi cập nhật ×{p_cpu / a_cpu:.2f} "
                f"({p_cpu - a_cpu:+.3f} ms)"
            )
    return 0
