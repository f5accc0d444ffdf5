"""Exports run on the shipped knowledge, into a temporary folder, with a fixed date and bot name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bot.exports.common import ExportOptions

BOT = "AnToanSoTrungThanhBot"
WARD = "phường Trung Thành"


@pytest.fixture
def make_options(tmp_path: Path) -> Callable[..., ExportOptions]:
    def make(**changes: object) -> ExportOptions:
        values: dict[str, object] = {
            "out": tmp_path / "out",
            "ward": WARD,
            "bot_username": BOT,
            "today": date(2026, 6, 17),
        }
        values.update(changes)
        return ExportOptions(**values)  # type: ignore[arg-type]

    return make
