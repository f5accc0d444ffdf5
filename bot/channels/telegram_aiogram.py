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
    TelegramForbiddenError,
    TelegramNetworkError,
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
    PressIn,
    Refused,
    RetryLater,
    Rows,
    TelegramChannel,
    TextIn,
    TransportError,
    Unauthorized,
)
from bot.config import Config


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
    except TelegramBadRequest as exc:
        raise BadRequest(exc.message) from exc
    except (TelegramNetworkError, TelegramServerError) as exc:
        raise NetworkTrouble(exc.message) from exc
    except TelegramAPIError as exc:
        raise TransportError(exc.message) from exc


def _markup(rows: Rows | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(**button) for button in row] for row in rows])


class AiogramTransport:
    """`telegram_common.Transport` on an aiogram `Bot`."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

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

    async def send_document(
        self, chat_id: int, filename: str, data: bytes, caption: str | None = None, rows: Rows | None = None
    ) -> int:
        with _translated():
            message = await self.bot.send_document(
                chat_id=chat_id,
                document=BufferedInputFile(data, filename=filename),
                caption=caption,
                reply_markup=_markup(rows),
            )
        return message.message_id

    async def answer_callback(self, callback_id: str, text: str | None = None) -> None:
        with _translated():
            await self.bot.answer_callback_query(callback_query_id=callback_id, text=text)

    async def set_commands(self, commands: list[tuple[str, str]]) -> None:
        with _translated():
            await self.bot.set_my_commands([BotCommand(command=name, description=text) for name, text in commands])

    async def set_webhook(self, url: str, secret: str | None, allowed_updates: list[str]) -> None:
        with _translated():
            await self.bot.set_webhook(url, secret_token=secret, allowed_updates=allowed_updates)


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
        session = AiohttpSession(api=TelegramAPIServer.from_base(config.get("TELEGRAM_API_BASE")))
        try:
            self.bot = Bot(config.token, session=session)
        except TokenValidationError:  # not even shaped like a token: as if Telegram said 401
            raise Unauthorized("malformed token") from None
        super().__init__(
            config, assistant, AiogramTransport(self.bot), polling_timeout=polling_timeout, flood_window=flood_window
        )
        # disable_fsm: aiogram keeps no conversation state; the project's store does.
        self.dispatcher = Dispatcher(disable_fsm=True)
        router = Router(name="antoanso")
        router.message.register(self._on_message)
        router.callback_query.register(self._on_callback)
        self.dispatcher.include_router(router)
        self._polling: asyncio.Task[None] | None = None

    # --- translation --------------------------------------------------------------------------

    async def _on_message(self, message: Message, event_update: Update) -> None:
        user = message.from_user
        await self.front.process(
            TextIn(
                update_id=event_update.update_id,
                chat_id=message.chat.id,
                chat_type=message.chat.type,
                user_id=user.id if user else None,
                text=message.text or message.caption,
            )
        )

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
