"""Run the long-lived channels together in one process, with the signals a service manager sends:
SIGTERM/SIGINT stop every channel (messages in flight finish), SIGHUP reloads the content.

    python -m bot                 no token → the web chat; with a token → Telegram
                                  (and the web chat too when BOT_WEB_CHAT=on)
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import signal
import sys
from typing import Protocol, TextIO

from bot.app import Assistant
from bot.config import Config
from bot.reload import ContentReloader

log = logging.getLogger("bot.serve")

WEB_MODES = ("auto", "on", "off")


class Channel(Protocol):
    async def run(self) -> None: ...

    def request_stop(self) -> None: ...


def web_chat_mode(config: Config) -> str:
    mode = config.get("BOT_WEB_CHAT").strip().lower() or "auto"
    return mode if mode in WEB_MODES else "auto"


def wants_web(config: Config, *, has_telegram: bool) -> bool:
    mode = web_chat_mode(config)
    return mode == "on" or (mode == "auto" and not has_telegram)


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


async def serve(
    config: Config, assistant: Assistant, channels: list[Channel], *, web: bool, out: TextIO = sys.stdout
) -> int:
    """Serve `channels` (plus the web chat if `web`) until a stop signal; 0 on a clean stop."""
    from bot.channels.web import WebChat

    all_channels = list(channels)
    web_chat = WebChat(config, assistant) if web else None
    if web_chat is not None:
        all_channels.append(web_chat)
    reloader = ContentReloader(config, assistant)
    loop = asyncio.get_running_loop()
    reloading: set[asyncio.Task[object]] = set()

    def stop() -> None:
        for channel in all_channels:
            channel.request_stop()

    def reload() -> None:
        task = asyncio.ensure_future(asyncio.to_thread(reloader.reload))
        reloading.add(task)
        task.add_done_callback(reloading.discard)

    for sig, action in ((signal.SIGTERM, stop), (signal.SIGINT, stop), (signal.SIGHUP, reload)):
        with contextlib.suppress(NotImplementedError, AttributeError):
            loop.add_signal_handler(sig, action)

    tasks = [asyncio.create_task(channel.run()) for channel in all_channels]
    if web_chat is not None:
        announce = asyncio.create_task(web_chat.ready.wait())
        await asyncio.wait({announce, tasks[-1]}, return_when=asyncio.FIRST_COMPLETED)
        if web_chat.ready.is_set():
            print(f"Trò chuyện trên web: {web_chat.address}  (Ctrl+C để dừng)", file=out, flush=True)
        announce.cancel()
    # The first channel to end (stopped, or failed) ends the others: one service, one fate.
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    stop()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    for task in list(reloading):
        with contextlib.suppress(Exception):
            await task
    for channel, result in zip(all_channels, results):
        if isinstance(result, OSError):
            setting = "BOT_WEB_PORT" if channel is web_chat else "BOT_WEBHOOK_PORT"
            print(_bind_error(result, setting, config.get(setting)), file=sys.stderr)
            return 2
        if isinstance(result, BaseException):
            raise result
    return 0


def _bind_error(exc: OSError, setting: str, port: str) -> str:
    if exc.errno == errno.EADDRINUSE:
        other = int(port) + 1 if port.isdigit() else 8081
        return (
            f"Cổng {port} đang được một chương trình khác dùng. Hãy tắt chương trình đó "
            f"hoặc chọn cổng khác, ví dụ: {setting}={other}"
        )
    return f"Không mở được máy chủ trên cổng {port} ({exc.strerror or exc}). Kiểm tra {setting} và BOT_WEB_HOST."


def run_web(config: Config, assistant: Assistant) -> int:
    """`python -m bot` without a Telegram token: the web chat, until Ctrl+C or SIGTERM."""
    setup_logging()
    return asyncio.run(serve(config, assistant, [], web=True))
