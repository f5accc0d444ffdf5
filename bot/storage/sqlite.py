"""The SQLite store (sqlite-utils): WAL mode, short transactions, schema versioned by migrations."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

import sqlite_utils
from sqlite_utils import Migrations

from bot.broadcast.outbox import OUTBOX
from bot.core.types import Event, Session
from bot.storage.counters import counter_key
from bot.storage.subscriptions import SUBSCRIPTIONS
from bot.storage.transactions import immediate

# Named migration sets (sqlite-utils' Migrations): each module that owns tables registers its own
# set, so sessions, subscribers and statistics can grow independently. Applied once each, by name.
CORE = Migrations("antoanso.core")
MIGRATION_SETS: list[Migrations] = [CORE, SUBSCRIPTIONS, OUTBOX]


@CORE()
def sessions_and_counters(db: sqlite_utils.Database) -> None:
    db["sessions"].create({"user_key": str, "data": str, "updated_at": float}, pk="user_key")
    db["counters"].create(
        {"day": str, "kind": str, "topic": str, "detail": str, "role": str, "age_band": str, "count": int},
        pk=("day", "kind", "topic", "detail", "role", "age_band"),
    )


class SqliteStore:
    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=10)
        self.db = sqlite_utils.Database(conn)
        if str(path) != ":memory:":
            self.db.enable_wal()
        self._migrate()

    def _migrate(self) -> None:
        for migrations in MIGRATION_SETS:
            migrations.apply(self.db)

    def _transaction(self):
        return immediate(self.db.conn)

    def load_session(self, user_key: str, now: float, idle_seconds: float) -> Session:
        row = self.db.execute("SELECT data, updated_at FROM sessions WHERE user_key = ?", [user_key]).fetchone()
        if row is None or now - row[1] > idle_seconds:
            return Session(user_key=user_key, updated_at=now)
        return Session.from_json(user_key, json.loads(row[0]), row[1])

    def save_session(self, session: Session, now: float) -> None:
        session.updated_at = now
        with self._transaction():
            self.db.execute(
                "INSERT INTO sessions (user_key, data, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(user_key) DO UPDATE SET data = excluded.data, updated_at = excluded.updated_at",
                [session.user_key, json.dumps(session.to_json(), ensure_ascii=False), now],
            )

    def record_events(self, events: Iterable[Event], session: Session, day: str) -> None:
        rows = [counter_key(event, session, day) for event in events]
        if not rows:
            return
        with self._transaction():
            self.db.conn.executemany(
                "INSERT INTO counters (day, kind, topic, detail, role, age_band, count) VALUES (?, ?, ?, ?, ?, ?, 1) "
                "ON CONFLICT(day, kind, topic, detail, role, age_band) DO UPDATE SET count = count + 1",
                rows,
            )

    def counters(self) -> list[dict]:
        return list(self.db["counters"].rows_where(order_by="day, kind, topic, detail, role, age_band"))

    def forget_user(self, user_key: str) -> None:
        with self._transaction():
            self.db.execute("DELETE FROM sessions WHERE user_key = ?", [user_key])

    def close(self) -> None:
        self.db.close()
