"""`python -m bot bench fuzz`: hostile messages and button payloads through the whole assistant
(engine, sessions and statistics on a real SQLite file), counting what a user would notice:
an exception (answered with the short apology instead of an answer), silence (no reply at all),
and the slowest message. The messages are generated from a seed, so a failure can be replayed.
"""

from __future__ import annotations

import logging
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.app import TROUBLE, Assistant
from bot.core.engine import Engine
from bot.core.types import Incoming, Outcome
from bot.storage.sqlite import SqliteStore

# Pieces a tester (or a confused user) sends: danger words, commands, markup, format strings,
# payload look-alikes, invisible and right-to-left characters, Telex leftovers.
FRAGMENTS = [
    "em muốn chết",
    "doa tung anh",
    "/start",
    "/thongbao",
    "/xoadulieu",
    "/menu@AnToanSoBot",
    "<script>alert(1)</script>",
    "'; DROP TABLE sessions; --",
    "%s %n {0} {user_key}",
    "q:1:2",
    "menu",
    "\u200b",
    "\u00ad",
    "\u202e",
    "\ufeff",
    "\x00",
    "\x1b[31m",
    "👍🏽",
    "👨‍👩‍👧",
    "ẹ̃",
    "tooi bij",
    "111",
    "https://t.me/x",
    "０１２３",
    "ﷺ",
    "𝕳𝖊𝖑𝖑𝖔",
    "\n\n\n",
    "   ",
]
ALPHABETS = [
    "abcdefghijklmnopqrstuvwxyz ",
    "àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ ",
    "\u0300\u0301\u0303\u0309\u0323",  # combining tone marks on their own
    "!?.,;:()[]{}<>\"'`~@#$%^&*-_=+\\|/",
    "0123456789",
    "汉字かなカナ한국어Ωж",
]
PAYLOAD_PREFIXES = ["", "q:", "n:", "m:", "t:", "s:", "x:", "quiz:", "ans:", "node:"]


@dataclass
class FuzzReport:
    messages: int = 0
    crashes: int = 0  # answered with the apology: an exception inside the assistant
    silent: int = 0  # no reply at all
    times_ms: list[float] = field(default_factory=list)
    slowest: tuple[float, int] = (0.0, 0)  # (ms, length of that message)
    examples: list[str] = field(default_factory=list)  # repr of a few failing inputs, for replay


def hostile_inputs(count: int, seed: int = 2026) -> Iterator[Incoming]:
    """`count` messages and button presses, from a few users, mixing the kinds above."""
    rng = random.Random(seed)
    users = [f"fuzz:{n}" for n in range(8)]
    for _ in range(count):
        user = rng.choice(users)
        roll = rng.random()
        if roll < 0.15:
            prefix = rng.choice(PAYLOAD_PREFIXES)
            junk = "".join(rng.choice(ALPHABETS[rng.randrange(len(ALPHABETS))]) for _ in range(rng.randint(0, 70)))
            yield Incoming(user, payload=(prefix + junk)[:64])
            continue
        length = rng.choice([0, 1, 2, 5, 20, 80, 300, 1000, 4096]) if roll < 0.3 else rng.randint(1, 200)
        parts: list[str] = []
        size = 0
        while size < length:
            if rng.random() < 0.3:
                piece = rng.choice(FRAGMENTS)
            else:
                alphabet = rng.choice(ALPHABETS)
                piece = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
            parts.append(piece)
            size += len(piece) + 1
        yield Incoming(user, text=" ".join(parts)[:4096])


def fuzz(assistant: Assistant, count: int, seed: int = 2026, progress: bool = False) -> FuzzReport:
    """Send every hostile input through `assistant.handle` and count what a user would notice."""
    report = FuzzReport()
    for number, incoming in enumerate(hostile_inputs(count, seed), 1):
        started = time.perf_counter()
        outcome = assistant.handle(incoming)
        elapsed = (time.perf_counter() - started) * 1000
        report.messages += 1
        report.times_ms.append(elapsed)
        length = len(incoming.text or incoming.payload or "")
        if elapsed > report.slowest[0]:
            report.slowest = (elapsed, length)
        if _crashed(outcome) or not outcome.replies:
            if _crashed(outcome):
                report.crashes += 1
            else:
                report.silent += 1
            if len(report.examples) < 5:
                report.examples.append(repr(incoming.text if incoming.text is not None else incoming.payload)[:200])
        if progress and number % 1000 == 0:
            print(f"  … {number}/{count}", flush=True)
    return report


def _crashed(outcome: Outcome) -> bool:
    return any(reply.text == TROUBLE for reply in outcome.replies)


def bench_fuzz(engine: Engine, count: int, seed: int) -> int:
    """Print the figures; exit code 1 if any input crashed or went unanswered."""
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "fuzz.sqlite3")
        assistant = Assistant(engine, store)
        logging.getLogger("bot").setLevel(logging.CRITICAL)  # an apology is counted, not printed
        print(f"Gửi {count} tin nhắn và nút bấm cố tình gây lỗi (hạt giống {seed}) qua toàn bộ trợ lý…")
        started = time.perf_counter()
        report = fuzz(assistant, count, seed, progress=True)
        total = time.perf_counter() - started
        store.close()
    times = sorted(report.times_ms)
    p99 = times[int(len(times) * 0.99) - 1] if times else 0.0
    print(f"tin nhắn: {report.messages}   lỗi (trả lời bằng lời xin lỗi): {report.crashes}   im lặng: {report.silent}")
    print(
        f"thời gian mỗi tin: trung vị {statistics.median(times):.1f} ms, p99 {p99:.1f} ms, "
        f"chậm nhất {report.slowest[0]:.1f} ms ({report.slowest[1]} ký tự); tổng {total:.1f} s"
    )
    for example in report.examples:
        print(f"  ví dụ lỗi: {example}")
    return 1 if report.crashes or report.silent else 0
