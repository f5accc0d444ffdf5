"""Questions the assistant could not answer, kept only if the ward allows it (`BOT_KEEP_UNANSWERED`,
off by default): scrubbed of phone numbers, e-mail addresses, links, account handles, digit runs
and names introduced as names (bot/stats/names.py), deleted after `KEEP_DAYS` days.

Anonymous and unlinkable: a row is the day and the scrubbed text, nothing else – no user, no time
of day, and no order of arrival (the row id is random, so rows cannot be set beside the day's
other records one by one). That is also why /xoadulieu cannot delete "your" question: nothing
says which one it is."""

from __future__ import annotations

import re
import secrets
import unicodedata
from contextlib import nullcontext
from datetime import date, timedelta

import sqlite_utils

from bot.stats.names import scrub_names
from bot.stats.recorder import Transaction, checkpoint

KEEP_DAYS = 30
MAX_LENGTH = 300

_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE), "[email]"),
    (re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE), "[liên kết]"),
    (
        re.compile(
            r"\b[\w-]+(?:\.[\w-]+)*\.(?:com|vn|net|org|info|io|me|ly|gl|xyz|top|link|site|online|app)\b(?:/\S*)?",
            re.IGNORECASE,
        ),
        "[liên kết]",
    ),
    (re.compile(r"@\w{2,}", re.UNICODE), "[tài khoản]"),
    (re.compile(r"(?:\+|\b)(?:84|0)(?:[\s.\-]?\d){8,10}\b"), "[số điện thoại]"),
    (re.compile(r"\d(?:[\s.\-]?\d)+"), "[số]"),
)


def scrub(text: str) -> str:
    """The question with anything that could reach a person replaced by a label."""
    cleaned = unicodedata.normalize("NFC", " ".join(text.split()))
    for pattern, label in _RULES:
        cleaned = pattern.sub(label, cleaned)
    return scrub_names(cleaned)[:MAX_LENGTH]


def random_rowid() -> int:
    """A row id that says nothing about when the row came (SQLite would count up)."""
    return secrets.randbits(62) + 1


class UnansweredLog:
    def __init__(
        self,
        db: sqlite_utils.Database,
        transaction: Transaction,
        keep_days: int = KEEP_DAYS,
        reading: Transaction = nullcontext,
    ) -> None:
        self.db = db
        self.keep_days = keep_days
        self._transaction = transaction
        self._reading = reading

    def keep(self, text: str, day: str) -> None:
        cleaned = scrub(text)
        if not cleaned.strip() or cleaned.startswith("/"):
            return
        with self._transaction():
            self.db.execute(
                "INSERT INTO unanswered_questions (rowid, day, text) VALUES (?, ?, ?)", [random_rowid(), day, cleaned]
            )

    def purge(self, today: str) -> int:
        """Delete what is older than the keeping period; returns how many rows went."""
        cutoff = (date.fromisoformat(today) - timedelta(days=self.keep_days)).isoformat()
        with self._transaction():
            deleted = self.db.execute("DELETE FROM unanswered_questions WHERE day < ?", [cutoff]).rowcount
        if deleted:
            with self._reading():
                checkpoint(self.db)
        return deleted

    def grouped(self) -> list[dict]:
        """The kept questions, identical ones together, most asked first (no order of arrival)."""
        with self._reading():
            cursor = self.db.execute(
                "SELECT text, COUNT(*) AS times, MIN(day) AS first_day, MAX(day) AS last_day "
                "FROM unanswered_questions GROUP BY text ORDER BY times DESC, text"
            )
            return [dict(zip(("text", "times", "first_day", "last_day"), row)) for row in cursor.fetchall()]


def unanswered_command(database, as_json: bool) -> int:
    """`python -m bot unanswered`: what people asked that the assistant could not answer."""
    import json
    import sys

    from bot.storage.sqlite import SqliteStore

    if not database.exists():  # a folder in its place is explained by the store, not called "no data"
        print(f"Chưa có dữ liệu: không thấy {database}.", file=sys.stderr)
        return 1
    store = SqliteStore(database)
    try:
        rows = store.unanswered.grouped()
    finally:
        store.close()
    if as_json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
        return 0
    if not rows:
        print("Không có câu hỏi nào được giữ (BOT_KEEP_UNANSWERED tắt, hoặc chưa có câu nào trong 30 ngày qua).")
    for row in rows:
        print(f"{row['times']:>4} × {row['text']}")
    return 0
