"""`python -m bot backup`: a consistent copy of the live database (WAL included), restorable."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot.backup import backup_database
from bot.core.types import Session
from bot.storage.sqlite import SqliteStore

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
    assert not list(copy.parent.glob("*.part")), "no half-written file is left"
    restored = SqliteStore(copy)
    try:
        assert restored.load_session("web:abc", 1_800_000_050.0, 3600).role == "parent"
        assert restored.load_session("web:later", 1_800_000_150.0, 3600).role is None, "a snapshot in time"
    finally:
        restored.close()
    assert sqlite3.connect(copy).execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def run_backup(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "TELEGRAM_"))}
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
    SqliteStore(tmp_path / "data" / "antoanso.sqlite3").close()
    result = run_backup(tmp_path, str(tmp_path / "copy.sqlite3"))
    assert result.returncode == 0 and "✅ Đã sao lưu" in result.stdout
    assert (tmp_path / "copy.sqlite3").is_file()
    result = run_backup(tmp_path, str(tmp_path / "data" / "antoanso.sqlite3"))
    assert result.returncode == 1 and "trùng" in result.stderr and "Traceback" not in result.stderr
