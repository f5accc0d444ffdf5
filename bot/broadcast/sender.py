"""The one broadcast sender: works through a broadcast's pending outbox rows at Telegram's pace.

- Each row is marked the moment Telegram accepts its message, so after a crash only the messages
  in flight (at most `concurrency`) can arrive twice.
- 429: the whole sender pauses for retry_after, then that same message goes first.
- 403 / "chat not found": the row is `blocked` and the subscriber inactive, skipped from then on.
- Server errors: retried with back-off (`backoff` × 4^attempt seconds), at most `max_attempts`
  tries, then `failed`. A bad request (400) fails at once: trying again cannot help.
- Bot API unreachable (or the token refused): everything pauses (growing to a minute); no message
  loses an attempt.
- Media is uploaded once; the file id Telegram returns is reused for every other chat.
The Bot API is reached through the channels' own `telegram_common.Transport` (aiogram or
python-telegram-bot), and its typed errors are the ones read here. All database work runs on one
thread of its own (its own connection to the same file), so the event loop and the chat stay responsive.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from bot.broadcast.outbox import Broadcast, Outbox, Row
from bot.broadcast.pacing import Pacer, Turn
from bot.channels.telegram_common import (
    BadRequest,
    NetworkTrouble,
    OutFile,
    RetryLater,
    ServerError,
    Transport,
    TransportError,
    Unauthorized,
    chat_is_gone,
    chat_of,
)

log = logging.getLogger("bot.broadcast")
T = TypeVar("T")


@dataclass(frozen=True)
class OutMessage:
    """One message as sent, in plain text (no parse mode: `<`, `&`, `*`, `_` arrive as typed).
    With media, `text` is the caption. `media` is a Telegram file id, or with `upload` a local path."""

    text: str
    media_kind: Literal["photo", "document"] | None = None
    media: str | None = None
    upload: bool = False
    media_name: str | None = None


class DbThread:
    """The sender's own store (its own connection to the database file), used from one worker thread."""

    def __init__(self, path: Path | str) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="outbox")
        self.outbox: Outbox = self._executor.submit(self._open, path).result()

    @staticmethod
    def _open(path: Path | str) -> Outbox:
        from bot.storage.sqlite import SqliteStore

        store = SqliteStore(path)
        store.db.execute("PRAGMA synchronous = NORMAL")  # WAL: a commit survives a killed process
        return Outbox(store)

    async def __call__(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def close(self) -> None:
        self._executor.submit(self.outbox.store.close).result()
        self._executor.shutdown()


@dataclass
class Totals:
    """What one sender saw (for logs and the benchmark)."""

    sent: int = 0
    retry_after: int = 0
    blocked: int = 0
    failed: int = 0
    retried: int = 0


class Sender:
    def __init__(
        self,
        db: DbThread,
        transport: Transport,
        *,
        rate: float = 30,
        concurrency: int = 8,
        max_attempts: int = 4,
        backoff: float = 2.0,
        per_chat: float = 1.0,
        clock: Callable[[], float] = time.time,
        pacer: Pacer | None = None,
    ) -> None:
        self.db = db
        self.transport = transport
        self.pacer = pacer or Pacer(rate, per_chat=per_chat)
        self.concurrency = max(1, concurrency)
        self.max_attempts = max(1, max_attempts)
        self.backoff = backoff
        self.clock = clock
        self.totals = Totals()
        self._down_streak = 0
        self.on_sent: Callable[[], None] | None = None

    def message(self, broadcast: Broadcast, row: Row, file_id: str | None) -> OutMessage:
        text = row.text or broadcast.text
        if not broadcast.media_kind:
            return OutMessage(text)
        media = file_id or broadcast.media_ref
        return OutMessage(text, broadcast.media_kind, media, upload=file_id is None, media_name=broadcast.media_name)

    async def send(
        self, broadcast: Broadcast, stop: asyncio.Event, keep_going: Callable[[], bool] = lambda: True
    ) -> bool:
        """Send what is pending of `broadcast`. True when nothing is left (done or cancelled);
        False when stopped (by `stop`, or `keep_going()` turning false) with work remaining."""
        outbox = self.db.outbox
        await self.db(outbox.start, broadcast.id, self.clock())
        log.info("Broadcast #%s: sending (%s recipients)", broadcast.id, broadcast.total)
        file_id = broadcast.media_file_id
        retry: deque[Row] = deque()
        buffer: deque[Row] = deque()
        tasks: set[asyncio.Task[None]] = set()
        slots = asyncio.Semaphore(self.concurrency)
        cursor, checked, finished = 0, 0.0, False

        async def one(row: Row, turn: Turn) -> None:
            nonlocal file_id
            try:
                new_id = await self._deliver(broadcast, row, self.message(broadcast, row, file_id), retry, turn)
                if new_id and not file_id:
                    file_id = new_id
                    await self.db(outbox.set_media_file_id, broadcast.id, new_id)
            finally:
                slots.release()

        while True:
            if stop.is_set() or not keep_going():
                break
            if time.monotonic() - checked > 0.5:
                checked = time.monotonic()
                if await self.db(outbox.status, broadcast.id) != "sending":
                    finished = True  # cancelled (or finished elsewhere)
                    break
            retrying = bool(retry)
            if retrying:
                row = retry.popleft()
            else:
                if not buffer:
                    buffer.extend(await self.db(outbox.rows, broadcast.id, self.clock(), cursor, 64))
                    if buffer:
                        cursor = buffer[-1].id
                if not buffer:
                    if tasks:  # end of a pass: let in-flight messages finish (a 429 brings one back)
                        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                        continue
                    left, earliest = await self.db(outbox.waiting, broadcast.id)
                    if not left:
                        finished = True
                        break
                    cursor = 0  # rows waiting for their back-off: start a new pass when due
                    await wait_or_stop(stop, max(0.05, min(1.0, (earliest or 0) - self.clock())))
                    continue
                row = buffer.popleft()
            if broadcast.media_kind and not file_id and tasks:
                await asyncio.wait(tasks)  # upload once: the first media message goes alone
            await slots.acquire()
            if not retrying and not await self.db(outbox.is_pending, row.id):  # withdrawn, cancelled, forgotten
                slots.release()
                continue
            turn = await self.pacer.slot(row.user_key)
            if retry and not retrying:  # a 429 came back while waiting: that message goes first
                buffer.appendleft(row)
                row = retry.popleft()
                self.pacer.reassign(turn, row.user_key)
            task = asyncio.create_task(one(row, turn))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if finished:
            await self.db(outbox.finish_if_done, broadcast.id, self.clock())
        return finished

    async def _deliver(
        self, broadcast: Broadcast, row: Row, message: OutMessage, retry: deque[Row], turn: Turn
    ) -> str | None:
        outbox = self.db.outbox
        chat = chat_of(row.user_key)
        try:
            try:
                if chat is None:  # only Telegram subscribers are queued; never guess a chat
                    raise BadRequest("not a Telegram chat")
                file_id = await self._send(chat, message)
            finally:
                self.pacer.finished(turn)
        except RetryLater as exc:
            self.totals.retry_after += 1
            log.warning("Broadcast #%s: Telegram asks to wait %s s; pausing", broadcast.id, exc.seconds)
            self.pacer.pause(exc.seconds)
            retry.append(row)  # first refused, first retried: ahead of every new row
            return None
        except ServerError as exc:  # Telegram failed this one request
            return await self._failed_once(broadcast, row, exc)
        except (Unauthorized, NetworkTrouble) as exc:
            # Unreachable, or the token refused: everyone waits; no message loses an attempt.
            self._down_streak += 1
            wait = min(60.0, 2.0**self._down_streak)
            log.warning("Broadcast #%s: Bot API unreachable (%s); pausing %.0f s", broadcast.id, exc.message, wait)
            self.pacer.pause(wait)
            retry.append(row)
            return None
        except TransportError as exc:  # gone (403, "chat not found"), refused (400), or another error
            return await self._failed_once(broadcast, row, exc)
        except Exception as exc:  # a surprise from the library: retried, bounded
            log.exception("Broadcast #%s: unexpected error from the transport", broadcast.id)
            return await self._failed_once(broadcast, row, exc)
        self._down_streak = 0
        await self.db(outbox.mark_sent, row.id, self.clock())
        self.totals.sent += 1
        if self.on_sent:
            self.on_sent()
        return file_id

    async def _failed_once(self, broadcast: Broadcast, row: Row, exc: Exception) -> None:
        """This message failed: the chat is gone (blocked), the request can never work (failed),
        or it may work later (retried with back-off, at most `max_attempts` tries)."""
        outbox = self.db.outbox
        if isinstance(exc, TransportError) and chat_is_gone(exc):
            self.totals.blocked += 1
            reason = "blocked" if not isinstance(exc, BadRequest) else "chat_not_found"
            await self.db(outbox.mark_blocked, row, reason, self.clock())
            return None
        if isinstance(exc, BadRequest):
            self.totals.failed += 1
            log.warning("Broadcast #%s: message refused: %s", broadcast.id, exc.message)
            await self.db(outbox.mark_failed, row, exc.message)
            return None
        if row.attempts + 1 >= self.max_attempts:
            self.totals.failed += 1
            await self.db(outbox.mark_failed, row, f"{type(exc).__name__}: {exc}")
        else:
            self.totals.retried += 1
            next_at = self.clock() + self.backoff * 4**row.attempts
            await self.db(outbox.mark_retry, row, f"{type(exc).__name__}: {exc}", next_at)
        return None

    async def _send(self, chat: int, message: OutMessage) -> str | None:
        """One message through the transport; the file id of media this call uploaded, else None."""
        if not message.media_kind:
            await self.transport.send_message(chat, message.text)
            return None
        if not message.upload:
            await self.transport.send_file(chat, OutFile(message.media_kind, file_id=message.media), message.text)
            return None
        name = message.media_name or "tep"
        path = Path(message.media or "")
        if not path.is_file():
            raise BadRequest(f"media file missing: {name}")
        data = await asyncio.to_thread(path.read_bytes)
        sent = await self.transport.send_file(chat, OutFile(message.media_kind, data=data, filename=name), message.text)
        return sent.file_id


async def wait_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), max(0.0, seconds))
