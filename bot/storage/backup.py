"""`python -m bot backup PATH`: a consistent copy of the live database, checked before it counts.

Uses SQLite's online backup API (safe while the assistant writes). The copy then loses today's
visitor digests (useless without the day key, which is never backed up) and is checked with
`PRAGMA integrity_check`. A backup keeps what the database held at that moment, including data a
user deletes later: keep backups for a short time only (README "Sao lưu").
"""

from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

from bot.config import Config


class BackupError(RuntimeError):
    """Vietnamese message for the ward's IT contractor."""


def backup(source: Path, target: Path) -> Path:
    """Copy `source` to `target` (a file, or a directory to put a dated file in); returns the copy."""
    if not source.is_file():
        raise BackupError(f"Không thấy cơ sở dữ liệu {source} (BOT_DATA_DIR đúng chưa?).")
    if target.is_dir():
        target = target / f"antoanso-{time.strftime('%Y%m%d-%H%M%S')}.sqlite3"
    if target.exists():
        raise BackupError(f"Tệp {target} đã có; chọn tên khác để không ghi đè bản sao lưu cũ.")
    if target.resolve() == source.resolve():
        raise BackupError("Tệp sao lưu không được trùng với cơ sở dữ liệu đang dùng.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    live = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        live.backup(copy, pages=256, sleep=0.005)
        copy.execute("PRAGMA secure_delete = ON")
        if copy.execute("SELECT 1 FROM sqlite_master WHERE name = 'stats_visitors'").fetchone():
            copy.execute("DELETE FROM stats_visitors")
            copy.commit()
        copy.execute("VACUUM")
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        copy.close()
        live.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"Bản sao không qua kiểm tra toàn vẹn ({verdict}); chưa ghi bản sao lưu.")
    partial.rename(target)
    return target


def backup_command(config: Config, target: Path) -> int:
    started = time.perf_counter()
    print(f"Đang sao lưu {config.database} …", file=sys.stderr)
    try:
        copy = backup(config.database, target)
    except BackupError as exc:
        print(f"❌ {exc}", file=sys.stderr)
        return 1
    except sqlite3.Error as exc:
        print(f"❌ Sao lưu không thành công: {exc}", file=sys.stderr)
        return 1
    print(
        f"✅ Đã sao lưu vào {copy} ({copy.stat().st_size / 1024:.0f} KB, {time.perf_counter() - started:.1f} giây); "
        "kiểm tra toàn vẹn: ok."
    )
    return 0
