"""The storage protocol the core's callers use; SQLite and in-memory stores implement it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from bot.core.types import Event, Session
from bot.stats.recorder import Statistics
from bot.stats.unanswered import UnansweredLog
from bot.storage.delivered import DeliveredUpdates


class Store(Protocol):
    stats: Statistics  # the only writer of statistics (bot/stats)
    unanswered: UnansweredLog  # the optional, scrubbed log of unanswered questions
    delivered: DeliveredUpdates  # Telegram updates already answered (ids only), across restarts

    def load_session(self, user_key: str, now: float, idle_seconds: float) -> Session:
        """The user's session, or a fresh one if none exists or it has been idle too long."""

    def save_session(self, session: Session, now: float) -> None: ...

    def record_events(self, events: Iterable[Event], session: Session, day: str, visitor: bool = True) -> None:
        """Add events to the anonymous daily counters (no user key is stored); `visitor`: count the
        session's user among the day's unique users (False for events the user did not cause)."""

    def counters(self) -> list[dict]: ...

    def forget_user(self, user_key: str) -> None:
        """Delete everything held about one user."""

    def expire_sessions(self, before: float) -> int:
        """Delete conversation state not touched since `before`."""

    def close(self) -> None: ...
