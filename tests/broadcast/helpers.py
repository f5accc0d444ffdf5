"""Shared pieces of the broadcast tests: subscribers seeded into a real SQLite file, the aiogram
transport pointed at the local fake Bot API, and a service run until nothing is left to send."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.broadcast.outbox import NewBroadcast, Outbox
from bot.broadcast.service import BroadcastService
from bot.channels.aiogram_transport import AiogramTransport
from bot.storage.sqlite import SqliteStore
from bot.storage.subscriptions import Segment
from tests.fake_bot_api import FakeBotApi

TOKEN = "123456789:AAH-broadcast-test-token_0123456789"
FIRST_CHAT = 700_000


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
    """`count` active subscribers with consecutive chat ids; returns the chat ids."""
    subscriptions = Outbox(store.db).subscriptions
    chats = list(range(first, first + count))
    for chat in chats:
        subscriptions.subscribe(
            f"tg:{chat}", role=role, age_band=age_band, group=group, kinds=kinds, topics=topics, now=time.time()
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
    outbox = Outbox(store.db)
    segment = segment or Segment()
    recipients = [(s.user_key, None) for s in outbox.subscriptions.recipients(segment, "tg:")]
    now = time.time()
    spec = NewBroadcast("announcement", text, segment, "Tất cả", send_at if send_at is not None else now, **extra)  # type: ignore[arg-type]
    return outbox.create(spec, recipients, now)


def transport(fake: FakeBotApi) -> AiogramTransport:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base))
    return AiogramTransport(Bot(fake.token, session=session), own_session=True)


def service(path: Path, fake: FakeBotApi, **options: object) -> BroadcastService:
    options.setdefault("poll", 0.05)
    return BroadcastService(path, transport(fake), **options)  # type: ignore[arg-type]


async def send_all(path: Path, fake: FakeBotApi, **options: object) -> BroadcastService:
    """Run a service until nothing is due, then close it; returns it (for its totals)."""
    running = service(path, fake, **options)
    try:
        await running.run(until_idle=True)
    finally:
        await running.close()
    return running
