"""`python -m bot bench stats`: what statistics cost. Prints, from one run: the median time to
record one message's events (with the daily-unique digest) on a real SQLite file, and the time to
seed six months of synthetic events and to build and render the report in each format."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

from bot.content.loader import Content
from bot.core.types import Event, Session
from bot.reports.figures import build
from bot.reports.labels import Labels
from bot.reports.render import FORMATS, available, render
from bot.stats.synthetic import seed
from bot.storage.sqlite import SqliteStore


def bench_stats(content: Content, messages: int = 2000) -> int:
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteStore(Path(folder) / "antoanso.sqlite3")
        events = [Event("faq_answered", topic="nghien_game"), Event("tip_read", topic="lua_dao")]
        timings = []
        for n in range(messages):
            session = Session(user_key=f"bench:{n % 300}", role="parent", age_band="6-10", group="to-03")
            started = time.perf_counter()
            store.record_events(events, session, "2026-07-01")
            timings.append(time.perf_counter() - started)
        timings.sort()
        print(
            f"record one message (2 events + daily-unique digest), {messages} messages on a SQLite file: "
            f"median {statistics.median(timings) * 1e6:.0f} µs, p95 {timings[int(0.95 * len(timings))] * 1e6:.0f} µs"
        )
        store.close()
        store = SqliteStore(Path(folder) / "seeded.sqlite3")
        started = time.perf_counter()
        total = seed(store.stats, date(2026, 6, 1), date(2026, 11, 30))
        print(f"seed 2026-06-01..2026-11-30: {total} synthetic events in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        report = build(
            store.stats,
            date(2026, 6, 1),
            date(2026, 11, 30),
            ward="phường Trung Thành",
            threshold=10,
            labels=Labels.from_content(content),
            made=date(2026, 12, 1),
        )
        print(f"build the report's 9 tables with suppression: {(time.perf_counter() - started) * 1000:.0f} ms")
        for fmt in FORMATS:
            if not available(fmt):
                print(f"render {fmt}: skipped (the [report] extra is not installed)")
                continue
            runs = []
            for _ in range(3):
                started = time.perf_counter()
                size = len(render(report, fmt))
                runs.append(time.perf_counter() - started)
            print(f"render {fmt}: median of 3 {statistics.median(runs) * 1000:.0f} ms, {size / 1024:.0f} KB")
        store.close()
    return 0
