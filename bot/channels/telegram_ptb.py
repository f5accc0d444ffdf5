"""Telegram through python-telegram-bot 22: the same bot as the aiogram channel, on PTB.

Usage: `pip install -e ".[ptb]"`, then `BOT_FRAMEWORK=ptb python -m bot run` with
TELEGRAM_BOT_TOKEN set. Long polling through PTB's `Updater`, or – when BOT_WEBHOOK_URL is set –
the shared aiohttp webhook server (telegram_common), which puts accepted updates on PTB's
`update_queue` as PTB's "custom webhook" examples do; so PTB's tornado extra is not needed and
both channels check the webhook secret with the same code.

Translation only: PTB handlers turn updates into `TextIn`/`PressIn` for the shared
`TelegramFront`; no ConversationHandler, no PicklePersistence – conversation state stays in the
assistant's store under the same user keys as the aiogram channel, so either can take over.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import warnings
from collections.abc import Iterator
from typing import Any

# PTB 22.2+ warns on every 429 unless opted in to `retry_after` as a timedelta (PTB 23's type);
# the documented switch is this variable. `_seconds` below copes with both forms.
os.environ.setdefault("PTB_TIMEDELTA", "true")

from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message, Update
from telegram.error import (
    BadRequest as PtbBadRequest,
)
from telegram.error import (
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, MessageHandler, filters
from telegram.request import HTTPXRequest

from bot.app import Assistant
from bot.channels.telegram_common import (
    ALLOWED_UPDATES,
    BadRequest,
    NetworkTrouble,
    OutFile,
    PressIn,
    Refused,
    RetryLater,
    Rows,
    Sent,
    ServerError,
    TelegramChannel,
    TextIn,
    TransportError,
    Unauthorized,
    redact_secrets,
)
from bot.config import Config
from bot.core.types import Attachment

log = logging.getLogger("bot.telegram")


def _seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after is an int or a timedelta depending on PTB_TIMEDELTA (and warns)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """PTB's exceptions → the shared `TransportError`s (BadRequest before NetworkError: a subclass)."""
    try:
        yield
    except RetryAfter as exc:
        raise RetryLater(exc.message, _seconds(exc)) from exc
    except Forbidden as exc:
        raise Refused(exc.message) from exc
    except InvalidToken as exc:
        raise Unauthorized("token rejected") from exc  # PTB's message quotes the token
    except PtbBadRequest as exc:
        raise BadRequest(exc.message) from exc
    except NetworkError as exc:  # TimedOut, 5xx, connection errors
        if _answered(exc):
            raise ServerError(exc.message) from exc
        raise NetworkTrouble(exc.message) from exc
    except TelegramError as exc:
        raise TransportError(exc.message) from exc


def _answered(exc: NetworkError) -> bool:
    """Telegram answered with a 5xx (PTB raises those with no cause), rather than not at all
    (a timeout, or a connection error PTB raises from httpx's)."""
    return not isinstance(exc, TimedOut) and (exc.__cause__ is None or isinstance(exc.__cause__, TelegramError))


def _text_in(message: Message, update_id: int, attachment: Attachment | None) -> TextIn:
    user = message.from_user
    return TextIn(
        update_id=update_id,
        chat_id=message.chat.id,
        chat_type=str(message.chat.type),
        user_id=user.id if user else None,
        text=message.text or message.caption,
        attachment=attachment,
    )


def _attachment(message: Message) -> Attachment | None:
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id)  # the largest size
    if message.document:
        return Attachment("document", message.document.file_id, message.document.file_name or "")
    return None


def _markup(rows: Rows | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(**button) for button in row] for row in rows])


class PtbTransport:
    """`telegram_common.Transport` on a PTB `Bot`."""

    def __init__(self, bot: Any, *, requests: tuple[HTTPXRequest, ...] = ()) -> None:
        self.bot = bot
        # Requests opened for this transport alone: the Bot is initialised on first use, and
        # `close` releases their connections (a channel's transport is closed with its channel).
        self.requests = requests
        self._ready = not requests

    @classmethod
    def standalone(cls, config: Config) -> PtbTransport:
        """A transport with a Bot of its own (`python -m bot broadcast send`, benchmarks)."""
        base = config.get("TELEGRAM_API_BASE").rstrip("/")
        requests = (HTTPXRequest(connection_pool_size=32), HTTPXRequest(connection_pool_size=1))
        with redact_secrets(config.token):
            bot = Bot(
                config.token,
                base_url=f"{base}/bot",
                base_file_url=f"{base}/file/bot",
                request=requests[0],
                get_updates_request=requests[1],
            )
        return cls(bot, requests=requests)

    async def _start(self) -> None:
        if not self._ready:
            with _translated():
                await self.bot.initialize()  # getMe: a wrong token fails here
            self._ready = True

    async def check_token(self) -> None:
        await self._start()
        with _translated():
            await self.bot.get_me()

    async def send_message(self, chat_id: int, text: str, rows: Rows | None = None) -> int:
        await self._start()
        with _translated():
            message = await self.bot.send_message(chat_id=chat_id, text=text, reply_markup=_markup(rows))
        return message.message_id

    async def edit_message(self, chat_id: int, message_id: int, text: str, rows: Rows | None = None) -> None:
        with _translated():
            await self.bot.edit_message_text(
                chat_id=chat_id, message_id=message_id, text=text, reply_markup=_markup(rows)
            )

    async def send_file(
        self, chat_id: int, file: OutFile, caption: str | None = None, rows: Rows | None = None
    ) -> Sent:
        await self._start()
        source = file.file_id or InputFile(file.data or b"", filename=file.filename)
        with _translated():
            if file.kind == "photo":
                message = await self.bot.send_photo(
                    chat_id=chat_id, photo=source, caption=caption, reply_markup=_markup(rows)
                )
                return Sent(message.message_id, message.photo[-1].file_id if message.photo else None)
            message = await self.bot.send_document(
                chat_id=chat_id, document=source, caption=caption, reply_markup=_markup(rows)
            )
        return Sent(message.message_id, message.document.file_id if message.document else None)

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None:
        with _translated():
            await self.bot.answer_callback_query(callback_query_id=callback_id, text=text)

    async def set_commands(self, commands: list[tuple[str, str]]) -> None:
        with _translated():
            await self.bot.set_my_commands([BotCommand(name, text) for name, text in commands])

    async def set_webhook(self, url: str, secret: str | None, allowed_updates: list[str]) -> None:
        with _translated():
            await self.bot.set_webhook(url, secret_token=secret, allowed_updates=allowed_updates)

    async def close(self) -> None:
        if not self.requests:
            return
        with contextlib.suppress(TelegramError, RuntimeError):
            await self.bot.shutdown()
        for request in self.requests:
            await request.shutdown()


class PtbChannel(TelegramChannel):
    framework = "ptb"

    def __init__(
        self,
        config: Config,
        assistant: Assistant,
        *,
        polling_timeout: int = 10,
        flood_window: float = 60.0,
    ) -> None:
        base = config.get("TELEGRAM_API_BASE").rstrip("/")
        # Our own request objects (PTB's defaults), so `_close` can release their connections
        # even when `initialize()` failed half-way (a rejected token).
        self._requests = (HTTPXRequest(connection_pool_size=256), HTTPXRequest(connection_pool_size=1))
        with redact_secrets(config.token):  # PTB logs its API URLs, token included, at DEBUG here
            self.application: Application[Any, Any, Any, Any, Any, Any] = (
                ApplicationBuilder()
                .token(config.token)
                .request(self._requests[0])
                .get_updates_request(self._requests[1])
                .base_url(f"{base}/bot")
                .base_file_url(f"{base}/file/bot")
                # Updates of different users run side by side, as in aiogram; the shared front
                # keeps one user's updates in order.
                .concurrent_updates(True)
                .build()
            )
        super().__init__(
            config,
            assistant,
            PtbTransport(self.application.bot),
            polling_timeout=polling_timeout,
            flood_window=flood_window,
        )
        self.application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self._on_message))
        self.application.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, self._on_edited))
        self.application.add_handler(CallbackQueryHandler(self._on_callback))
        self.application.add_error_handler(self._on_error)

    # --- translation --------------------------------------------------------------------------

    async def _on_message(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        if update.message is not None:
            await self.front.process(_text_in(update.message, update.update_id, _attachment(update.message)))

    async def _on_edited(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        """An edited message: its text now, as a new message (never its attachment again)."""
        if update.edited_message is not None:
            await self.front.process(_text_in(update.edited_message, update.update_id, None))

    async def _on_callback(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        if query is None:
            return
        message = query.message if isinstance(query.message, Message) else None
        await self.front.process(
            PressIn(
                update_id=update.update_id,
                callback_id=query.id,
                user_id=query.from_user.id,
                data=query.data,
                chat_id=message.chat.id if message else None,
                chat_type=str(message.chat.type) if message else None,
                message_id=message.message_id if message else None,
            )
        )

    async def _on_error(self, _update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        # PTB's default would log the whole update (message text included) at ERROR.
        error = context.error
        log.error("Update failed: %s", type(error).__name__, exc_info=error)

    # --- lifecycle hooks ----------------------------------------------------------------------

    async def _open(self) -> None:
        with _translated():
            await self.application.initialize()  # getMe: a wrong token fails here
        await self.application.start()

    async def _start_polling(self) -> asyncio.Future[Any] | None:
        updater = self.application.updater
        assert updater is not None
        with _translated():
            await updater.start_polling(
                timeout=dt.timedelta(seconds=self.polling_timeout),
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
        return None  # PTB's polling loop retries on its own until stopped

    async def _stop_polling(self) -> None:
        updater = self.application.updater
        if updater is not None and updater.running:
            await updater.stop()  # also confirms the last offset to Telegram

    async def _feed_webhook(self, data: dict[str, Any]) -> None:
        await self.application.update_queue.put(Update.de_json(data, self.application.bot))

    async def _finish(self) -> None:
        if self.application.running:
            await self.application.stop()  # handles what is queued, awaits running handlers

    async def _close(self) -> None:
        if self.application.running:
            await self.application.stop()
        with contextlib.suppress(RuntimeError, TelegramError):
            await self.application.shutdown()
        for request in self._requests:
            await request.shutdown()


def standalone_transport(config: Config) -> PtbTransport:
    """`telegram_common.open_transport` for BOT_FRAMEWORK=ptb."""
    return PtbTransport.standalone(config)
