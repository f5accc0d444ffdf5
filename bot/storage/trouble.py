"""Why the SQLite database cannot be used, said once in Vietnamese.

Start-up prints the one line (and points to `python -m bot doctor`) instead of a traceback; doctor
prints the same line with a way to fix it. The cause is read from the file system first (a folder
where the file should be, a read-only file or folder), then from SQLite's error: SQLite's own
words ("unable to open database file") do not say which of these it was.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

ERRNO_TEXT = {
    errno.ENOTDIR: "một phần của đường dẫn là tệp chứ không phải thư mục",
    errno.EACCES: "không có quyền",
    errno.EPERM: "không được phép",
    errno.EROFS: "ổ đĩa chỉ cho đọc",
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.ENOENT: "không tìm thấy",
    errno.EEXIST: "đã có một tệp trùng tên",
}

# What each kind means for the one who runs the assistant; doctor adds the fix.
KINDS = (
    "folder_in_place",  # a directory where the database file should be
    "not_a_folder",  # BOT_DATA_DIR (or a folder above it) is a file
    "corrupt",  # random bytes, a truncated copy, another program's file
    "read_only_file",  # the file exists and cannot be written
    "read_only_folder",  # the folder takes no new file (the database, its -wal and -shm)
    "read_only_disk",  # the file system is mounted read-only
    "locked",  # another process holds the write lock
    "full",  # no room left
    "other",
)


@dataclass(frozen=True)
class Trouble:
    kind: str
    message: str  # one Vietnamese line, no fix, no SQLite wording


class DatabaseUnusable(Exception):
    """The store could not open, set up or write its file: `trouble` says why."""

    def __init__(self, trouble: Trouble) -> None:
        super().__init__(trouble.message)
        self.trouble = trouble


def os_reason(exc: OSError) -> str:
    return ERRNO_TEXT.get(exc.errno or 0, exc.strerror or str(exc))


def _existing_ancestor(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if os.path.lexists(candidate):
            return candidate
    return Path("/")


def _read_only_mount(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def explain(database: Path, exc: BaseException) -> Trouble:
    """The cause of `exc`, raised while opening, migrating or writing `database`."""
    folder = database.parent
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc).lower()
    number = exc.errno if isinstance(exc, OSError) else None
    if database.is_dir():
        return Trouble("folder_in_place", f"Ở chỗ tệp cơ sở dữ liệu {database} lại là một thư mục.")
    above = _existing_ancestor(folder)
    if not above.is_dir():
        if above == folder:
            return Trouble("not_a_folder", f"Thư mục dữ liệu {folder} (BOT_DATA_DIR) lại là một tệp.")
        return Trouble(
            "not_a_folder", f"{above} là một tệp, nên không tạo được thư mục dữ liệu {folder} (BOT_DATA_DIR)."
        )
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or "not a database" in text or "malformed" in text:
        return Trouble("corrupt", f"Tệp {database} bị hỏng hoặc không phải cơ sở dữ liệu SQLite.")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text:
        return Trouble("locked", f"Cơ sở dữ liệu {database} đang bận (một tiến trình khác giữ khoá ghi quá lâu).")
    if name == "SQLITE_FULL" or number == errno.ENOSPC or "disk is full" in text:
        return Trouble("full", f"Ổ đĩa chứa {folder} đã đầy, không ghi được cơ sở dữ liệu.")
    if number == errno.EROFS or _read_only_mount(above):
        return Trouble("read_only_disk", f"Ổ đĩa chứa {above} chỉ cho đọc, không ghi được cơ sở dữ liệu.")
    if database.exists() and not os.access(database, os.W_OK):
        return Trouble("read_only_file", f"Tệp cơ sở dữ liệu {database} chỉ cho đọc: trợ lý không ghi được vào đó.")
    if not os.access(above, os.W_OK | os.X_OK):
        made = "tệp cơ sở dữ liệu và các tệp -wal, -shm đi kèm" if above == folder else f"thư mục {folder}"
        return Trouble("read_only_folder", f"Thư mục {above} không cho ghi: trợ lý không tạo được {made}.")
    if isinstance(exc, OSError):
        return Trouble("other", f"Không dùng được cơ sở dữ liệu {database}: {os_reason(exc)}.")
    detail = f" ({name})" if name else ""
    return Trouble("other", f"Không dùng được cơ sở dữ liệu {database}{detail}.")


def check_writable(conn: sqlite3.Connection) -> None:
    """Raise if the database cannot be written. SQLite opens a read-only file read-only without
    complaint, and every read works: only the first write fails, mid-conversation. A write inside
    a transaction that is rolled back (the same value back into the header) finds out now."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(f"PRAGMA user_version = {int(version)}")
    finally:
        conn.execute("ROLLBACK")
