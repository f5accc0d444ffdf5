"""Pacing for the one broadcast sender: at most `rate` messages in any sliding second, spread
evenly; one chat at most once per `per_chat` seconds; nothing at all while Telegram asked to wait.

Two guards, both with a small margin for network jitter: start times are planned `(1 + margin)/rate`
apart, and a start is held back while the last `rate` starts fall within `1 + margin` seconds (so
a late wake-up never turns into a burst).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

MARGIN = 0.02


class Pacer:
    def __init__(
        self,
        rate: float,
        per_chat: float = 1.0,
        margin: float = MARGIN,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rate = max(1, int(rate))
        self.interval = (1 + margin) / rate
        self.window = 1 + margin
        self.per_chat = per_chat
        self.clock, self.sleep = clock, sleep
        self._next = 0.0
        self._pause_until = 0.0
        self._starts: deque[float] = deque(maxlen=self.rate)
        self._chat_next: dict[str, float] = {}
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Everyone waits `seconds` from now (a 429's retry_after, or the network being down)."""
        self._pause_until = max(self._pause_until, self.clock() + seconds)

    @property
    def paused(self) -> bool:
        return self._pause_until > self.clock()

    async def slot(self, chat: str | None = None) -> None:
        """Wait for this message's turn. Turns are handed out one at a time, in order."""
        async with self._lock:
            while True:
                now = self.clock()
                at = max(now, self._next, self._pause_until, self._chat_next.get(chat or "", 0.0))
                if len(self._starts) == self.rate:
                    at = max(at, self._starts[0] + self.window)
                if at <= now:
                    break
                await self.sleep(at - now)
            # Planned times advance by one interval, so a late wake-up is absorbed, not repeated;
            # after an idle spell the next turn is still at least half an interval away.
            self._next = max(self._next, now - self.interval / 2) + self.interval
            self._starts.append(now)
            if chat:
                self._chat_next[chat] = now + self.per_chat
                if len(self._chat_next) > 20_000:
                    self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
