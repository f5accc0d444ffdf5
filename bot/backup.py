"""`python -m bot backup [TARGET]`: a consistent, checked copy of the SQLite database while the
assistant runs.

Copying `antoanso.sqlite3` with `cp` can miss what still sits in the WAL file; SQLite's online
backup API copies a consistent snapshot, page by page, without stopping the bot. The copy then
loses today's visitor digests (`stats_visitors`: useless without the day key, which lives beside
the database and is never backed up, and personal enough not to linger in old copies), is
vacuumed so their bytes are gone from the file, and must pass `PRAGMA integrity_check` before it
takes its final name. An existing file is never overwritten, and the copy is readable by its
owner only. A backup keeps what the database held at that moment, including data a user deletes
later: keep backups for a short time only (README "Sao lưu và khôi phục").
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from datetime import datetime
from pathlib import Path

from bot.config import Config
from bot.storage.trouble import explain, os_reason

# Rows that must not outlive the day they belong to (bot/stats/daykey.py).
TRANSIENT_TABLES = ("stats_visitors",)


class BackupError(RuntimeError):
    """A Vietnamese message for the ward's IT contractor."""


def _target_file(source: Path, target: Path) -> Path:
    """`target` itself, or – for a folder (existing, or a name without a suffix) – a dated file in it."""
    if target.is_dir() or not target.suffix:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)  # backups are the owner's alone
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        chosen = target / f"antoanso-{stamp}.sqlite3"
        number = 2
        while chosen.exists():  # two backups within one second
            chosen = target / f"antoanso-{stamp}-{number}.sqlite3"
            number += 1
        return chosen
    if target.resolve() == source.resolve():
        raise BackupError("Tệp sao lưu không được trùng với cơ sở dữ liệu đang dùng; chọn tên khác.")
    if target.exists():
        raise BackupError(f"Tệp {target} đã có; chọn tên khác để không ghi đè bản sao lưu cũ.")
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    return target


def backup_database(source: Path, target: Path) -> Path:
    """Copy `source` to `target` (a file, or a folder to put a dated file in); returns the copy."""
    if source.is_dir():
        raise BackupError(f"{explain(source, IsADirectoryError(source)).message} Chạy: python -m bot doctor")
    if not source.is_file():
        raise BackupError(f"Không thấy cơ sở dữ liệu {source}: chưa có gì để sao lưu (BOT_DATA_DIR đúng chưa?).")
    target = _target_file(source, target)
    partial = target.with_name(target.name + ".part")
    partial.unlink(missing_ok=True)  # left by a backup that was killed half-way
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # owner-only from the first byte
    try:
        live = sqlite3.connect(source, timeout=30)
        try:
            copy = sqlite3.connect(partial)
            try:
                live.backup(copy, pages=256, sleep=0.005)
                _drop_transient(copy)
                verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            finally:
                copy.close()
        finally:
            live.close()
        if verdict != "ok":
            raise BackupError(f"Bản sao không qua kiểm tra toàn vẹn ({verdict}); chưa ghi bản sao lưu.")
        if target.exists():  # appeared meanwhile: still never overwrite
            raise BackupError(f"Tệp {target} đã có; chọn tên khác để không ghi đè bản sao lưu cũ.")
        partial.rename(target)  # a half-written backup never carries the final name
    except BaseException:
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm"), Path(f"{partial}-journal")):
            leftover.unlink(missing_ok=True)
        raise
    return target


def _drop_transient(copy: sqlite3.Connection) -> None:
    """Delete today's visitor digests from the copy, then rebuild it so their bytes are gone too."""
    copy.execute("PRAGMA secure_delete = ON")
    present = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in TRANSIENT_TABLES:
        if table in present:
            copy.execute(f"DELETE FROM {table}")  # noqa: S608 - a constant table name
    copy.commit()
    copy.execute("VACUUM")


def main(config: Config, target: Path | None) -> int:
    started = time.perf_counter()
    source = config.database
    print(f"Đang sao lưu {source} …", file=sys.stderr)
    try:
        written = backup_database(source, target or config.data_dir / "backup")
    except BackupError as exc:
        print(f"❌ {exc}", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error) as exc:
        print(f"❌ Sao lưu không thành công: {_why(source, exc)}", file=sys.stderr)
        return 1
    size = written.stat().st_size
    print(
        f"✅ Đã sao lưu vào {written} ({size / 1024:.0f} KB, {time.perf_counter() - started:.1f} giây); "
        "kiểm tra toàn vẹn: ok."
    )
    return 0


def _why(source: Path, exc: OSError | sqlite3.Error) -> str:
    """In Vietnamese: a corrupt source (with the pointer to doctor), a file that could not be
    written (the target folder, usually), else SQLite's own words."""
    trouble = explain(source, exc)
    if trouble.kind == "corrupt":
        return f"{trouble.message} Chạy: python -m bot doctor"
    if isinstance(exc, OSError) and exc.filename:
        return f"không ghi được {exc.filename}: {os_reason(exc)}."
    return str(exc)
