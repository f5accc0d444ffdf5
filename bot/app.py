"""The assistant as channels see it: load one message's session, run the engine, save, count.

Channels call `Assistant.handle`; nothing here knows which channel is calling.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.broadcast.install import install_broadcasts
from bot.config import Config
from bot.content.loader import Content, load_content
from bot.core.engine import Engine
from bot.core.types import Incoming, Outcome
from bot.storage.base import Store
from bot.storage.sqlite import SqliteStore

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


@dataclass
class Assistant:
    engine: Engine
    store: Store
    idle_seconds: float = 24 * 3600
    clock: Callable[[], float] = field(default=time.time)
    action_handlers: dict[str, Callable[[str, dict[str, Any]], None]] = field(default_factory=dict)
    # Asked before the engine (staff tools): each returns an Outcome for messages it owns, else None.
    desks: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Other modules (subscriptions, statistics) register their own actions the same way.
        self.action_handlers.setdefault("forget_user", lambda user_key, _data: self.store.forget_user(user_key))
        self.outbox = install_broadcasts(self)

    @classmethod
    def from_config(cls, config: Config, store: Store | None = None) -> Assistant:
        content = load_content(config.knowledge_dir, config.flows_dir)
        return cls(Engine.build(content), store or SqliteStore(config.database), config.idle_seconds)

    @property
    def content(self) -> Content:
        return self.engine.content

    def handle(self, incoming: Incoming) -> Outcome:
        now = self.clock()
        for desk in self.desks:
            owned = desk.handle(incoming, now)
            if owned is not None:
                return owned
        session = self.store.load_session(incoming.user_key, now, self.idle_seconds)
        outcome = self.engine.handle(incoming, session)
        forgotten = any(action.kind == "forget_user" for action in outcome.actions)
        for action in outcome.actions:
            handler = self.action_handlers.get(action.kind)
            if handler is None:
                raise LookupError(f"no handler for core action {action.kind!r}")
            handler(incoming.user_key, action.data)
        if not forgotten:
            self.store.save_session(outcome.session, now)
        day = datetime.fromtimestamp(now, VIETNAM).date().isoformat()
        self.store.record_events(outcome.events, outcome.session, day)
        return outcome
