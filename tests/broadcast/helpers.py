"""Shared pieces of the broadcast tests: subscribers seeded into a real SQLite file, a transport of
either library (aiogram or python-telegram-bot, the channels' own) pointed at the local fake Bot
API, and a service run until nothing is left to send."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from bot.broadcast.outbox import NewBroadcast, Outbox
from bot.broadcast.service import BroadcastService
from bot.channels.telegram_common import Transport, open_transport
from bot.config import Config
from bot.storage.sqlite import SqliteStore
from bot.storage.subscriptions import Segment
from tests.fake_bot_api import TEST_TOKEN, FakeBotApi

TOKEN = TEST_TOKEN
FIRST_CHAT = 700_000
FRAMEWORKS = ["aiogram", "ptb"]


def seed(
    store: SqliteStore,
    count: int,
    *,
    first: int = FIRST_CHAT,
    role: str = "parent",
    age_band: str | None = "6-10",
    group: str | None = None,
    kinds: Iterable[str] = ("announcements",),
    topics: Iterable[str] = (),
) -> list[int]:
    """`count` active subscribers with consecutive chat ids; returns the chat ids. `group`: a code
    of onboarding's list ("to-05"), stored with its label as the subscription flow does."""
    subscriptions = Outbox(store).subscriptions
    chats = list(range(first, first + count))
    label = f"Tổ {int(group.removeprefix('to-'))}" if group else None
    for chat in chats:
        subscriptions.subscribe(
            f"tg:{chat}",
            role=role,
            age_band=age_band,
            group=group,
            group_label=label,
            kinds=kinds,
            topics=topics,
            now=time.time(),
        )
    return chats


def broadcast(
    store: SqliteStore,
    text: str = "Thông báo của phường",
    segment: Segment | None = None,
    *,
    send_at: float | None = None,
    **extra: object,
) -> int:
    """A broadcast to everyone in `segment`, written to the outbox as staff would."""
    outbox = Outbox(store)
    segment = segment or Segment()
    recipients = [(s.user_key, None) for s in outbox.subscriptions.recipients(segment, "tg:")]
    now = time.time()
    spec = NewBroadcast("announcement", text, segment, "Tất cả", send_at if send_at is not None else now, **extra)  # type: ignore[arg-type]
    return outbox.create(spec, recipients, now)


def transport(fake: FakeBotApi, framework: str = "aiogram") -> Transport:
    """The library's own transport (as `python -m bot broadcast send` opens it), at the fake."""
    config = Config.load(env={"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_API_BASE": fake.base}, dotenv=None)
    return open_transport(config, framework)


def service(path: Path, fake: FakeBotApi, framework: str = "aiogram", **options: object) -> BroadcastService:
    options.setdefault("poll", 0.05)
    return BroadcastService(path, transport(fake, framework), **options)  # type: ignore[arg-type]


async def send_all(path: Path, fake: FakeBotApi, framework: str = "aiogram", **options: object) -> BroadcastService:
    """Run a service until nothing is due, then close it; returns it (for its totals)."""
    running = service(path, fake, framework, **options)
    try:
        await running.run(until_idle=True)
    finally:
        await running.close()
    return running
