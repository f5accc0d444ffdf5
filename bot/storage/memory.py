"""An in-memory store for unit tests: same behaviour as SQLite, nothing on disk."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from bot.core.types import Event, Session
from bot.storage.counters import counter_key


class MemoryStore:
    def __init__(self) -> None:
        self._sessions: dict[str, tuple[str, float]] = {}
        self._counters: Counter[tuple[str, ...]] = Counter()

    def load_session(self, user_key: str, now: float, idle_seconds: float) -> Session:
        stored = self._sessions.get(user_key)
        if stored is None or now - stored[1] > idle_seconds:
            return Session(user_key=user_key, updated_at=now)
        return Session.from_json(user_key, json.loads(stored[0]), stored[1])

    def save_session(self, session: Session, now: float) -> None:
        session.updated_at = now
        self._sessions[session.user_key] = (json.dumps(session.to_json()), now)

    def record_events(self, events: Iterable[Event], session: Session, day: str) -> None:
        for event in events:
            self._counters[counter_key(event, session, day)] += 1

    def counters(self) -> list[dict]:
        fields = ("day", "kind", "topic", "detail", "role", "age_band")
        return [dict(zip(fields, key), count=n) for key, n in sorted(self._counters.items())]

    def forget_user(self, user_key: str) -> None:
        self._sessions.pop(user_key, None)

    def close(self) -> None:
        pass
