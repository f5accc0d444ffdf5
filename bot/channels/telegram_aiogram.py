"""Telegram through aiogram 3: translate updates into `TextIn`/`PressIn`, Bot API calls into aiogram.

Usage: `python -m bot run` with TELEGRAM_BOT_TOKEN set (BOT_FRAMEWORK=aiogram, the default).
Long polling unless BOT_WEBHOOK_URL is set; then the shared webhook server (telegram_common)
receives Telegram's POSTs on BOT_WEBHOOK_HOST:PORT, checking BOT_WEBHOOK_SECRET (wrong → 403).

What the bot does with an update lives in `telegram_common.TelegramFront`, shared with the
python-telegram-bot channel. Conversation state lives in the assistant's store, never in
aiogram's FSM, so a restart – or a switch to the other library – resumes where the user was.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from aiogram.utils.token import TokenValidationError

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
)
from bot.config import Config
from bot.core.types import Attachment


@contextlib.contextmanager
def _translated() -> Iterator[None]:
    """aiogram's exceptions → the shared `TransportError`s."""
    try:
        yield
    except TelegramRetryAfter as exc:
        raise RetryLater(exc.message, float(exc.retry_after)) from exc
    except TelegramForbiddenError as exc:
        raise Refused(exc.message) from exc
    except TelegramUnauthorizedError as exc:
        raise Unauthorized(exc.message) from exc
    except (TelegramBadRequest, TelegramNotFound, TelegramEntityTooLarge) as exc:
        raise BadRequest(exc.message) from exc
    except TelegramServerError as exc:
        raise ServerError(exc.message) from exc
    except TelegramNetworkError as exc:
        raise NetworkTrouble(exc.message) from exc
    except TelegramAPIError as exc:
        raise TransportError(exc.message) from exc
    except (OSError, TimeoutError) as exc:  # below aiogram's own wrapping (a reset socket…)
        raise NetworkTrouble(str(exc) or type(exc).__name__) from exc


def _markup(rows: Rows | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(**button) for button in row] for row in rows])


def _text_in(message: Message, update_id: int, attachment: Attachment | None) -> TextIn:
    user = message.from_user
    return TextIn(
        update_id=update_id,
        chat_id=message.chat.id,
        chat_type=message.chat.type,
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


def make_bot(config: Config) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(config.get("TELEGRAM_API_BASE")))
    try:
        return Bot(config.token, session=session)
    except TokenValidationError:  # not even shaped like a token: as if Telegram said 401
        raise Unauthorized("malformed token") from None


class AiogramTransport:
    """`telegram_common.Transport` on an aiogram `Bot`."""

    def __init__(self, bot: Bot, *, owned: bool = False) -> None:
        self.bot = bot
        self.owned = owned  # opened for this transport alone: `close` releases its connections

    @classmethod
    def standalone(cls, config: Config) -> AiogramTransport:
        """A transport with a Bot of its own (`python -m bot broadcast send`, benchmarks)."""
        return cls(make_bot(config), owned=True)

    async def check_token(self) -> None:
        with _translated():
            await self.bot.me()  # cached, so polling does not ask again

    async def send_message(self, chat_id: int, text: str, rows: Rows | None = None) -> int:
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
        source = file.file_id or BufferedInputFile(file.data or b"", filename=file.filename)
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
            await self.bot.set_my_commands([BotCommand(command=name, description=text) for name, text in commands])

    async def set_webhook(self, url: str, secret: str | None, allowed_updates: list[str]) -> None:
        with _translated():
            await self.bot.set_webhook(url, secret_token=secret, allowed_updates=allowed_updates)

    async def close(self) -> None:
        if self.owned:
            await self.bot.session.close()


def standalone_transport(config: Config) -> AiogramTransport:
    """`telegram_common.open_transport` for BOT_FRAMEWORK=aiogram."""
    return AiogramTransport.standalone(config)


class AiogramChannel(TelegramChannel):
    framework = "aiogram"

    def __init__(
        self,
        config: Config,
        assistant: Assistant,
        *,
        polling_timeout: int = 10,
        flood_window: float = 60.0,
    ) -> None:
        self.bot = make_bot(config)
        super().__init__(
            config, assistant, AiogramTransport(self.bot), polling_timeout=polling_timeout, flood_window=flood_window
        )
        # disable_fsm: aiogram keeps no conversation state; the project's store does.
        self.dispatcher = Dispatcher(disable_fsm=True)
        router = Router(name="antoanso")
        router.message.register(self._on_message)
        router.edited_message.register(self._on_edited)
        router.callback_query.register(self._on_callback)
        self.dispatcher.include_router(router)
        self._polling: asyncio.Task[None] | None = None

    # --- translation --------------------------------------------------------------------------

    async def _on_message(self, message: Message, event_update: Update) -> None:
        await self.front.process(_text_in(message, event_update.update_id, _attachment(message)))

    async def _on_edited(self, message: Message, event_update: Update) -> None:
        """An edited message: its text now, as a new message (never its attachment again)."""
        await self.front.process(_text_in(message, event_update.update_id, None))

    async def _on_callback(self, callback: CallbackQuery, event_update: Update) -> None:
        message = callback.message if isinstance(callback.message, Message) else None
        await self.front.process(
            PressIn(
                update_id=event_update.update_id,
                callback_id=callback.id,
                user_id=callback.from_user.id,
                data=callback.data,
                chat_id=message.chat.id if message else None,
                chat_type=message.chat.type if message else None,
                message_id=message.message_id if message else None,
            )
        )

    # --- lifecycle hooks ----------------------------------------------------------------------

    async def _open(self) -> None:
        await self.front.transport.check_token()

    async def _start_polling(self) -> asyncio.Future[Any] | None:
        with _translated():
            await self.bot.delete_webhook(drop_pending_updates=False)
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=self.polling_timeout,
                allowed_updates=ALLOWED_UPDATES,
            )
        )
        return self._polling

    async def _stop_polling(self) -> None:
        polling = self._polling
        if polling is None:
            return
        while not polling.done():
            with contextlib.suppress(RuntimeError):  # "Polling is not started" yet: try again
                await self.dispatcher.stop_polling()
            await asyncio.wait({polling}, timeout=0.05)
        polling.result()

    async def _feed_webhook(self, data: dict[str, Any]) -> None:
        await self.dispatcher.feed_raw_update(self.bot, data)

    async def _finish(self) -> None:
        # Polling hands each update to a task of its own and does not wait for them on stop.
        started = getattr(self.dispatcher, "_handle_update_tasks", set())
        if started:
            await asyncio.gather(*list(started), return_exceptions=True)

    async def _close(self) -> None:
        await self.bot.session.close()
