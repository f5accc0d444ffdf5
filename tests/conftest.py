"""Shared fixtures: the shipped content loaded once, an assistant on an in-memory store."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Assistant
from bot.content.loader import Content, load_content
from bot.core.engine import Engine
from bot.storage.memory import MemoryStore
from bot.understanding.semantic import Semantic, load_failure, load_semantic
from tests.fake_bot_api import TEST_TOKEN, FakeBotApi

ROOT = Path(__file__).resolve().parent.parent
# The `python -m bot …` processes that tests start answer lexically: each fresh data folder would
# otherwise embed the whole knowledge base first (about a minute here). Tests about the semantic
# layer turn it on themselves; in this process embeddings are computed once and shared.
os.environ["BOT_SEMANTIC"] = "off"
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


# Embeddings are derived data keyed by a hash of the text: kept between test runs on one machine
# (a fresh machine computes them once, a few minutes), never inside the checkout.
EMBEDDING_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "antoanso-tests"


@pytest.fixture(scope="session")
def semantic() -> Semantic:
    """The real semantic model, its embedding cache shared by the whole session."""
    layer = load_semantic(EMBEDDING_CACHE)
    assert layer is not None, f"the semantic model did not load: {load_failure()}"
    return layer


@pytest.fixture(scope="session")
def semantic_engine(content: Content, semantic: Semantic) -> Engine:
    """The engine as `python -m bot` runs it: lexical and semantic layers, the danger network."""
    return Engine.build(content, seed=1, semantic=semantic)


@pytest.fixture
def assistant(engine: Engine) -> Assistant:
    clock = iter(range(1_800_000_000, 1_900_000_000, 5))
    return Assistant(engine, MemoryStore(), clock=lambda: float(next(clock)))
