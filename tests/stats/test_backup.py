"""`python -m bot backup PATH`: a consistent, checked copy of the live database (the assistant may
be writing), without today's visitor digests and without the day key."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.app import Assistant
from bot.core.engine import Engine
from bot.storage.sqlite import SqliteStore
from tests.stats.helpers import at, converse
from tests.test_cli import run


def test_backup_of_a_live_database(engine: Engine, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "data" / "antoanso.sqlite3")
    assistant = Assistant(engine, store, clock=lambda: at("2026-07-01 10:00"))
    converse(assistant)  # the store stays open: WAL in use, as while the bot runs
    result = run("backup", "saoluu/ban-1.sqlite3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "kiểm tra toàn vẹn: ok" in result.stdout
    copy = sqlite3.connect(tmp_path / "saoluu" / "ban-1.sqlite3")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 1
    live_counts = store.db.execute("SELECT SUM(count) FROM stats_counts").fetchone()[0]
    assert copy.execute("SELECT SUM(count) FROM stats_counts").fetchone()[0] == live_counts
    assert copy.execute("SELECT COUNT(*) FROM stats_visitors").fetchone()[0] == 0
    copy.close()
    assert not list((tmp_path / "saoluu").glob("*daykey*"))

    again = run("backup", "saoluu/ban-1.sqlite3", cwd=tmp_path)
    assert again.returncode == 1 and "đã có" in again.stderr, "an old backup is never overwritten"
    into_folder = run("backup", "saoluu", cwd=tmp_path)
    assert into_folder.returncode == 0 and len(list((tmp_path / "saoluu").glob("antoanso-*.sqlite3"))) == 1
    store.close()


def test_backup_without_a_database_says_so(tmp_path: Path) -> None:
    result = run("backup", "x.sqlite3", cwd=tmp_path)
    assert result.returncode == 1 and "Không thấy cơ sở dữ liệu" in result.stderr
