"""The statistics writer's own guards: only plain codes are stored, and the background sweep
closes a finished day while no message arrives."""

from __future__ import annotations

import time
from pathlib import Path

from bot.app import Assistant
from bot.core.engine import Engine
from bot.core.types import Event, Incoming, Session
from bot.housekeeping import Housekeeper
from bot.storage.memory import MemoryStore
from bot.storage.sqlite import SqliteStore
from tests.stats.helpers import at


def test_free_text_in_an_event_never_reaches_the_counters() -> None:
    store = MemoryStore()
    session = Session("tg:1", role="parent", age_band="6-10", group="Tổ 3 nhà ông Tư")
    events = [
        Event("faq_answered", topic="lua_dao", detail="0912345678"),
        Event("tip_read", topic="con tôi bị lừa", detail="ok-code"),
        Event("Không phải mã"),
        Event("quiz_finished", detail="phu-huynh:80"),
    ]
    store.record_events(events, session, "2026-07-01")
    rows = [(r["kind"], r["topic"], r["detail"], r["grp"]) for r in store.counters()]
    assert rows == [
        ("faq_answered", "lua_dao", "", ""),
        ("quiz_finished", "", "phu-huynh:80", ""),
        ("tip_read", "", "ok-code", ""),
    ]


def test_the_housekeeping_thread_closes_a_quiet_day(engine: Engine, tmp_path: Path) -> None:
    now = [at("2026-07-01 23:58")]
    store = SqliteStore(tmp_path / "antoanso.sqlite3")
    assistant = Assistant(engine, store, clock=lambda: now[0])
    assistant.handle(Incoming("tg:1", text="/start"))
    key_file = tmp_path / "antoanso.daykey"
    assert key_file.read_bytes().startswith(b"2026-07-01")
    with Housekeeper(assistant, interval=0.02):
        now[0] = at("2026-07-02 00:03")
        deadline = time.monotonic() + 5
        while not key_file.read_bytes().startswith(b"2026-07-02") and time.monotonic() < deadline:
            time.sleep(0.02)
    assert key_file.read_bytes().startswith(b"2026-07-02")
    assert store.db.execute("SELECT COUNT(*) FROM stats_visitors").fetchone()[0] == 0
    assert store.db.execute("SELECT SUM(users) FROM stats_daily_users").fetchone()[0] == 1
    store.close()
