"""The broadcast service beside a running Telegram channel, for `bot.serve` (either library).

It waits until the channel is up (so a rejected token or an unreachable Telegram is reported once,
by the channel, in Vietnamese), then sends pending, scheduled and tip broadcasts – whichever
process queued them – through a transport of the same library with connections of its own, so a
broadcast never queues behind chat replies and stopping the chat cannot cut a send in half. It
stops when the runner stops; a failure here is logged and never takes the chat down.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bot.broadcast.service import BroadcastService
from bot.channels.telegram_common import TelegramChannel, open_transport
from bot.config import Config

if TYPE_CHECKING:
    from bot.app import Assistant

log = logging.getLogger("bot.broadcast")


class Broadcasting:
    def __init__(self, config: Config, assistant: Assistant, channel: TelegramChannel, *, poll: float = 1.0) -> None:
        self.config = config
        self.assistant = assistant
        self.channel = channel
        self.poll = poll
        self.service: BroadcastService | None = None
        self._stop = asyncio.Event()

    def request_stop(self) -> None:
        self._stop.set()
        if self.service is not None:
            self.service.request_stop()

    async def run(self) -> None:
        ready = asyncio.ensure_future(self.channel.ready.wait())
        stopped = asyncio.ensure_future(self._stop.wait())
        await asyncio.wait({ready, stopped}, return_when=asyncio.FIRST_COMPLETED)
        ready.cancel()
        stopped.cancel()
        if self._stop.is_set():
            return
        config = self.config
        try:
            transport = open_transport(config, self.channel.framework)
            service = BroadcastService.from_config(config, transport, self.assistant.content.knowledge.tips)
        except Exception:
            log.exception("The broadcast service could not start; chat goes on")
            return
        service.poll = self.poll
        self.service = service
        if self._stop.is_set():
            service.request_stop()
        try:
            await service.run_logged()
        finally:
            await service.close()
