"""What the sender needs from a Telegram library: send one text, photo or document to one chat,
and say how it went with a typed error. Each channel (aiogram today, python-telegram-bot later)
supplies a small `Transport`; the outbox, pacing and retries live once, in the sender.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

CAPTION_LIMIT = 1024


@dataclass(frozen=True)
class OutMessage:
    """One message as sent, in plain text (no parse mode: `<`, `&`, `*`, `_` arrive as typed).
    With media, `text` is the caption. `media` is a Telegram file id, or with `upload` a local path."""

    text: str
    media_kind: str | None = None  # "photo" | "document"
    media: str | None = None
    upload: bool = False
    media_name: str | None = None


class SendError(Exception):
    """Base of the typed outcomes a transport reports instead of its library's exceptions."""


class RetryAfter(SendError):
    """429: Telegram asks the whole bot to wait `seconds` before sending anything."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class Unreachable(SendError):
    """403 (blocked, deactivated) or 400 "chat not found": this chat will never receive; skip it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Rejected(SendError):
    """Another 400: the request itself is wrong (bad file, too long); retrying cannot help."""


class Temporary(SendError):
    """A server error or timeout on this message: retry it later, a bounded number of times."""


class Down(SendError):
    """The Bot API cannot be reached at all: pause everything; messages keep their attempts."""


class Transport(Protocol):
    prefix: str  # the user keys this transport reaches, e.g. "tg:" → chat id after it

    async def send(self, chat: str, message: OutMessage) -> str | None:
        """Send; return the file id of uploaded media (to reuse for the next chats), else None."""
        ...

    async def close(self) -> None: ...
