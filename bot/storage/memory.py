"""An in-memory store for unit tests: same behaviour as SQLite, nothing on disk.

Statistics run on an in-memory SQLite database through the same `Statistics` class as the real
store (one writer of statistics, not two), with the day key held in memory only.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterable, Iterator

import sqlite_utils

from bot.core.types import Event, Session
from bot.stats.daykey import DayKey
from bot.stats.recorder import Statistics
from bot.stats.schema import STATS
from bot.stats.unanswered import UnansweredLog
from bot.storage.delivered import DELIVERED, DeliveredUpdates


class MemoryStore:
    def __init__(self) -> None:
        self._sessions: dict[str, tuple[str, float]] = {}
        self.db = sqlite_utils.Database(memory=True)
        STATS.apply(self.db)
        self._lock = threading.RLock()
        self.stats = Statistics(self.db, DayKey(None), self._transaction, lambda: self._lock)
        self.unanswered = UnansweredLog(self.db, self._transaction, reading=lambda: self._lock)
        DELIVERED.apply(self.db)
        self.delivered = DeliveredUpdates(self.db, self._transaction, lambda: self._lock)

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        with self._lock, self.db.conn:
            yield

    def load_session(self, user_key: str, now: float, idle_seconds: float) -> Session:
        stored = self._sessions.get(user_key)
        if stored is None or now - stored[1] > idle_seconds:
            return Session(user_key=user_key, updated_at=now)
        return Session.from_json(user_key, json.loads(stored[0]), stored[1])

    def save_session(self, session: Session, now: float) -> None:
        session.updated_at = now
        self._sessions[session.user_key] = (json.dumps(session.to_json()), now)

    def record_events(self, events: Iterable[Event], session: Session, day: str, visitor: bool = True) -> None:
        self.stats.record(events, session, day, visitor)

    def counters(self) -> list[dict]:
        return self.stats.counts()

    def forget_user(self, user_key: str) -> None:
        self._sessions.pop(user_key, None)
        self.stats.forget_visitor(user_key)

    def expire_sessions(self, before: float) -> int:
        idle = [key for key, (_, updated) in self._sessions.items() if updated < before]
        for key in idle:
            del self._sessions[key]
        return len(idle)

    def close(self) -> None:
        self.db.close()
