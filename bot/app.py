"""The assistant as channels see it: load one message's session, run the engine, save, count.

Channels call `Assistant.handle`; nothing here knows which channel is calling.
"""

from __future__ import annotations

import logging
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from bot.broadcast.install import install_broadcasts, reachable
from bot.config import Config
from bot.content.loader import Content, load_content
from bot.core.engine import Engine
from bot.core.types import Incoming, Outcome, Reply, Session
from bot.stats.actions import admin_user_keys, register
from bot.storage.base import Store
from bot.storage.sqlite import SqliteStore
from bot.understanding.semantic import Semantic, load_semantic

log = logging.getLogger(__name__)
T = TypeVar("T")
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
TROUBLE = (
    "Xin lỗi, trợ lý đang gặp sự cố kỹ thuật nên chưa làm được việc này. Anh/chị thử lại sau ít phút nhé.\n"
    "Nếu có trẻ đang gặp nguy hiểm ngay lúc này, gọi 113 (công an) hoặc 115 (cấp cứu); "
    "cần hỗ trợ, tư vấn thì gọi 111 (miễn phí, 24/7)."
)
SWEEP_EVERY = 3600.0

# A handler performs one core Action for one user; it may return replies to add (a report file…).
ActionHandler = Callable[[str, dict[str, Any]], list[Reply] | None]


def default_config() -> Config:
    return Config.load(env={}, dotenv=None)


SEMANTIC_OFF = ("off", "0", "no", "false")


def _quietly(call: Callable[..., T], *args: Any) -> T | None:
    """A bookkeeping call whose failure changes nothing for the user and says nothing in the log:
    the session save beside it reports a failing database once, and its success (a read on a full
    disk) must not announce that the database works again."""
    try:
        return call(*args)
    except (sqlite3.Error, OSError):
        return None


def build_engine(config: Config, content: Content, semantic: Semantic | None = None) -> Engine:
    """The engine with the semantic layer the settings ask for (BOT_SEMANTIC), its embeddings
    cached in BOT_DATA_DIR; lexical only when it is off or the model cannot load."""
    if semantic is None and config.get("BOT_SEMANTIC").strip().lower() not in SEMANTIC_OFF:
        semantic = load_semantic(config.data_dir, progress=_progress)
    return Engine.build(content, semantic=semantic)


def _progress(done: int, total: int) -> None:
    """A cold start embeds our content once (a few minutes on a small server): say so."""
    if done == total or done % 512 < 64:
        print(f"Đang chuẩn bị mô hình hiểu nghĩa: {done}/{total} câu…", file=sys.stderr, flush=True)


@dataclass
class Assistant:
    engine: Engine
    store: Store
    idle_seconds: float = 24 * 3600
    clock: Callable[[], float] = field(default=time.time)
    action_handlers: dict[str, ActionHandler] = field(default_factory=dict)
    config: Config = field(default_factory=default_config)
    # Asked before the engine (staff tools): each returns an Outcome for messages it owns, else None.
    desks: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Other modules (subscriptions, statistics) register their own actions the same way.
        self.action_handlers.setdefault("forget_user", lambda user_key, _data: self.store.forget_user(user_key))
        register(self)
        self.admins = admin_user_keys(self.config)
        self._next_sweep = 0.0
        self.storage_fault: str | None = None  # the kind of the last storage error, until a write works again
        self.outbox = install_broadcasts(self)

    @classmethod
    def from_config(cls, config: Config, store: Store | None = None, content: Content | None = None) -> Assistant:
        content = content or load_content(config.knowledge_dir, config.flows_dir)
        store = store or SqliteStore(config.database)
        return cls(build_engine(config, content), store, config.idle_seconds, config=config)

    @property
    def content(self) -> Content:
        return self.engine.content

    def is_admin(self, user_key: str) -> bool:
        """Ward staff, by BOT_ADMIN_IDS: the one list every staff tool and channel asks."""
        return user_key in self.admins

    def day(self, now: float | None = None) -> str:
        """The calendar day in Vietnam: statistics and the day key turn over at local midnight."""
        return datetime.fromtimestamp(self.clock() if now is None else now, VIETNAM).date().isoformat()

    def is_urgent(self, text: str | None) -> bool:
        """A danger message: channels let it through every limit they apply."""
        return bool(text) and self.engine.danger(text) is not None

    def _urgent_if_it_can_tell(self, text: str | None) -> bool:
        """After a failure: the danger check once more, which may be what failed (the apology
        itself gives 111 and 113, so it is never a silence)."""
        try:
            return self.is_urgent(text)
        except Exception:
            return False

    def answered_before(self, channel: str, update_id: int) -> bool:
        """This channel update was answered already (before a restart, too). A failing database
        says no: answering twice beats never answering."""
        delivered = getattr(self.store, "delivered", None)
        return delivered is not None and bool(_quietly(delivered.seen, channel, update_id))

    def answered(self, channel: str, update_id: int) -> None:
        """Remember that this channel update's replies went out (ids only, nothing about the sender)."""
        delivered = getattr(self.store, "delivered", None)
        if delivered is not None:
            _quietly(delivered.remember, channel, update_id, self.clock())

    def handle(self, incoming: Incoming) -> Outcome:
        """The replies to one message. Never raises: when the database fails (disk full, read-only,
        locked) the reply computed from a fresh session still goes out, the emergency card above all."""
        try:
            return self._handle(incoming)
        except Exception as exc:
            self._fault(exc)
            if self._urgent_if_it_can_tell(incoming.text):
                return self.engine.emergency(incoming.user_key)
            return Outcome([Reply(TROUBLE)], Session(user_key=incoming.user_key), [], kind="fallback")

    def _handle(self, incoming: Incoming) -> Outcome:
        now = self.clock()
        if now >= self._next_sweep:
            self._stored(self.sweep, now)
        # Staff rights, and whether broadcasts can reach the user, come from the settings and the
        # user key, never from what a channel put in the message.
        incoming = replace(incoming, admin=self.is_admin(incoming.user_key), reachable=reachable(incoming.user_key))
        # Desks own only staff commands and a staff member's draft (whose text is broadcast
        # content, not a cry for help); everything else reaches the engine and its danger check.
        for desk in self.desks:
            owned = desk.handle(incoming, now)
            if owned is not None:
                return owned
        session = self._stored(self.store.load_session, incoming.user_key, now, self.idle_seconds)
        outcome = self.engine.handle(incoming, session or Session(user_key=incoming.user_key))
        forgotten = any(action.kind == "forget_user" for action in outcome.actions)
        for action in outcome.actions:
            handler = self.action_handlers.get(action.kind)
            if handler is None:
                raise LookupError(f"no handler for core action {action.kind!r}")
            extra = handler(incoming.user_key, action.data)
            if extra:
                outcome.replies.extend(extra)
        if not forgotten:
            self._stored(self.store.save_session, outcome.session, now)
        self._stored(self.store.record_events, outcome.events, outcome.session, self.day(now), visitor=not forgotten)
        return outcome

    def _stored(self, write: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """One storage call whose failure must not cost the user their reply."""
        try:
            result = write(*args, **kwargs)
        except (sqlite3.Error, OSError) as exc:
            self._fault(exc)
            return None
        if self.storage_fault is not None:
            log.warning("The database works again.")
            self.storage_fault = None
        return result

    def _fault(self, exc: BaseException) -> None:
        """Logged once per fault, not once per message: a full disk must not fill the log too."""
        kind = type(exc).__name__
        if self.storage_fault == kind:
            return
        self.storage_fault = kind
        if isinstance(exc, sqlite3.Error | OSError):
            log.error(
                "The database cannot be used (%s: %s); replies still go out. Run: python -m bot doctor", kind, exc
            )
        else:
            log.exception("The assistant failed on a message; a short apology was sent instead")

    def sweep(self, now: float | None = None) -> None:
        """Housekeeping, at most hourly: drop idle conversation state, close past statistics days
        (destroying their day key), delete unanswered questions past their keeping period."""
        now = self.clock() if now is None else now
        self._next_sweep = now + SWEEP_EVERY
        self.store.expire_sessions(now - self.idle_seconds)
        today = self.day(now)
        self.store.stats.close_days(today)
        self.store.unanswered.purge(today)
