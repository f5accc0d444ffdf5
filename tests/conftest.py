"""Shared fixtures: the shipped content loaded once, an assistant on an in-memory store."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Assistant
from bot.content.loader import Content, load_content
from bot.core.engine import Engine
from bot.storage.memory import MemoryStore

ROOT = Path(__file__).resolve().parent.parent


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
