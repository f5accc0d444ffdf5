"""`python -m bot backup [TARGET]`: a consistent copy of the SQLite database while the assistant runs.

Copying `antoanso.sqlite3` with `cp` can miss what still sits in the WAL file; SQLite's online
backup API copies a consistent snapshot, page by page, without stopping the bot.
"""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime
from pathlib import Path

from bot.config import Config


def backup_database(source: Path, target: Path) -> Path:
    """Copy `source` to `target` (a file, or a folder to put a dated file in); returns the file."""
    if target.is_dir() or not target.suffix:
        target.mkdir(parents=True, exist_ok=True)
        target = target / f"antoanso-{datetime.now():%Y%m%d-%H%M%S}.sqlite3"
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    if target.resolve() == source.resolve():
        raise ValueError("tệp sao lưu không được trùng với cơ sở dữ liệu đang dùng")
    partial = target.with_name(target.name + ".part")
    src = sqlite3.connect(source, timeout=10)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst, pages=256)
            if dst.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("bản sao không qua được kiểm tra toàn vẹn")
        finally:
            dst.close()
    finally:
        src.close()
    partial.replace(target)  # a half-written backup never carries the final name
    return target


def main(config: Config, target: Path | None) -> int:
    source = config.database
    if not source.is_file():
        print(f"Chưa có cơ sở dữ liệu ở {source}: chưa có gì để sao lưu.", file=sys.stderr)
        return 1
    try:
        written = backup_database(source, target or config.data_dir / "backup")
    except (OSError, sqlite3.Error, ValueError) as exc:
        print(f"Sao lưu không thành công: {exc}", file=sys.stderr)
        return 1
    size = written.stat().st_size
    print(f"✅ Đã sao lưu vào {written} ({size / 1024:.0f} KB).")
    return 0
