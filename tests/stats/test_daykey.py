"""Daily unique users through a key that lives one day: counted once a day, across a restart, and
the key and the digests are gone once the day closes (injectable clock, real SQLite files)."""

from __future__ import annotations

from pathlib import Path

from bot.app import SWEEP_EVERY, Assistant
from bot.core.engine import Engine
from bot.core.types import Event, Incoming, Session
from bot.stats.daykey import DayKey
from bot.stats.recorder import digest
from bot.storage.sqlite import SqliteStore
from tests.stats.helpers import at


def day_users(store: SqliteStore) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in store.stats.daily_users():
        totals[row["day"]] = totals.get(row["day"], 0) + row["users"]
    return totals


def visitor_digests(store: SqliteStore) -> set[str]:
    return {row[0] for row in store.db.execute("SELECT digest FROM stats_visitors")}


def all_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file())


def test_unique_users_per_day_survive_a_restart_and_the_key_dies_at_midnight(engine: Engine, tmp_path: Path) -> None:
    now = [at("2026-07-01 09:00")]
    database = tmp_path / "antoanso.sqlite3"
    store = SqliteStore(database)
    assistant = Assistant(engine, store, clock=lambda: now[0])
    for user, text in (("tg:111", "/start"), ("tg:111", "con tôi nghiện game"), ("tg:222", "/start")):
        assistant.handle(Incoming(user, text=text))
    key_file = tmp_path / "antoanso.daykey"
    first_record = key_file.read_bytes()
    day, key = DayKey(key_file).current()  # type: ignore[misc]
    assert day == "2026-07-01" and key.hex().encode() in first_record
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert key not in all_bytes(tmp_path).replace(first_record, b""), "the key is never in the database"
    assert day_users(store) == {"2026-07-01": 2}
    day_one = visitor_digests(store)
    assert digest(key, "tg:111") in day_one and "tg:111" not in str(day_one)

    store.close()  # a restart on the same day: the same key, so nobody is counted twice
    now[0] = at("2026-07-01 20:00")
    store = SqliteStore(database)
    assistant = Assistant(engine, store, clock=lambda: now[0])
    assistant.handle(Incoming("tg:111", text="menu"))
    assert day_users(store) == {"2026-07-01": 2}

    now[0] = at("2026-07-02 07:30")  # the next morning, the first message closes yesterday
    assistant.handle(Incoming("tg:111", text="menu"))
    assert day_users(store) == {"2026-07-01": 2, "2026-07-02": 1}
    second_record = key_file.read_bytes()
    assert second_record.startswith(b"2026-07-02\n") and len(second_record) == len(first_record)
    assert key.hex().encode() not in second_record, "yesterday's key is overwritten"
    assert not day_one & visitor_digests(store), "yesterday's digests are deleted…"
    assert digest(key, "tg:111") not in visitor_digests(store), "…and today's cannot be matched with them"
    for old in day_one:
        assert old.encode() not in all_bytes(tmp_path), "no page of the database still holds a digest"
    store.close()


def test_a_quiet_night_closes_the_day_through_the_sweep(engine: Engine, tmp_path: Path) -> None:
    now = [at("2026-07-01 23:50")]
    store = SqliteStore(tmp_path / "antoanso.sqlite3")
    assistant = Assistant(engine, store, clock=lambda: now[0])
    assistant.handle(Incoming("tg:1", text="/start"))
    assert visitor_digests(store)
    assistant.sweep(at("2026-07-02 00:05"))  # what the housekeeping thread does every few minutes
    assert not visitor_digests(store)
    assert day_users(store) == {"2026-07-01": 1}
    assert (tmp_path / "antoanso.daykey").read_bytes().startswith(b"2026-07-02")
    assert assistant._next_sweep == at("2026-07-02 00:05") + SWEEP_EVERY
    store.close()


def test_a_day_already_closed_by_another_process_counts_events_but_not_visitors(tmp_path: Path) -> None:
    database = tmp_path / "antoanso.sqlite3"
    bot = SqliteStore(database)
    report = SqliteStore(database)  # e.g. `python -m bot report` after midnight
    bot.record_events([Event("tip_read", topic="lua_dao")], Session("tg:5"), "2026-07-01")
    report.stats.close_days("2026-07-02")
    late = SqliteStore(database)  # a third process whose clock still says 1 July
    late.record_events([Event("tip_read", topic="lua_dao")], Session("tg:6"), "2026-07-01")
    assert day_users(late) == {"2026-07-01": 1}
    assert sum(row["count"] for row in late.counters()) == 2
    for store in (bot, report, late):
        store.close()


def test_in_memory_key_rotates_too() -> None:
    key = DayKey(None)
    closed: list[str] = []
    first = key.key_for("2026-07-01", closed.append)
    assert key.key_for("2026-07-01", closed.append) == first
    second = key.key_for("2026-07-02", closed.append)
    assert second != first and closed[-1] == "2026-07-02"
    assert key.key_for("2026-07-01", closed.append) is None  # a closed day gets no key back
