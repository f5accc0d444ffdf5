"""/xoadulieu deletes everything tied to the user – conversation state, today's digest, their
subscription and the messages queued for them – beyond recovery from the database files; the
anonymous counts stay. Idle conversation state expires on its own."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from bot.app import Assistant
from bot.broadcast.outbox import NewBroadcast
from bot.config import Config
from bot.core.engine import Engine
from bot.core.types import Incoming
from bot.stats.recorder import digest
from bot.storage.sqlite import SqliteStore
from bot.storage.subscriptions import Segment
from tests.stats.helpers import USER, USER_ID, at, converse, press


def every_value(database: Path) -> list[str]:
    db = sqlite3.connect(database)
    tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    values = [str(v) for t in tables for row in db.execute(f"SELECT * FROM {t}") for v in row]
    db.close()
    return values


def raw_files(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in folder.iterdir() if p.name.startswith("antoanso.sqlite3"))


def test_forget_deletes_everything_and_leaves_nothing_in_the_files(engine: Engine, tmp_path: Path) -> None:
    database = tmp_path / "antoanso.sqlite3"
    store = SqliteStore(database)
    config = Config.load(env={"BOT_KEEP_UNANSWERED": "on"}, dotenv=None)
    assistant = Assistant(engine, store, clock=lambda: at("2026-07-01 10:00"), config=config)
    converse(assistant)  # leaves a session mid-quiz with role, age band and group, and today's digest
    subscribe(assistant)  # a subscription, one message delivered and one still queued
    row = store.db.execute("SELECT data FROM sessions WHERE user_key = ?", [USER]).fetchone()
    session = json.loads(row[0])
    assert session["group"] == "to-03" and session["quiz"]
    key = store.stats.daykey.current()[1]  # type: ignore[index]
    mine = digest(key, USER)
    assert mine in every_value(database)
    assert USER_ID.encode() in raw_files(tmp_path)
    counts_before = store.counters()

    outcome = assistant.handle(Incoming(USER, text="/xoadulieu"))
    outcome = press(assistant, outcome, "Có, xóa hết")
    assert "Đã xóa xong" in outcome.replies[0].text

    values = every_value(database)
    assert not [v for v in values if USER_ID in v or mine in v], "a query for the user finds nothing"
    assert sum(r["users"] for r in store.stats.daily_users()) == 1, "they are still counted for today"
    after = store.counters()
    assert sum(r["count"] for r in after) > sum(r["count"] for r in counts_before), "counts stay (+ data_deleted)"
    assert store.db.execute("SELECT COUNT(*) FROM subscriptions").fetchone()[0] == 0
    assert store.db.execute("SELECT status FROM outbox").fetchall() == [("sent",)], "the delivery count stays"
    files = raw_files(tmp_path)
    for trace in (USER_ID.encode(), mine.encode(), b'"group": "to-03"', b'"quiz_id"', "Tổ 3".encode()):
        assert trace not in files, f"{trace!r} is still readable in the database files"
    store.close()


def subscribe(assistant: Assistant) -> None:
    outcome = assistant.handle(Incoming(USER, text="/dangky"))
    for fragment in ("Tôi đồng ý", "Phụ huynh", "11–14", "Thông báo của phường", "Xong", "Mọi chủ đề"):
        outcome = press(assistant, outcome, fragment)
    assert "Đăng ký xong" in outcome.replies[0].text and "Tổ 3" in outcome.replies[0].text
    outbox, now = assistant.outbox, assistant.clock()
    sent = outbox.create(NewBroadcast("announcement", "Cũ", Segment(), "Tất cả", now), [(USER, None)], now)
    ((row_id,),) = outbox.db.execute("SELECT id FROM outbox WHERE broadcast_id = ?", [sent]).fetchall()
    outbox.mark_sent(row_id, now)
    outbox.create(NewBroadcast("announcement", "Sắp gửi", Segment(), "Tất cả", now + 60), [(USER, None)], now)
    assert outbox.subscriptions.get(USER) is not None


def test_next_start_after_forget_begins_afresh_and_is_counted_again(engine: Engine, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "antoanso.sqlite3")
    assistant = Assistant(engine, store, clock=lambda: at("2026-07-01 10:00"))
    converse(assistant)
    outcome = assistant.handle(Incoming(USER, text="/xoadulieu"))
    press(assistant, outcome, "Có, xóa hết")
    outcome = assistant.handle(Incoming(USER, text="/start"))
    assert "là ai" in outcome.replies[-1].text
    assert store.db.execute("SELECT COUNT(*) FROM stats_visitors").fetchone()[0] == 1
    store.close()


def test_idle_conversation_state_is_deleted(engine: Engine, tmp_path: Path) -> None:
    now = [at("2026-07-01 10:00")]
    store = SqliteStore(tmp_path / "antoanso.sqlite3")
    assistant = Assistant(engine, store, idle_seconds=24 * 3600, clock=lambda: now[0])
    assistant.handle(Incoming("tg:1", text="/start"))
    now[0] = at("2026-07-01 22:00")
    assistant.handle(Incoming("tg:2", text="/start"))
    assistant.sweep(at("2026-07-02 10:30"))
    users = [row[0] for row in store.db.execute("SELECT user_key FROM sessions")]
    assert users == ["tg:2"], "only the session idle for over 24 hours went"
    store.close()
