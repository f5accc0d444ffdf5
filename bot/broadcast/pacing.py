"""Pacing for the one broadcast sender: at most `rate` messages in any sliding second *as Telegram
counts them* (on arrival), spread evenly; one chat at most once per `per_chat` seconds; nothing at
all while Telegram asked to wait (429).

Arrival times are unknown to the sender, but each lies between a request's start and its
response. So a message may start only once every message started before the latest `rate - 1`
has been answered more than a second ago (then no `rate + 1` arrivals can share a second,
whatever the network jitter), and a chat's next message only `per_chat` after the previous answer.
Within that, start times are planned `(1 + margin)/rate` apart, so messages flow evenly.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

MARGIN = 0.01


@dataclass(eq=False)
class Turn:
    """One message's place in the pace: when it started and when its answer came."""

    chat: str
    start: float
    end: float | None = None
    previous: float = 0.0  # the chat's earlier next-allowed time (to undo a reassignment)


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
        self.window = 1.0 + margin / 2
        self.per_chat = per_chat
        self.clock, self.sleep = clock, sleep
        self._next = 0.0
        self._pause_until = 0.0
        self._young: deque[Turn] = deque()  # the latest rate - 1 turns
        self._old_open: set[Turn] = set()  # older turns still waiting for their answer
        self._old_end = float("-inf")  # the latest answer among older turns
        self._chat_next: dict[str, float] = {}
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Everyone waits `seconds` from now (a 429's retry_after, or the network being down)."""
        self._pause_until = max(self._pause_until, self.clock() + seconds)

    async def slot(self, chat: str = "") -> Turn:
        """Wait for this message's turn (turns are handed out one at a time, in order). Call
        `finished(turn)` when its answer (or error) arrives."""
        async with self._lock:
            while True:
                now = self.clock()
                if self._old_open:  # a slow answer: its arrival time is still unknown
                    await self.sleep(0.005)
                    continue
                at = max(
                    now, self._next, self._pause_until, self._chat_next.get(chat, 0.0), self._old_end + self.window
                )
                if at <= now:
                    break
                await self.sleep(at - now)
            # Planned times advance by one interval, so a late wake-up is absorbed, not repeated;
            # after an idle spell the next turn is still at least half an interval away.
            self._next = max(self._next, now - self.interval / 2) + self.interval
            turn = Turn(chat, now, previous=self._chat_next.get(chat, 0.0))
            self._young.append(turn)
            while len(self._young) > self.rate - 1:
                older = self._young.popleft()
                if older.end is None:
                    self._old_open.add(older)
                else:
                    self._old_end = max(self._old_end, older.end)
            if chat:
                self._chat_next[chat] = now + self.per_chat
                if len(self._chat_next) > 20_000:
                    self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
            return turn

    def reassign(self, turn: Turn, chat: str) -> None:
        """Give a granted turn to another message (a retry that came back while it waited)."""
        if turn.chat:
            self._chat_next[turn.chat] = turn.previous
        turn.chat, turn.previous = chat, self._chat_next.get(chat, 0.0)
        if chat:
            self._chat_next[chat] = max(turn.previous, turn.start + self.per_chat)

    def finished(self, turn: Turn) -> None:
        turn.end = self.clock()
        if turn in self._old_open:
            self._old_open.discard(turn)
            self._old_end = max(self._old_end, turn.end)
        if turn.chat:
            self._chat_next[turn.chat] = max(self._chat_next.get(turn.chat, 0.0), turn.end + self.per_chat)
