"""A background sweep while the assistant runs: idle conversation state is deleted, a finished
statistics day is closed (its day key destroyed) and old unanswered questions go, even on a
quiet night when no message arrives to trigger `Assistant.sweep`.

`bot.serve` starts one for every combination of channels (Telegram through either library, the
web chat, both); `python -m bot chat` starts one around the terminal chat.
"""

from __future__ import annotations

import logging
import threading

from bot.app import Assistant

log = logging.getLogger("bot.housekeeping")


class Housekeeper:
    def __init__(self, assistant: Assistant, interval: float = 600.0) -> None:
        self.assistant = assistant
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="housekeeping", daemon=True)

    def start(self) -> None:
        self._sweep()  # at start-up: a day that ended while the assistant was down is closed now
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def __enter__(self) -> Housekeeper:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sweep()

    def _sweep(self) -> None:
        try:
            self.assistant.sweep()
        except Exception:  # never take the assistant down for housekeeping; try again next time
            log.exception("housekeeping failed")
