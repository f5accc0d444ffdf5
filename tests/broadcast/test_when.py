"""Send times as staff type them, read in Vietnam time."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.broadcast.texts import VIETNAM
from bot.broadcast.when import WhenError, parse_when

NOW = datetime(2026, 7, 1, 9, 0, tzinfo=VIETNAM).timestamp()


def at(*parts: int) -> float:
    return datetime(*parts, tzinfo=VIETNAM).timestamp()


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("19:30", at(2026, 7, 1, 19, 30)),
        ("8:15", at(2026, 7, 2, 8, 15)),  # already past today: tomorrow
        ("20h", at(2026, 7, 1, 20, 0)),
        ("08:00 25/12", at(2026, 12, 25, 8, 0)),
        ("25/12 lúc 08:00", at(2026, 12, 25, 8, 0)),
        ("25/12/2027 08:00", at(2027, 12, 25, 8, 0)),
        ("30/6 10:00", at(2027, 6, 30, 10, 0)),  # a day already past this year: next year
        ("2026-12-25 08:00", at(2026, 12, 25, 8, 0)),
        ("2026-07-01T12:00+07:00", at(2026, 7, 1, 12, 0)),
    ],
)
def test_times_staff_type(typed: str, expected: float) -> None:
    assert parse_when(typed, NOW) == expected


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("mai nhé", "Chưa đọc được"),
        ("31/02 08:00", "không có thật"),
        ("25:00", "không hợp lệ"),
        ("01/01/2020 08:00", "đã qua"),
    ],
)
def test_unreadable_or_past_times_say_why(typed: str, says: str) -> None:
    with pytest.raises(WhenError, match=says):
        parse_when(typed, NOW)
