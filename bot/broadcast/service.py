"""The broadcast service: what runs beside the Telegram channel in `python -m bot run` (through
`bot.serve`, with either library: it sends through the channel's own transport), or alone from the
command line. It takes the sender lease (one sending process at a time, whoever created the
broadcast), resumes unfinished broadcasts, starts scheduled ones when due, creates the day's tip
reminders, and sends each staff member the delivery report of their broadcast.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bot.broadcast import texts
from bot.broadcast.sender import DbThread, Sender, wait_or_stop
from bot.broadcast.tips import TipPlan
from bot.channels.telegram_common import USER_PREFIX, Transport, TransportError, chat_of
from bot.config import Config

log = logging.getLogger("bot.broadcast")
LEASE_TTL = 30.0


def setting_number(config: Config, name: str, default: float) -> float:
    try:
        return float(config.get(name))
    except (KeyError, ValueError):
        return default


class BroadcastService:
    def __init__(
        self,
        database: Path | str,
        transport: Transport,
        *,
        rate: float = 30,
        tips: TipPlan | None = None,
        clock: Callable[[], float] = time.time,
        poll: float = 1.0,
        lease_ttl: float = LEASE_TTL,
        concurrency: int = 8,
        max_attempts: int = 4,
        backoff: float = 2.0,
    ) -> None:
        self.db = DbThread(database)
        self.transport = transport
        self.sender = Sender(
            self.db,
            transport,
            rate=rate,
            clock=clock,
            concurrency=concurrency,
            max_attempts=max_attempts,
            backoff=backoff,
        )
        self.tips = tips
        self.clock = clock
        self.poll = poll
        self.lease_ttl = lease_ttl
        self.owner = uuid.uuid4().hex
        self.stop_event = asyncio.Event()
        self.holding = False
        self.lost_lease = False

    @classmethod
    def from_config(cls, config: Config, transport: Transport, tips: list | None = None) -> BroadcastService:
        plan = None
        hour = config.get("BOT_TIP_HOUR").strip()
        if tips and hour:
            plan = TipPlan(
                tips,
                hour=int(setting_number(config, "BOT_TIP_HOUR", 8)),
                weekday=int(setting_number(config, "BOT_TIP_WEEKDAY", 7)),
                prefix=USER_PREFIX,
            )
        rate = setting_number(config, "BOT_BROADCAST_RATE", 30)
        return cls(config.database, transport, rate=max(1.0, rate), tips=plan)

    def request_stop(self) -> None:
        self.stop_event.set()

    # --- the loop ---------------------------------------------------------------------------

    async def run(self, *, until_idle: bool = False, wait_scheduled: bool = False) -> None:
        """Serve until `request_stop()`. `until_idle`: return once nothing is due (the command
        line's own sending); with `wait_scheduled`, only once nothing is scheduled either."""
        stop = self.stop_event
        renewing: asyncio.Task[None] | None = None
        try:
            told = False
            while not stop.is_set():
                if await self.db(self.db.outbox.acquire_lease, self.owner, self.clock(), self.lease_ttl):
                    break
                if not told:
                    log.info("Another process is sending broadcasts; waiting for it to finish")
                    told = True
                if until_idle:
                    return
                await wait_or_stop(stop, self.lease_ttl / 3)
            if stop.is_set():
                return
            self.holding = True
            renewing = asyncio.create_task(self._renew())
            while not stop.is_set() and self.holding:
                busy = await self.tick()
                if until_idle and not busy:
                    wake = await self.db(self.db.outbox.next_wake)
                    if not wait_scheduled or wake is None:
                        return
                    await wait_or_stop(stop, min(self.poll, wake - self.clock()))
                    continue
                if not busy:
                    await wait_or_stop(stop, self.poll)
        finally:
            if renewing:
                renewing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await renewing
            if self.holding:
                await self.db(self.db.outbox.release_lease, self.owner)
                self.holding = False

    async def run_logged(self) -> None:
        """`run()` beside the chat: a failure here is logged and never takes the chat down."""
        try:
            await self.run()
        except Exception:
            log.exception("The broadcast service stopped after an error; chat goes on")

    async def tick(self) -> bool:
        """One round: today's tips if due, the next due broadcast sent through, reports. True if
        a broadcast was worked on."""
        outbox = self.db.outbox
        now = self.clock()
        if self.tips is not None:
            created = await self.db(self.tips.schedule_if_due, outbox, now)
            if created:
                log.info("Tip reminders: broadcast #%s created", created)
        broadcast = await self.db(outbox.due, now)
        busy = broadcast is not None
        if broadcast is not None:
            await self.sender.send(broadcast, self.stop_event, lambda: not self.lost_lease)
        await self._reports()
        return busy

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.lease_ttl / 3)
            held = await self.db(self.db.outbox.acquire_lease, self.owner, self.clock(), self.lease_ttl)
            if not held:
                log.warning("Lost the sender lease to another process; this one stops sending")
                self.holding = False
                self.lost_lease = True
                return

    async def _reports(self) -> None:
        outbox = self.db.outbox
        for broadcast in await self.db(outbox.unreported):
            progress = await self.db(outbox.progress, broadcast.id)
            chat = chat_of(broadcast.report_to or "")
            if chat is not None:
                turn = await self.sender.pacer.slot(broadcast.report_to or "")
                try:
                    await self.transport.send_message(chat, texts.report(broadcast, progress))
                except TransportError as exc:
                    log.warning("Delivery report of broadcast #%s not sent: %s", broadcast.id, exc.message)
                finally:
                    self.sender.pacer.finished(turn)
            await self.db(outbox.mark_reported, broadcast.id)

    async def close(self) -> None:
        """Release the sender's database thread, and the transport's connections if it opened its
        own (a channel's transport is left to its channel)."""
        await self.transport.close()
        await asyncio.get_running_loop().run_in_executor(None, self.db.close)
