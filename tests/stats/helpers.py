"""A scripted conversation that touches every kind of data the assistant keeps, and the check that
the statistics tables hold counts and codes only (used for every channel)."""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from pathlib import Path

from bot.app import VIETNAM, Assistant
from bot.core.types import Incoming, Outcome
from bot.stats.schema import STATS_TABLES

USER_ID = "987654321"
USER = f"tg:{USER_ID}"
TYPED = [
    "con toi nghien game qua phai lam sao",
    "ông Tư mua xe đạp màu xanh ở chợ Ba Hàng, gọi 0912 345 678 hoặc email tu@gmail.com",
    "con bé nhà tôi bị đứa bạn tên Quỳnh Anh chửi trên nhóm lớp",
    "e ko mún sống nữa",
]


def at(text: str) -> float:
    """A Vietnam local time as the clock's seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM).timestamp()


def press(assistant: Assistant, outcome: Outcome, fragment: str, user: str = USER) -> Outcome:
    buttons = [b for reply in outcome.replies for b in reply.all_buttons()]
    payload = next(b.payload for b in buttons if fragment in b.label)
    return assistant.handle(Incoming(user, payload=payload))


def converse(assistant: Assistant, user: str = USER) -> None:
    """Onboarding with a group, a tip, part of a quiz, a reporting guide, typed questions."""
    outcome = assistant.handle(Incoming(user, text="/start"))
    outcome = press(assistant, outcome, "Phụ huynh", user)
    outcome = press(assistant, outcome, "11–14", user)
    outcome = press(assistant, outcome, "Tổ 3", user)
    outcome = assistant.handle(Incoming(user, text="/meo"))
    press(assistant, outcome, "Lừa đảo", user)
    outcome = assistant.handle(Incoming(user, text="/trachnghiem"))
    outcome = press(assistant, outcome, "Phụ huynh", user)
    press(assistant, outcome, "A", user)
    outcome = assistant.handle(Incoming(user, text="/baocao"))
    outcome = press(assistant, outcome, "Không", user)
    press(assistant, outcome, "bắt nạt", user)
    for text in TYPED:
        assistant.handle(Incoming(user, text=text))


ALLOWED_COLUMNS = {"day", "kind", "topic", "detail", "role", "age_band", "grp", "count", "users", "digest"}
CODE = re.compile(r"^[a-z0-9_:=.\-]*$")
DIGEST = re.compile(r"^[0-9a-f]{32}$")


def assert_anonymous(database: Path, forbidden: list[str]) -> int:
    """Every statistics table and value is a count, a code or a digest, and none holds `forbidden`;
    returns how many values were checked."""
    db = sqlite3.connect(database)
    names = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    stats_tables = {name for name in names if name.startswith("stats_")}
    assert stats_tables == set(STATS_TABLES), "every statistics table is listed (and so checked)"
    checked = 0
    for table in sorted(stats_tables):
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        assert set(columns) <= ALLOWED_COLUMNS, f"{table} has columns {columns}"
        for row in db.execute(f"SELECT * FROM {table}"):
            for column, value in zip(columns, row):
                checked += 1
                if isinstance(value, int):
                    assert column in {"count", "users"}, (table, column, value)
                    continue
                if column == "digest":  # a keyed hash, by shape (hex could match a numeric id by chance)
                    assert DIGEST.match(value), (table, column, value)
                    continue
                assert CODE.match(value), (table, column, value)
                for word in forbidden:
                    assert word.lower() not in value.lower(), (table, column, value)
    db.close()
    return checked
