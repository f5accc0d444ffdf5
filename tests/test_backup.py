"""`python -m bot backup [TARGET]`: a consistent, checked copy of the live database (WAL included),
restorable, never overwriting an older copy, and without today's visitor digests or the day key."""

from __future__ import annotations

import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from bot.app import Assistant
from bot.backup import backup_database
from bot.core.engine import Engine
from bot.core.types import Session
from bot.storage.sqlite import SqliteStore
from tests.stats.helpers import at, converse
from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parent.parent


def test_backup_of_a_database_in_use_holds_the_latest_writes(tmp_path: Path) -> None:
    live = tmp_path / "data" / "antoanso.sqlite3"
    store = SqliteStore(live)  # stays open, as in a running assistant: recent writes sit in the WAL
    try:
        store.save_session(Session(user_key="web:abc", role="parent", started=True), 1_800_000_000.0)
        assert Path(f"{live}-wal").stat().st_size > 0
        copy = backup_database(live, tmp_path / "backups")
        store.save_session(Session(user_key="web:later", role="student", started=True), 1_800_000_100.0)
    finally:
        store.close()
    assert copy.parent == tmp_path / "backups" and copy.name.startswith("antoanso-")
    assert not list(copy.parent.glob("*.part*")), "no half-written file is left"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600, "only the owner reads a backup"
    restored = SqliteStore(copy)
    try:
        assert restored.load_session("web:abc", 1_800_000_050.0, 3600).role == "parent"
        assert restored.load_session("web:later", 1_800_000_150.0, 3600).role is None, "a snapshot in time"
    finally:
        restored.close()
    assert sqlite3.connect(copy).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def run_backup(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = clean_env()
    env["BOT_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "bot", "backup", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_backup_command(tmp_path: Path) -> None:
    result = run_backup(tmp_path)
    assert result.returncode == 1 and "chưa có gì để sao lưu" in result.stderr
    assert "Không thấy cơ sở dữ liệu" in result.stderr and "Traceback" not in result.stderr
    SqliteStore(tmp_path / "data" / "antoanso.sqlite3").close()  # closed: no -wal, no -shm beside it
    result = run_backup(tmp_path, str(tmp_path / "copy.sqlite3"))
    assert result.returncode == 0 and "✅ Đã sao lưu" in result.stdout, result.stderr
    assert (tmp_path / "copy.sqlite3").is_file()
    result = run_backup(tmp_path)  # the default place: BOT_DATA_DIR/backup/
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "data" / "backup").glob("antoanso-*.sqlite3"))) == 1
    result = run_backup(tmp_path, str(tmp_path / "data" / "antoanso.sqlite3"))
    assert result.returncode == 1 and "trùng" in result.stderr and "Traceback" not in result.stderr


def test_backup_while_the_assistant_writes_drops_todays_digests(engine: Engine, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "data" / "antoanso.sqlite3")
    assistant = Assistant(engine, store, clock=lambda: at("2026-07-01 10:00"))
    converse(assistant)  # the store stays open: WAL in use, as while the bot runs
    assert store.db.execute("SELECT COUNT(*) FROM stats_visitors").fetchone()[0] == 1
    digest = store.db.execute("SELECT digest FROM stats_visitors").fetchone()[0]
    result = run_backup(tmp_path, "saoluu/ban-1.sqlite3")
    assert result.returncode == 0, result.stderr
    assert "kiểm tra toàn vẹn: ok" in result.stdout and "Đang sao lưu" in result.stderr
    copy_path = tmp_path / "saoluu" / "ban-1.sqlite3"
    copy = sqlite3.connect(copy_path)
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 1
    live_counts = store.db.execute("SELECT SUM(count) FROM stats_counts").fetchone()[0]
    assert copy.execute("SELECT SUM(count) FROM stats_counts").fetchone()[0] == live_counts
    assert copy.execute("SELECT COUNT(*) FROM stats_visitors").fetchone()[0] == 0
    copy.close()
    assert digest.encode() not in copy_path.read_bytes(), "the digest's bytes are gone from the file too"
    assert not list((tmp_path / "saoluu").glob("*daykey*")), "the day key is never backed up"

    again = run_backup(tmp_path, "saoluu/ban-1.sqlite3")
    assert again.returncode == 1 and "đã có" in again.stderr, "an old backup is never overwritten"
    into_folder = run_backup(tmp_path, "saoluu")
    assert into_folder.returncode == 0 and len(list((tmp_path / "saoluu").glob("antoanso-*.sqlite3"))) == 1
    store.close()
