"""Framework-free pieces every Telegram channel shares (aiogram today, python-telegram-bot later).

Nothing here imports a Telegram library: text splitting, keyboards as plain dicts, the command
list for setMyCommands, a per-user flood limiter, update de-duplication, per-user ordering locks
and a logging guard that keeps the bot token out of every log record.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any, Literal
from urllib.parse import quote

from bot.content.loader import Content
from bot.core.types import TEXT_LIMIT, Reply

FLOOD_NOTICE = (
    "Bạn đang gửi tin nhắn hơi nhanh. Mình xin phép tạm dừng một chút – "
    "khoảng một phút nữa bạn nhắn tiếp nhé, mình vẫn ở đây."
)
GROUP_NOTICE = (
    "Xin chào! Để giữ riêng tư cho các bạn nhỏ và gia đình, Trợ lý An Toàn Số chỉ trò chuyện "
    "trong tin nhắn riêng. Anh/chị vui lòng nhắn trực tiếp cho mình nhé."
)
NOT_TEXT_NOTICE = "Mình chỉ đọc được tin nhắn chữ. Anh/chị gõ câu hỏi hoặc bấm /menu nhé."


# --- text -------------------------------------------------------------------------------------


def telegram_length(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _fitting(text: str, limit: int) -> int:
    """How many leading characters of `text` fit in `limit` UTF-16 code units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Cut `text` into pieces Telegram accepts (at most `limit` UTF-16 units each), preferring
    paragraph boundaries, then line breaks, then spaces; an unbroken run is cut hard."""
    if telegram_length(text) <= limit:
        return [text]
    pieces: list[str] = []
    rest = text
    while telegram_length(rest) > limit:
        fits = max(1, _fitting(rest, limit))
        cut = -1
        for separator in ("\n\n", "\n", " "):
            at = rest.rfind(separator, 0, fits)
            if at > 0:
                cut = at
                break
        if cut <= 0:
            head, rest = rest[:fits], rest[fits:]
        else:
            head, rest = rest[:cut], rest[cut:].lstrip("\n ")
        head = head.rstrip()
        if head:
            pieces.append(head)
    if rest.strip():
        pieces.append(rest)
    return pieces


def keyboard_rows(reply: Reply) -> list[list[dict[str, str]]]:
    """Inline keyboard rows for `reply`, as Telegram's JSON: callback_data is the button payload."""
    return [[{"text": b.label, "callback_data": b.payload} for b in row] for row in reply.buttons if row]


def bot_commands(content: Content) -> list[tuple[str, str]]:
    """(command, Vietnamese description) pairs for setMyCommands, in the order of commands.yaml."""
    commands = content.flows.commands
    described = commands.command_help
    return [(name, described[name][:256]) for name in commands.commands if described.get(name)]


def command_text(text: str) -> str:
    """`/menu@SomeBot extra` → `/menu extra`, so the core sees the same command in any chat."""
    if not text.startswith("/"):
        return text
    head, sep, tail = text.partition(" ")
    return head.split("@", 1)[0] + sep + tail


# --- flood, duplicates, ordering --------------------------------------------------------------

Verdict = Literal["ok", "notice", "drop"]


class FloodLimiter:
    """At most `per_window` updates per user per sliding `window` seconds. Over the limit the first
    update gets `"notice"` (send one polite message), the rest of that window `"drop"`."""

    def __init__(self, per_window: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_window = max(1, per_window)
        self.window = window
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._noticed_until: dict[str, float] = {}

    def check(self, user: str) -> Verdict:
        now = self.clock()
        hits = self._hits.setdefault(user, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.per_window:
            hits.append(now)
            if len(self._hits) > 10_000:
                self._forget_idle(now)
            return "ok"
        if self._noticed_until.get(user, 0.0) > now:
            return "drop"
        self._noticed_until[user] = now + self.window
        return "notice"

    def _forget_idle(self, now: float) -> None:
        for user in [u for u, h in self._hits.items() if not h or h[-1] <= now - self.window]:
            del self._hits[user]
            self._noticed_until.pop(user, None)


class UpdateDedup:
    """Remembers the last `size` update ids; `first_time(id)` is True once per id."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._seen: OrderedDict[int, None] = OrderedDict()

    def first_time(self, update_id: int) -> bool:
        if update_id in self._seen:
            return False
        self._seen[update_id] = None
        if len(self._seen) > self.size:
            self._seen.popitem(last=False)
        return True


class UserLocks:
    """One asyncio lock per user: a user's updates run one at a time, in arrival order (asyncio
    locks wake waiters first-in first-out). Locks of idle users are dropped."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, user: str) -> Any:
        lock = self._locks.setdefault(user, asyncio.Lock())
        self._users[user] = self._users.get(user, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[user] -= 1
            if not self._users[user]:
                del self._users[user]
                del self._locks[user]

    def __len__(self) -> int:
        return len(self._locks)


# --- secrets out of logs ----------------------------------------------------------------------

REDACTED = "<TOKEN>"


class TokenRedactor(logging.Filter):
    """Rewrites a log record so that none of `secrets` appears in its message, exception or stack
    text (also URL-encoded, as in aiohttp's request URLs). Never drops a record."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms.update({secret, quote(secret, safe=""), quote(secret)})
        self.forms = sorted(forms, key=len, reverse=True)

    def clean(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, REDACTED)
        return text

    def _dirty(self, text: str | None) -> bool:
        return bool(text) and any(form in text for form in self.forms)

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.forms:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what we can
            message = str(record.msg)
        if self._dirty(message):
            record.msg, record.args = self.clean(message), None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = self.clean(text)
            record.exc_info = None
        elif self._dirty(record.exc_text):
            record.exc_text = self.clean(record.exc_text or "")
        if self._dirty(record.stack_info):
            record.stack_info = self.clean(record.stack_info or "")
        return True


class redact_secrets:  # noqa: N801 - used like a function: `with redact_secrets(token): ...`
    """Install a `TokenRedactor` on every log record created in this process (through the record
    factory, so handlers added later – pytest's caplog, a file handler – are covered too)."""

    def __init__(self, *secrets: str) -> None:
        self.redactor = TokenRedactor(*secrets)
        self._previous: Callable[..., logging.LogRecord] | None = None

    def install(self) -> redact_secrets:
        previous = logging.getLogRecordFactory()
        redactor = self.redactor

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            redactor.filter(record)
            return record

        self._previous = previous
        logging.setLogRecordFactory(factory)
        return self

    def uninstall(self) -> None:
        if self._previous is not None:
            logging.setLogRecordFactory(self._previous)
            self._previous = None

    def __enter__(self) -> redact_secrets:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()


def iter_chunks(reply: Reply) -> Iterator[tuple[str, list[list[dict[str, str]]] | None]]:
    """The messages one reply becomes: its text split to Telegram's limit, keyboard on the last."""
    pieces = split_text(reply.text)
    rows = keyboard_rows(reply) or None
    for number, piece in enumerate(pieces, 1):
        yield piece, rows if number == len(pieces) else None
