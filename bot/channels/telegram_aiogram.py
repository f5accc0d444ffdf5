"""Telegram through aiogram 3: translate updates into `Incoming`, `Reply` into Bot API calls.

Usage: `python -m bot run` with TELEGRAM_BOT_TOKEN set (BOT_FRAMEWORK=aiogram, the default).
Long polling unless BOT_WEBHOOK_URL is set; then an aiohttp server on BOT_WEBHOOK_HOST:PORT
receives Telegram's POSTs, checking BOT_WEBHOOK_SECRET (a wrong one gets 403).

Conversation state lives in the assistant's store, never in aiogram's FSM, so a restart resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher, F, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
)
from aiogram.types import (
    BotCommand,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    TelegramObject,
    Update,
)
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.app import Assistant
from bot.broadcast.service import BroadcastService
from bot.broadcast.staff import parse_admin_ids
from bot.channels.aiogram_transport import AiogramTransport
from bot.channels.telegram_common import (
    FLOOD_NOTICE,
    GROUP_NOTICE,
    NOT_TEXT_NOTICE,
    FloodLimiter,
    UpdateDedup,
    UserLocks,
    bot_commands,
    command_text,
    iter_chunks,
    redact_secrets,
)
from bot.config import Config
from bot.core.types import Attachment, Incoming, Outcome, Reply

log = logging.getLogger("bot.telegram")
ALLOWED_UPDATES = ["message", "callback_query"]
T = TypeVar("T")


def _markup(rows: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(**button) for button in row] for row in rows])


def _attachment(message: Message) -> Attachment | None:
    if message.photo:
        return Attachment("photo", message.photo[-1].file_id)
    if message.document:
        return Attachment("document", message.document.file_id, message.document.file_name or "")
    return None


def _user_of(update: Update) -> str:
    event = update.message or update.callback_query
    user = getattr(event, "from_user", None)
    if user is not None:
        return f"tg:{user.id}"
    chat = getattr(update.message, "chat", None)
    return f"chat:{chat.id}" if chat else f"update:{update.update_id}"


class _WebhookHandler(SimpleRequestHandler):
    """aiogram's handler answers a wrong secret with 401; Telegram-facing servers use 403."""

    async def handle(self, request: web.Request) -> web.Response:
        if not self.verify_secret(request.headers.get("X-Telegram-Bot-Api-Secret-Token", ""), self.bot):
            return web.Response(status=403, text="Forbidden")
        return await super().handle(request)


class AiogramChannel:
    def __init__(
        self,
        config: Config,
        assistant: Assistant,
        *,
        polling_timeout: int = 10,
        flood_window: float = 60.0,
    ) -> None:
        self.config = config
        self.assistant = assistant
        self.polling_timeout = polling_timeout
        session = AiohttpSession(api=TelegramAPIServer.from_base(config.get("TELEGRAM_API_BASE")))
        self.bot = Bot(config.token, session=session)
        # disable_fsm: aiogram keeps no conversation state; the project's store does.
        self.dispatcher = Dispatcher(disable_fsm=True)
        self.dispatcher.update.outer_middleware(self._each_update)
        self.dispatcher.startup.register(self._on_startup)
        router = Router(name="antoanso")
        router.message.register(self._on_message)
        router.callback_query.register(self._on_callback, F.data)
        router.callback_query.register(self._on_empty_callback)
        self.dispatcher.include_router(router)
        try:
            per_minute = int(config.get("BOT_FLOOD_PER_MINUTE"))
        except ValueError:
            per_minute = 20
        self.flood = FloodLimiter(per_minute, flood_window)
        self.admin_ids = parse_admin_ids(config.get("BOT_ADMIN_IDS"))
        self.dedup = UpdateDedup()
        self.locks = UserLocks()
        self.groups_told: set[int] = set()
        self.ready = asyncio.Event()
        self.webhook_port: int | None = None
        self._stop = asyncio.Event()
        self._inflight: set[asyncio.Task[Any]] = set()
        self._processed: deque[int] = deque(maxlen=10_000)
        self._progress = asyncio.Condition()

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def webhook_url(self) -> str:
        return self.config.get("BOT_WEBHOOK_URL").strip()

    async def run(self) -> None:
        """Serve until `request_stop()` (or a signal, see `run_aiogram`); in-flight updates finish."""
        with redact_secrets(self.config.token, self.config.get("BOT_WEBHOOK_SECRET")):
            try:
                if self.webhook_url:
                    await self._run_webhook()
                else:
                    await self._run_polling()
                await self._drain()
            finally:
                await self.bot.session.close()

    def request_stop(self) -> None:
        self._stop.set()

    async def stop(self, task: asyncio.Task[None] | None = None) -> None:
        self.request_stop()
        if task is not None:
            await task

    async def _on_startup(self) -> None:
        commands = [BotCommand(command=name, description=text) for name, text in bot_commands(self.assistant.content)]
        try:
            await self.bot.set_my_commands(commands)
        except TelegramAPIError as exc:
            log.warning("setMyCommands failed: %s", exc)
        if not self.webhook_url:
            self.ready.set()

    async def _run_polling(self) -> None:
        await self.bot.delete_webhook(drop_pending_updates=False)
        polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot,
                handle_signals=False,
                close_bot_session=False,
                polling_timeout=self.polling_timeout,
                allowed_updates=ALLOWED_UPDATES,
            )
        )
        stopper = asyncio.create_task(self._stop.wait())
        await asyncio.wait({polling, stopper}, return_when=asyncio.FIRST_COMPLETED)
        while not polling.done():
            with contextlib.suppress(RuntimeError):  # "Polling is not started" yet: try again
                await self.dispatcher.stop_polling()
            await asyncio.wait({polling}, timeout=0.2)
        stopper.cancel()
        polling.result()

    async def _run_webhook(self) -> None:
        secret = self.config.get("BOT_WEBHOOK_SECRET") or None
        if not secret:
            log.warning("BOT_WEBHOOK_SECRET is empty: anyone who finds the webhook address can post updates")
        path = urlsplit(self.webhook_url).path or "/"
        app = web.Application()
        handler = _WebhookHandler(self.dispatcher, self.bot, secret_token=secret, handle_in_background=True)
        handler.register(app, path=path)
        setup_application(app, self.dispatcher, bot=self.bot)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.config.get("BOT_WEBHOOK_HOST"), int(self.config.get("BOT_WEBHOOK_PORT")))
        await site.start()
        try:
            self.webhook_port = runner.addresses[0][1]
            await self.bot.set_webhook(self.webhook_url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            log.info("Webhook server on %s:%s", self.config.get("BOT_WEBHOOK_HOST"), self.webhook_port)
            self.ready.set()
            await self._stop.wait()
            await site.stop()  # no new updates; finish the ones already accepted
            if handler._background_feed_update_tasks:
                await asyncio.gather(*handler._background_feed_update_tasks, return_exceptions=True)
        finally:
            await runner.cleanup()

    async def _drain(self) -> None:
        for _ in range(3):  # tasks created just before the stop reach the middleware a tick later
            await asyncio.sleep(0)
        while self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)

    async def wait_processed(self, update_id: int, times: int = 1, timeout: float = 10.0) -> None:
        """Tests and tools: wait until the update with this id was handled (or dropped) `times` times."""
        async with self._progress:
            done = self._progress.wait_for(lambda: self._processed.count(update_id) >= times)
            await asyncio.wait_for(done, timeout)

    async def _mark_processed(self, update_id: int) -> None:
        async with self._progress:
            self._processed.append(update_id)
            self._progress.notify_all()

    # --- updates ------------------------------------------------------------------------------

    async def _each_update(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        update: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(update, Update)
        if not self.dedup.first_time(update.update_id):
            log.info("Update %s seen before: ignored", update.update_id)
            await self._mark_processed(update.update_id)
            return None
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            async with self.locks.hold(_user_of(update)):
                return await handler(update, data)
        finally:
            if task is not None:
                self._inflight.discard(task)
            await self._mark_processed(update.update_id)

    async def _on_message(self, message: Message) -> None:
        chat = message.chat
        if chat.type != "private":
            if chat.type in ("group", "supergroup") and chat.id not in self.groups_told:
                self.groups_told.add(chat.id)
                await self._send(chat.id, GROUP_NOTICE)
            return
        if message.from_user is None:
            return
        verdict = self.flood.check(f"tg:{message.from_user.id}")
        if verdict != "ok":
            if verdict == "notice":
                await self._send(chat.id, FLOOD_NOTICE)
            return
        text = message.text or message.caption
        admin = message.from_user.id in self.admin_ids
        attachment = _attachment(message) if admin else None  # only staff send media (broadcasts)
        if not text and attachment is None:
            await self._send(chat.id, NOT_TEXT_NOTICE)
            return
        incoming = Incoming(
            f"tg:{message.from_user.id}", text=command_text(text or ""), admin=admin, attachment=attachment
        )
        outcome = await self._handle(incoming)
        if outcome is not None:
            await self._deliver(chat.id, outcome.replies, pressed=None)

    async def _on_callback(self, callback: CallbackQuery) -> None:
        message = callback.message if isinstance(callback.message, Message) else None
        user_key = f"tg:{callback.from_user.id}"
        verdict = self.flood.check(user_key)
        await self._answer(callback, FLOOD_NOTICE if verdict == "notice" else None)
        if verdict != "ok" or (message is not None and message.chat.type != "private"):
            return
        admin = callback.from_user.id in self.admin_ids
        outcome = await self._handle(Incoming(user_key, payload=callback.data, admin=admin))
        if outcome is not None:
            await self._deliver(message.chat.id if message else callback.from_user.id, outcome.replies, message)

    async def _on_empty_callback(self, callback: CallbackQuery) -> None:
        await self._answer(callback, None)

    async def _handle(self, incoming: Incoming) -> Outcome | None:
        try:
            return await asyncio.to_thread(self.assistant.handle, incoming)
        except Exception:
            log.exception("The assistant failed on an update from %s", incoming.user_key)
            return None

    # --- Bot API calls ------------------------------------------------------------------------

    async def _deliver(self, chat_id: int, replies: list[Reply], pressed: Message | None) -> None:
        for reply in replies:
            chunks = list(iter_chunks(reply))
            if reply.replace and pressed is not None and len(chunks) == 1:
                target, pressed = pressed, None  # one reply at most takes the pressed message's place
                text, rows = chunks[0]
                if await self._edit(target, text, rows):
                    continue
            for text, rows in chunks:
                await self._send(chat_id, text, rows)

    async def _call(self, what: str, make: Callable[[], Awaitable[T]]) -> T | None:
        for _attempt in range(4):
            try:
                return await make()
            except TelegramRetryAfter as exc:
                log.warning("%s: Telegram asks to wait %s s", what, exc.retry_after)
                await asyncio.sleep(min(exc.retry_after, 30))
            except TelegramForbiddenError:
                log.info("%s: the user blocked the bot or the chat is gone", what)
                return None
            except TelegramNetworkError as exc:
                log.warning("%s: network error %s", what, exc)
                await asyncio.sleep(1)
        log.warning("%s: gave up", what)
        return None

    async def _send(self, chat_id: int, text: str, rows: list[list[dict[str, str]]] | None = None) -> None:
        try:
            await self._call(
                "sendMessage",
                lambda: self.bot.send_message(chat_id=chat_id, text=text, reply_markup=_markup(rows)),
            )
        except TelegramBadRequest as exc:
            log.warning("sendMessage refused: %s", exc.message)

    async def _edit(self, message: Message, text: str, rows: list[list[dict[str, str]]] | None) -> bool:
        try:
            result = await self._call(
                "editMessageText",
                lambda: self.bot.edit_message_text(
                    chat_id=message.chat.id, message_id=message.message_id, text=text, reply_markup=_markup(rows)
                ),
            )
        except TelegramBadRequest as exc:
            if "not modified" in exc.message:
                return True
            log.info("editMessageText refused (%s): sending a new message", exc.message)
            return False
        return result is not None

    async def _answer(self, callback: CallbackQuery, text: str | None) -> None:
        try:
            await self._call("answerCallbackQuery", lambda: callback.answer(text=text))
        except TelegramBadRequest as exc:  # too old, or already answered
            log.info("answerCallbackQuery refused: %s", exc.message)


def run_aiogram(config: Config, assistant: Assistant) -> int:
    """The `python -m bot run` entry: serve until SIGTERM/SIGINT, finish in-flight updates, exit 0."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    async def main() -> None:
        channel = AiogramChannel(config, assistant)
        # Broadcasts and tip reminders go out beside the chat, through the one shared sender.
        service = BroadcastService.from_config(
            config, AiogramTransport.from_config(config), assistant.content.knowledge.tips
        )

        def stop() -> None:
            channel.request_stop()
            service.request_stop()

        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop)
        with redact_secrets(config.token, config.get("BOT_WEBHOOK_SECRET")):
            try:
                await asyncio.gather(channel.run(), service.run_logged())
            finally:
                await service.close()

    asyncio.run(main())
    return 0
