"""Framework-free pieces every Telegram channel shares (aiogram and python-telegram-bot).

Nothing here imports a Telegram library: text splitting, keyboards as plain dicts, the command
list for setMyCommands, a per-user flood limiter, update de-duplication, per-user ordering locks,
a logging guard that keeps the bot token out of every log record, and – so that the two channels
cannot drift apart – everything a user can notice: `TelegramFront` (what the bot does with a
message or a button press), the webhook server with its secret check, and `TelegramChannel`,
the start/serve/stop lifecycle (the process around it – signals, exit codes – is `bot.serve`).
A channel module only translates its library's updates into `TextIn`/`PressIn` and implements
`Transport` (the handful of Bot API calls below) with that library. The broadcast sender
(`bot.broadcast`) uses the same `Transport` and the same typed errors, from either library.
"""

from __future__ import annotations

import asyncio
import hmac
import importlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar
from urllib.parse import quote, urlsplit

from aiohttp import web

from bot.config import Config
from bot.content.loader import Content
from bot.core.types import TEXT_LIMIT, Attachment, Incoming, Outcome, Reply

T = TypeVar("T")

FLOOD_NOTICE = (
    "Bạn đang gửi tin nhắn hơi nhanh. Mình xin phép tạm dừng một chút – "
    "khoảng một phút nữa bạn nhắn tiếp nhé, mình vẫn ở đây."
)
GROUP_NOTICE = (
    "Xin chào! Để giữ riêng tư cho các bạn nhỏ và gia đình, Trợ lý An Toàn Số chỉ trò chuyện "
    "trong tin nhắn riêng. Anh/chị vui lòng nhắn trực tiếp cho mình nhé."
)
NOT_TEXT_NOTICE = "Mình chỉ đọc được tin nhắn chữ. Anh/chị gõ câu hỏi hoặc bấm /menu nhé."
CAPTION_LIMIT = 1024  # a document's caption, in UTF-16 units as for messages
DELIVERY_CHANNEL = "telegram"  # the name under which answered update ids are kept (bot.storage.delivered)
# Stopping gives what is in hand this long, then abandons it: systemd and compose kill after 30 s,
# and a restart should not wait minutes on a Bot API that does not answer.
SHUTDOWN_SECONDS = 7.0
CLOSE_SECONDS = 1.5  # releasing connections, after the deadline if need be
# One Bot API call gives up after this long in all, retries and 429 waits included: a reply that
# cannot go out in this time is stale, and the user's next message should not queue behind it.
CALL_BUDGET_SECONDS = 45.0


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


# --- the Bot API as a channel reaches it: a transport -----------------------------------------

Rows = list[list[dict[str, str]]]
# Edited messages are answered like new ones: a parent fixes a typo, a child adds what happened –
# both deserve the answer to what the message says now (a danger detail above all).
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
log = logging.getLogger("bot.telegram")


class TransportError(Exception):
    """A Bot API call failed. Each channel turns its library's exceptions into these, so retry
    and give-up rules are written once (here and in a broadcast sender)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RetryLater(TransportError):
    """429: Telegram asks to wait `seconds` before calling again."""

    def __init__(self, message: str, seconds: float) -> None:
        super().__init__(message)
        self.seconds = seconds


class Refused(TransportError):
    """403: the user blocked the bot, or the chat is gone."""


class BadRequest(TransportError):
    """400: e.g. "message is not modified", "message can't be edited", "chat not found"."""


class Unauthorized(TransportError):
    """401: the bot token was rejected."""


class NetworkTrouble(TransportError):
    """No answer, a dropped connection, or a 5xx (`ServerError`): worth trying again shortly."""


class ServerError(NetworkTrouble):
    """A 5xx: Telegram was reached but failed this request. A broadcast retries that one message
    a bounded number of times; other network trouble pauses all sending instead."""


GONE = ("chat not found", "user not found", "peer_id_invalid", "user is deactivated", "bot was blocked")


def chat_is_gone(exc: TransportError) -> bool:
    """A 403, or a 400 that says the chat no longer exists: this chat will never receive."""
    return isinstance(exc, Refused) or (
        isinstance(exc, BadRequest) and any(sign in exc.message.lower() for sign in GONE)
    )


@dataclass(frozen=True)
class OutFile:
    """A photo or document to send: the `file_id` of one Telegram already holds (sent by staff, or
    uploaded once before), or `data` to upload under `filename`."""

    kind: Literal["photo", "document"]
    file_id: str | None = None
    data: bytes | None = None
    filename: str = "tep"


@dataclass(frozen=True)
class Sent:
    """A message Telegram accepted; `file_id`: its photo or document, to reuse for other chats."""

    message_id: int
    file_id: str | None = None


class Transport(Protocol):
    """The Bot API calls the assistant makes (chat replies and broadcasts alike), with plain values
    in and out. Raise `TransportError`s."""

    async def check_token(self) -> None: ...

    async def send_message(self, chat_id: int, text: str, rows: Rows | None = None) -> int:
        """Send a plain-text message; returns its message_id."""
        ...

    async def edit_message(self, chat_id: int, message_id: int, text: str, rows: Rows | None = None) -> None: ...

    async def send_file(
        self, chat_id: int, file: OutFile, caption: str | None = None, rows: Rows | None = None
    ) -> Sent:
        """Send a photo or document (a staff report, a broadcast's poster) with an optional
        plain-text caption."""
        ...

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None: ...

    async def set_commands(self, commands: list[tuple[str, str]]) -> None: ...

    async def set_webhook(self, url: str, secret: str | None, allowed_updates: list[str]) -> None: ...

    async def close(self) -> None:
        """Release the connections the transport opened itself (a standalone sender's); a channel's
        transport is closed with its channel."""
        ...


async def call_api(
    what: str, make: Callable[[], Awaitable[T]], *, attempts: int = 4, budget: float = CALL_BUDGET_SECONDS
) -> T | None:
    """Run one Bot API call: wait out a 429 (at most 30 s a time), retry network trouble after a
    second, give up quietly on a 403, and give up on the whole after `budget` seconds (a Bot API
    that accepts connections but never answers would otherwise hold the call for minutes).
    `BadRequest` is the caller's to judge; None means given up."""
    try:
        async with asyncio.timeout(budget):
            return await _call_with_retries(what, make, attempts)
    except TimeoutError:
        log.warning("%s: no answer within %.0f s, gave up", what, budget)
        return None


async def _call_with_retries(what: str, make: Callable[[], Awaitable[T]], attempts: int) -> T | None:
    for _attempt in range(attempts):
        try:
            return await make()
        except RetryLater as exc:
            log.warning("%s: Telegram asks to wait %s s", what, exc.seconds)
            await asyncio.sleep(min(exc.seconds, 30))
        except Refused:
            log.info("%s: the user blocked the bot or the chat is gone", what)
            return None
        except NetworkTrouble as exc:
            log.warning("%s: network error %s", what, exc.message)
            await asyncio.sleep(1)
    log.warning("%s: gave up", what)
    return None


# --- updates as plain values ------------------------------------------------------------------


@dataclass(frozen=True)
class TextIn:
    """A message, as far as the assistant cares. `text` is the text or a caption (None: a sticker…);
    `attachment`: its photo or document (only ward staff's are passed on, for broadcasts)."""

    update_id: int
    chat_id: int
    chat_type: str
    user_id: int | None
    text: str | None
    attachment: Attachment | None = None


@dataclass(frozen=True)
class PressIn:
    """A button press. chat_* and message_id are None when Telegram no longer shows the message."""

    update_id: int
    callback_id: str
    user_id: int
    data: str | None
    chat_id: int | None
    chat_type: str | None
    message_id: int | None


USER_PREFIX = "tg:"


def user_key(user_id: int) -> str:
    """The store's key for a Telegram user – the same in every channel, so they share sessions."""
    return f"{USER_PREFIX}{user_id}"


def chat_of(key: str) -> int | None:
    """The private chat of a Telegram user key (a user's private chat id is their user id)."""
    rest = key.removeprefix(USER_PREFIX)
    return int(rest) if key.startswith(USER_PREFIX) and rest.lstrip("-").isdigit() else None


class TelegramFront:
    """What the bot does with a message or a button press, whichever library delivered it:
    drop replays, keep one user's updates in order, answer groups once, throttle floods, run the
    assistant off the event loop, and turn replies into sends and edits."""

    def __init__(self, assistant: Any, transport: Transport, per_minute: int, flood_window: float = 60.0) -> None:
        self.assistant = assistant
        self.transport = transport
        self.flood = FloodLimiter(per_minute, flood_window)
        self.dedup = UpdateDedup()
        self.locks = UserLocks()
        self.groups_told: set[int] = set()
        self.inflight: set[asyncio.Task[Any]] = set()
        self._processed: deque[int] = deque(maxlen=10_000)
        self._progress = asyncio.Condition()

    async def process(self, update: TextIn | PressIn) -> None:
        if not self.dedup.first_time(update.update_id):
            log.info("Update %s seen before: ignored", update.update_id)
            await self._mark_processed(update.update_id)
            return
        task = asyncio.current_task()
        if task is not None:
            self.inflight.add(task)
        try:
            # The user's lock is taken before anything else awaits: one user's updates keep their order.
            async with self.locks.hold(self._lock_key(update)):
                if await self._answered_before(update.update_id):
                    log.info("Update %s answered before a restart: ignored", update.update_id)
                    return
                if isinstance(update, PressIn):
                    await self._on_press(update)
                else:
                    await self._on_message(update)
            # Only once the replies went out: an update cut short (crash, stop deadline) is answered
            # when Telegram sends it again after the restart.
            await asyncio.to_thread(self.assistant.answered, DELIVERY_CHANNEL, update.update_id)
        finally:
            if task is not None:
                self.inflight.discard(task)
            await self._mark_processed(update.update_id)

    async def _answered_before(self, update_id: int) -> bool:
        """Answered by an earlier run of the bot (the in-memory `dedup` forgets on restart)."""
        return await asyncio.to_thread(self.assistant.answered_before, DELIVERY_CHANNEL, update_id)

    @staticmethod
    def _lock_key(update: TextIn | PressIn) -> str:
        if update.user_id is not None:
            return user_key(update.user_id)
        return f"chat:{update.chat_id}"

    async def _on_message(self, message: TextIn) -> None:
        if message.chat_type != "private":
            if message.chat_type in ("group", "supergroup") and message.chat_id not in self.groups_told:
                self.groups_told.add(message.chat_id)
                await self.send(message.chat_id, GROUP_NOTICE)
            return
        if message.user_id is None:
            return
        key = user_key(message.user_id)
        verdict = self.flood.check(key)
        if verdict != "ok" and not await self._urgent(message.text):
            if verdict == "notice":
                await self.send(message.chat_id, FLOOD_NOTICE)
            return
        # Photos and documents are staff material (a broadcast's poster); the assistant's own list
        # (BOT_ADMIN_IDS) says who is staff.
        attachment = message.attachment if self.assistant.is_admin(key) else None
        if not message.text and attachment is None:
            await self.send(message.chat_id, NOT_TEXT_NOTICE)
            return
        incoming = Incoming(key, text=command_text(message.text or ""), attachment=attachment)
        outcome = await self._handle(incoming)
        if outcome is not None:
            await self.deliver(message.chat_id, outcome.replies, pressed=None)

    async def _on_press(self, press: PressIn) -> None:
        if press.data is None:  # a game button or a stale keyboard: just stop the spinner
            await self.answer(press.callback_id, None)
            return
        key = user_key(press.user_id)
        verdict = self.flood.check(key)
        await self.answer(press.callback_id, FLOOD_NOTICE if verdict == "notice" else None)
        if verdict != "ok" or (press.chat_type is not None and press.chat_type != "private"):
            return
        outcome = await self._handle(Incoming(key, payload=press.data))
        if outcome is not None:
            chat_id = press.chat_id if press.chat_id is not None else press.user_id
            await self.deliver(chat_id, outcome.replies, pressed=press.message_id)

    async def _urgent(self, text: str | None) -> bool:
        """A danger message goes through whatever the flood limit says (off the event loop)."""
        return bool(text) and await asyncio.to_thread(self.assistant.is_urgent, text)

    async def _handle(self, incoming: Incoming) -> Outcome | None:
        try:
            return await asyncio.to_thread(self.assistant.handle, incoming)
        except Exception:
            log.exception("The assistant failed on an update")  # no user key: logs are not for identities
            return None

    # --- replies ------------------------------------------------------------------------------

    async def deliver(self, chat_id: int, replies: list[Reply], pressed: int | None) -> None:
        """Send `replies`; one (single-message) reply marked `replace` edits the pressed message."""
        for reply in replies:
            if reply.document is not None:
                await self.send_file(chat_id, reply)
                continue
            chunks = list(iter_chunks(reply))
            if reply.replace and pressed is not None and len(chunks) == 1:
                target, pressed = pressed, None
                text, rows = chunks[0]
                if await self.edit(chat_id, target, text, rows):
                    continue
            for text, rows in chunks:
                await self.send(chat_id, text, rows)

    async def send(self, chat_id: int, text: str, rows: Rows | None = None) -> None:
        try:
            await call_api("sendMessage", lambda: self.transport.send_message(chat_id, text, rows))
        except TransportError as exc:
            log.warning("sendMessage refused: %s", exc.message)

    async def send_file(self, chat_id: int, reply: Reply) -> None:
        """A reply with a document: its text as the caption when it fits (1024), else sent first
        as ordinary messages; the buttons go with the file."""
        document = reply.document
        assert document is not None
        caption: str | None = reply.text
        if telegram_length(reply.text) > CAPTION_LIMIT:
            caption = None
            for text in split_text(reply.text):
                await self.send(chat_id, text)
        rows = keyboard_rows(reply) or None
        file = OutFile("document", data=document.data, filename=document.filename)
        try:
            await call_api("sendDocument", lambda: self.transport.send_file(chat_id, file, caption, rows))
        except TransportError as exc:
            log.warning("sendDocument refused: %s", exc.message)

    async def edit(self, chat_id: int, message_id: int, text: str, rows: Rows | None) -> bool:
        """True when the message now shows `text`; False: send a new message instead."""
        try:
            result = await call_api(
                "editMessageText", lambda: self._edited(self.transport.edit_message(chat_id, message_id, text, rows))
            )
        except TransportError as exc:
            if "not modified" in exc.message:
                return True
            log.info("editMessageText refused (%s): sending a new message", exc.message)
            return False
        return result is not None

    @staticmethod
    async def _edited(call: Awaitable[None]) -> bool:
        await call
        return True

    async def answer(self, callback_id: str, text: str | None) -> None:
        try:
            await call_api("answerCallbackQuery", lambda: self.transport.answer_callback(callback_id, text))
        except TransportError as exc:  # too old, or already answered
            log.info("answerCallbackQuery refused: %s", exc.message)

    async def announce_commands(self) -> None:
        """setMyCommands with the Vietnamese command list (the Menu button in Telegram)."""
        try:
            await self.transport.set_commands(bot_commands(self.assistant.content))
        except TransportError as exc:
            log.warning("setMyCommands failed: %s", exc.message)

    # --- progress and shutdown ----------------------------------------------------------------

    async def drain(self) -> None:
        """Wait for every update already being handled (those the library started a moment ago too)."""
        for _ in range(3):
            await asyncio.sleep(0)
        while self.inflight:
            await asyncio.gather(*list(self.inflight), return_exceptions=True)

    def abandon(self) -> int:
        """Cancel the updates still being handled (their replies could not go out in time); how many."""
        left = [task for task in self.inflight if not task.done()]
        for task in left:
            task.cancel()
        return len(left)

    async def wait_processed(self, update_id: int, times: int = 1, timeout: float = 10.0) -> None:
        """Tests and tools: wait until the update with this id was handled (or dropped) `times` times."""
        async with self._progress:
            done = self._progress.wait_for(lambda: self._processed.count(update_id) >= times)
            await asyncio.wait_for(done, timeout)

    async def _mark_processed(self, update_id: int) -> None:
        async with self._progress:
            self._processed.append(update_id)
            self._progress.notify_all()


# --- the webhook server (one secret check for both channels) ----------------------------------


class WebhookServer:
    """An aiohttp server for Telegram's webhook POSTs at `path`. A request without the right
    secret header gets 403 and is never looked at; an accepted update is answered 200 at once and
    handed to `feed` in the background (Telegram would otherwise resend it after a timeout)."""

    def __init__(
        self, path: str, host: str, port: int, secret: str | None, feed: Callable[[dict[str, Any]], Awaitable[None]]
    ) -> None:
        self.path, self.host, self.port = path, host, port
        self.secret = (secret or "").encode()
        self.feed = feed
        self._tasks: set[asyncio.Task[None]] = set()
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    async def start(self) -> int:
        app = web.Application()
        app.router.add_post(self.path, self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()
        self.port = self._runner.addresses[0][1]
        return self.port

    async def stop(self) -> None:
        """Take no new updates, then wait for the accepted ones to be handed over."""
        if self._site is not None:
            await self._site.stop()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if self.secret and not hmac.compare_digest(given, self.secret):
            return web.Response(status=403, text="Forbidden")
        try:
            data = await request.json()
        except ValueError:
            return web.Response(status=400, text="Bad Request")
        if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
            return web.Response(status=400, text="Bad Request")
        task = asyncio.create_task(self._feed(data))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return web.json_response({})

    async def _feed(self, data: dict[str, Any]) -> None:
        try:
            await self.feed(data)
        except Exception as exc:  # the traceback may quote the update (message text): DEBUG only
            log.error("Webhook update %s could not be handled (%s)", data.get("update_id"), type(exc).__name__)
            log.debug("Webhook update failure", exc_info=True)


# --- the lifecycle every channel shares -------------------------------------------------------


def flood_per_minute(config: Config) -> int:
    try:
        return int(config.get("BOT_FLOOD_PER_MINUTE"))
    except ValueError:
        return 20


class TelegramChannel:
    """Start, serve (long polling, or a webhook when BOT_WEBHOOK_URL is set), stop gracefully.
    Subclasses plug their library in through the `_open`…`_close` hooks and call
    `self.front.process(...)` with the plain updates they receive."""

    framework = ""

    def __init__(
        self,
        config: Config,
        assistant: Any,
        transport: Transport,
        *,
        polling_timeout: int = 10,
        flood_window: float = 60.0,
    ) -> None:
        self.config = config
        self.assistant = assistant
        self.polling_timeout = polling_timeout
        self.front = TelegramFront(assistant, transport, flood_per_minute(config), flood_window)
        self.ready = asyncio.Event()
        self.webhook_port: int | None = None
        self._stop = asyncio.Event()
        self._stop_by: float | None = None  # monotonic deadline, from the first stop request

    @property
    def webhook_url(self) -> str:
        return self.config.get("BOT_WEBHOOK_URL").strip()

    async def wait_processed(self, update_id: int, times: int = 1, timeout: float = 10.0) -> None:
        await self.front.wait_processed(update_id, times, timeout)

    def request_stop(self) -> None:
        if self._stop_by is None:
            self._stop_by = time.monotonic() + SHUTDOWN_SECONDS
        self._stop.set()

    def _time_left(self) -> float:
        if self._stop_by is None:  # polling ended on its own: the same allowance from now
            self._stop_by = time.monotonic() + SHUTDOWN_SECONDS
        return max(0.0, self._stop_by - time.monotonic())

    async def _by_deadline(self, step: Awaitable[Any], what: str, at_least: float = 0.0) -> bool:
        """Run a stopping step within what is left of the shutdown allowance; False if cut short."""
        try:
            await asyncio.wait_for(step, max(self._time_left(), at_least))
        except TimeoutError:
            log.warning("Stopping: %s took too long (is the Bot API reachable?); cut short", what)
            return False
        return True

    async def stop(self, task: asyncio.Task[None] | None = None) -> None:
        self.request_stop()
        if task is not None:
            await task

    async def run(self) -> None:
        """Serve until `request_stop()`; updates already received are finished first."""
        with redact_secrets(self.config.token, self.config.get("BOT_WEBHOOK_SECRET")):
            try:
                await self._open()
                await self.front.announce_commands()
                if self.webhook_url:
                    await self._serve_webhook()
                else:
                    await self._serve_polling()
                await self._wind_down()
            finally:
                await self._by_deadline(self._close(), "closing connections", at_least=CLOSE_SECONDS)

    async def _wind_down(self) -> None:
        """Finish the updates in hand within the shutdown allowance; abandon the rest, saying so."""
        finished = await self._by_deadline(self._finish(), "finishing updates")
        if finished:
            finished = await self._by_deadline(self.front.drain(), "sending the last replies")
        if not finished:
            abandoned = self.front.abandon()
            if abandoned:
                log.warning("Stopping: %d update(s) abandoned, their replies could not be sent in time", abandoned)

    async def _serve_polling(self) -> None:
        polling = await self._start_polling()
        log.info("Telegram (%s): long polling", self.framework)
        self.ready.set()
        stopper = asyncio.ensure_future(self._stop.wait())
        waiting: set[asyncio.Future[Any]] = {stopper} | ({polling} if polling is not None else set())
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        await self._by_deadline(self._stop_polling(), "stopping polling")

    async def _serve_webhook(self) -> None:
        secret = self.config.get("BOT_WEBHOOK_SECRET") or None
        if not secret:
            log.warning("BOT_WEBHOOK_SECRET is empty: anyone who finds the webhook address can post updates")
        host, port = self.config.get("BOT_WEBHOOK_HOST"), int(self.config.get("BOT_WEBHOOK_PORT"))
        server = WebhookServer(urlsplit(self.webhook_url).path or "/", host, port, secret, self._feed_webhook)
        self.webhook_port = await server.start()
        try:
            await self.front.transport.set_webhook(self.webhook_url, secret, ALLOWED_UPDATES)
            log.info("Telegram (%s): webhook server on %s:%s", self.framework, host, self.webhook_port)
            self.ready.set()
            await self._stop.wait()
        finally:
            await self._by_deadline(server.stop(), "stopping the webhook server", at_least=CLOSE_SECONDS)

    # --- hooks --------------------------------------------------------------------------------

    async def _open(self) -> None:
        """Connect and check the token (raise `Unauthorized` when Telegram rejects it)."""

    async def _start_polling(self) -> asyncio.Future[Any] | None:
        """Start fetching updates; may return a future that ends if polling dies on its own."""
        raise NotImplementedError

    async def _stop_polling(self) -> None:
        raise NotImplementedError

    async def _feed_webhook(self, data: dict[str, Any]) -> None:
        raise NotImplementedError

    async def _finish(self) -> None:
        """After updates stop arriving: let the library finish what it already took in."""

    async def _close(self) -> None:
        """Release connections (always called)."""


FRAMEWORKS = {
    "aiogram": ("bot.channels.telegram_aiogram", "AiogramChannel", "aiogram"),
    "ptb": ("bot.channels.telegram_ptb", "PtbChannel", "python-telegram-bot"),
}


def channel_class(framework: str) -> type[TelegramChannel]:
    """The channel class for BOT_FRAMEWORK, imported only when chosen (PTB is an optional extra).
    Raises KeyError for an unknown name and ImportError when its library is not installed."""
    module_name, class_name, _package = FRAMEWORKS[framework]
    return getattr(importlib.import_module(module_name), class_name)


def open_transport(config: Config, framework: str | None = None) -> Transport:
    """A transport with connections of its own, through BOT_FRAMEWORK's library (or `framework`):
    for sending without a running channel (`python -m bot broadcast send`, benchmarks). Close it."""
    name = (framework or config.get("BOT_FRAMEWORK")).strip().lower() or "aiogram"
    module_name, _class_name, _package = FRAMEWORKS[name]
    return importlib.import_module(module_name).standalone_transport(config)
