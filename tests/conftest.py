"""Shared fixtures: the shipped content loaded once, an assistant on an in-memory store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Assistant
from bot.content.loader import Content, load_content
from bot.core.engine import Engine
from bot.storage.memory import MemoryStore
from tests.fake_bot_api import TEST_TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
TELEGRAM_FRAMEWORKS = ["aiogram", "ptb"]


@pytest.fixture(params=TELEGRAM_FRAMEWORKS)
def framework(request: pytest.FixtureRequest) -> str:
    """Every end-to-end Telegram test runs once per library."""
    return request.param


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    """A fake Bot API on 127.0.0.1 that knows the tests' bot token."""
    api = await FakeBotApi(TEST_TOKEN).start()
    yield api
    await api.stop()


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(ROOT / "knowledge", ROOT / "flows")


@pytest.fixture(scope="session")
def engine(content: Content) -> Engine:
    return Engine.build(content, seed=1)


@pytest.fixture
def assistant(engine: Engine) -> Assistant:
    clock = iter(range(1_800_000_000, 1_900_000_000, 5))
    return Assistant(engine, MemoryStore(), clock=lambda: float(next(clock)))
