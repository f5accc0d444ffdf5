"""The one process runner behind `python -m bot run`: every long-lived channel in one process,
with the signals a service manager sends.

    no token                 → the web chat (BOT_WEB_CHAT=off: the terminal chat instead)
    token                    → Telegram through BOT_FRAMEWORK (aiogram or ptb)
    token + BOT_WEB_CHAT=on  → Telegram and the web chat together, one service, one fate

SIGTERM/SIGINT stop every channel (updates and web requests in hand finish first, within
~9 s even when the Bot API stops answering; exit 0),
SIGHUP reloads `knowledge/` and `flows/` (`bot.reload`: invalid new content is refused and the
old stays). Beside the channels, whichever they are, the housekeeping sweep (`bot.housekeeping`)
closes finished statistics days and deletes idle conversation state; beside a Telegram channel
(either library) the broadcast service (`bot.broadcast.beside`) sends staff broadcasts, tip
reminders and whatever `python -m bot broadcast` queued. Start-up trouble is one Vietnamese line and an exit code, never a traceback: a
rejected token or unreachable Telegram → 1, a busy port or a bad BOT_FRAMEWORK → 2.
Channels only translate; nothing here knows aiogram or python-telegram-bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import sys
from dataclasses import dataclass
from typing import Any, Protocol, TextIO

from bot.app import Assistant
from bot.broadcast.beside import Broadcasting
from bot.channels.telegram_common import (
    CLOSE_SECONDS,
    FRAMEWORKS,
    SHUTDOWN_SECONDS,
    NetworkTrouble,
    TelegramChannel,
    TokenRedactor,
    TransportError,
    Unauthorized,
    channel_class,
    redact_secrets,
)
from bot.config import Config
from bot.housekeeping import Housekeeper
from bot.reload import ContentReloader

log = logging.getLogger("bot.serve")

WEB_MODES = ("auto", "on", "off")
# The hard cap on stopping, after each channel's own graceful allowance: under 10 s in all.
STOP_DEADLINE_SECONDS = SHUTDOWN_SECONDS + CLOSE_SECONDS + 0.5

UNAUTHORIZED_MESSAGE = (
    "Telegram không nhận mã bot (TELEGRAM_BOT_TOKEN). Hãy kiểm tra lại mã lấy từ @BotFather "
    "(có thể mã đã bị đổi bằng /revoke)."
)
OFFLINE_MESSAGE = (
    "Không kết nối được tới Telegram ({base}). Kiểm tra mạng của máy chủ rồi chạy lại; "
    "python -m bot doctor chỉ rõ cách sửa."
)
REFUSED_MESSAGE = "Telegram từ chối khi khởi động ({reason}). Chạy python -m bot doctor để xem cách sửa."


class Channel(Protocol):
    """What the runner needs of a channel: serve until asked to stop, say when it is ready."""

    ready: asyncio.Event

    async def run(self) -> None: ...

    def request_stop(self) -> None: ...


class NotStarted(Exception):
    """The settings name no runnable combination: a Vietnamese message and an exit code."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.message, self.code = message, code


@dataclass(frozen=True)
class Plan:
    """Which channels `python -m bot run` starts: a Telegram channel class and/or the web chat."""

    telegram: type[TelegramChannel] | None
    web: bool

    @property
    def empty(self) -> bool:
        """Nothing to serve (no token, BOT_WEB_CHAT=off): the terminal chat instead."""
        return self.telegram is None and not self.web


def web_chat_mode(config: Config) -> str:
    mode = config.get("BOT_WEB_CHAT").strip().lower() or "auto"
    return mode if mode in WEB_MODES else "auto"


def wants_web(config: Config, *, has_telegram: bool) -> bool:
    mode = web_chat_mode(config)
    return mode == "on" or (mode == "auto" and not has_telegram)


def plan(config: Config) -> Plan:
    """The channels the settings ask for. Raises `NotStarted` for an unknown BOT_FRAMEWORK or
    one whose library is not installed (PTB is an optional extra)."""
    if not config.token.strip():
        return Plan(None, wants_web(config, has_telegram=False))
    framework = config.get("BOT_FRAMEWORK").strip().lower() or "aiogram"
    try:
        telegram = channel_class(framework)
    except KeyError:
        raise NotStarted(
            f"BOT_FRAMEWORK='{framework}' không hợp lệ; chọn một trong: {', '.join(FRAMEWORKS)}."
        ) from None
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] not in ("telegram", "aiogram"):
            raise
        raise NotStarted(
            f"Chưa cài thư viện {FRAMEWORKS[framework][2]} cho BOT_FRAMEWORK={framework}: "
            f'chạy pip install -e ".[{framework}]" rồi thử lại.'
        ) from None
    return Plan(telegram, wants_web(config, has_telegram=True))


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx (under PTB) logs every request URL at INFO: redacted anyway, but one line per poll.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def run(config: Config, assistant: Assistant, chosen: Plan, *, out: TextIO | None = None) -> int:
    """`python -m bot run`: serve the planned channels until SIGTERM/SIGINT; the exit code."""
    setup_logging()

    async def main() -> int:
        channels: list[Channel] = []
        if chosen.telegram is not None:
            try:
                channels.append(chosen.telegram(config, assistant))
            except Unauthorized:  # a token that cannot even be a token
                print(UNAUTHORIZED_MESSAGE, file=sys.stderr)
                return 1
        return await serve(config, assistant, channels, web=chosen.web, out=out)

    # Every log line of the process, the web chat's and the reloader's too, without the secrets.
    with redact_secrets(config.token, config.get("BOT_WEBHOOK_SECRET")):
        return asyncio.run(main())


async def serve(
    config: Config, assistant: Assistant, channels: list[Channel], *, web: bool, out: TextIO | None = None
) -> int:
    """Serve `channels` (plus the web chat if `web`) until a stop signal or until one of them
    ends; then stop the rest, let them finish what they hold, and return the exit code."""
    from bot.channels.web import WebChat

    out = out or sys.stdout
    everything: list[Channel] = list(channels)
    if web:
        everything.append(WebChat(config, assistant))
    if not everything:
        raise ValueError("serve() needs at least one channel")
    reloader = ContentReloader(config, assistant)
    housekeeper = Housekeeper(assistant)
    await asyncio.to_thread(housekeeper.start)  # closes a day that ended while the assistant was down
    telegram = [channel for channel in channels if isinstance(channel, TelegramChannel)]
    broadcasting = Broadcasting(config, assistant, telegram[0]) if telegram else None
    loop = asyncio.get_running_loop()
    reloading: set[asyncio.Future[Any]] = set()

    def stop() -> None:
        if broadcasting is not None:
            broadcasting.request_stop()
        for channel in everything:
            channel.request_stop()

    def reload() -> None:
        task = asyncio.ensure_future(asyncio.to_thread(reloader.reload))
        reloading.add(task)
        task.add_done_callback(reloading.discard)

    handled = ((signal.SIGTERM, stop), (signal.SIGINT, stop), (signal.SIGHUP, reload))
    for sig, action in handled:
        with contextlib.suppress(NotImplementedError, AttributeError, RuntimeError):
            loop.add_signal_handler(sig, action)
    try:
        tasks = [asyncio.create_task(channel.run()) for channel in everything]
        announcing = [asyncio.create_task(_announce(channel, out)) for channel in everything]
        sending = asyncio.create_task(broadcasting.run()) if broadcasting is not None else None
        # The first channel to end (stopped, or failed) ends the others.
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        stop()
        await _within_stop_deadline([*tasks, *([sending] if sending is not None else [])])
        results = await asyncio.gather(*tasks, return_exceptions=True)
        if sending is not None:
            await asyncio.gather(sending, return_exceptions=True)
        for task in announcing:
            task.cancel()
        if reloading:
            await asyncio.gather(*list(reloading), return_exceptions=True)
    finally:
        for sig, _action in handled:
            with contextlib.suppress(NotImplementedError, AttributeError, RuntimeError):
                loop.remove_signal_handler(sig)
        await asyncio.to_thread(housekeeper.stop)
    for channel, result in zip(everything, results):
        if isinstance(result, asyncio.CancelledError):  # cut short by the stop deadline (logged)
            continue
        if isinstance(result, BaseException):
            code = _startup_failure(config, channel, result)
            if code is None:
                raise result
            return code
    return 0


async def _within_stop_deadline(running: list[asyncio.Task[Any]]) -> None:
    """Give the channels and the broadcast sender their own graceful stop, then cancel whatever
    still runs: the whole process is down well inside the service manager's 30 s stop timeout."""
    _done, late = await asyncio.wait(running, timeout=STOP_DEADLINE_SECONDS)
    if late:
        log.warning("Stopping: %d task(s) still busy after %.0f s; cancelled", len(late), STOP_DEADLINE_SECONDS)
        for task in late:
            task.cancel()


async def _announce(channel: Channel, out: TextIO) -> None:
    """One Vietnamese line on stdout when a channel is ready: where to find it."""
    await channel.ready.wait()
    if isinstance(channel, TelegramChannel):
        how = "webhook" if channel.webhook_url else "long polling"
        line = f"Trợ lý đang nhận tin trên Telegram ({channel.framework}, {how}). Ctrl+C để dừng."
    else:
        line = f"Trò chuyện trên web: {getattr(channel, 'address', '')}  (Ctrl+C để dừng)"
    print(line, file=out, flush=True)


def _startup_failure(config: Config, channel: Channel, exc: BaseException) -> int | None:
    """Print what went wrong in Vietnamese and return the exit code; None: a real bug, re-raise."""
    if isinstance(exc, Unauthorized):
        print(UNAUTHORIZED_MESSAGE, file=sys.stderr)
        return 1
    if channel.ready.is_set():
        return None  # trouble after start-up is not a start-up problem
    if isinstance(exc, OSError):  # the server could not listen
        setting = "BOT_WEBHOOK_PORT" if isinstance(channel, TelegramChannel) else "BOT_WEB_PORT"
        print(_bind_error(exc, setting, config.get(setting)), file=sys.stderr)
        return 2
    if isinstance(exc, NetworkTrouble):
        print(OFFLINE_MESSAGE.format(base=config.get("TELEGRAM_API_BASE")), file=sys.stderr)
        return 1
    if isinstance(exc, TransportError):
        reason = TokenRedactor(config.token, config.get("BOT_WEBHOOK_SECRET")).clean(exc.message)
        print(REFUSED_MESSAGE.format(reason=reason), file=sys.stderr)
        return 1
    return None


def _bind_error(exc: OSError, setting: str, port: str) -> str:
    if exc.errno == errno.EADDRINUSE:
        other = int(port) + 1 if port.isdigit() else 8081
        return (
            f"Cổng {port} đang được một chương trình khác dùng. Hãy tắt chương trình đó "
            f"hoặc chọn cổng khác, ví dụ: {setting}={other}"
        )
    host = "BOT_WEBHOOK_HOST" if setting == "BOT_WEBHOOK_PORT" else "BOT_WEB_HOST"
    return f"Không mở được máy chủ trên cổng {port} ({exc.strerror or exc}). Kiểm tra {setting} và {host}."
