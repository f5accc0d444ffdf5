"""The data folder and SQLite file: can the assistant write there, is the file sound, is there room."""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from bot.config import Config
from bot.doctor.finding import Finding

LOW_DISK = 200 * 1024 * 1024

ERRNO_TEXT = {
    errno.ENOTDIR: "một phần của đường dẫn là tệp chứ không phải thư mục",
    errno.EACCES: "không có quyền",
    errno.EPERM: "không được phép",
    errno.EROFS: "ổ đĩa chỉ cho đọc",
    errno.ENOSPC: "ổ đĩa đã đầy",
    errno.ENOENT: "không tìm thấy",
    errno.EEXIST: "đã có một tệp trùng tên",
}


def _os_reason(exc: OSError) -> str:
    return ERRNO_TEXT.get(exc.errno or 0, exc.strerror or str(exc))


def check_database(config: Config) -> list[Finding]:
    data_dir, db = config.data_dir, config.database
    grant = f"Cấp quyền ghi cho người dùng chạy trợ lý, ví dụ: sudo chown -R antoanso:antoanso {data_dir}"
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return [
            Finding(
                "database",
                "fail",
                f"Không tạo được thư mục dữ liệu {data_dir}: {_os_reason(exc)}.",
                f"Đặt BOT_DATA_DIR là một thư mục ghi được (ví dụ /var/lib/antoanso). {grant}",
            )
        ]
    try:
        found = _probe_existing(db) if db.exists() else _probe_new(data_dir, db)
    except sqlite3.DatabaseError as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return [
                Finding(
                    "database",
                    "warn",
                    f"Cơ sở dữ liệu {db} đang bận (một tiến trình khác giữ khoá ghi quá lâu).",
                    "Thử lại sau ít giây; nếu vẫn bận, kiểm tra không có hai bản trợ lý cùng chạy trên một tệp.",
                )
            ]
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            return [
                Finding(
                    "database",
                    "fail",
                    f"Tệp {db} bị hỏng hoặc không phải cơ sở dữ liệu SQLite.",
                    "Dừng trợ lý, đổi tên tệp hỏng, chép bản sao lưu gần nhất vào chỗ của nó (README, mục "
                    "Sao lưu), rồi chạy lại python -m bot doctor.",
                )
            ]
        return [Finding("database", "fail", f"Không ghi được vào cơ sở dữ liệu {db}: {text}.", grant)]
    except OSError as exc:
        return [Finding("database", "fail", f"Không ghi được vào thư mục {data_dir}: {_os_reason(exc)}.", grant)]
    free = shutil.disk_usage(data_dir).free
    if free < LOW_DISK:
        found.append(
            Finding(
                "database",
                "warn",
                f"Ổ đĩa chứa {data_dir} chỉ còn {free // (1024 * 1024)} MB trống.",
                "Giải phóng dung lượng hoặc chuyển bản sao lưu cũ sang nơi khác.",
            )
        )
    return found


def _probe_new(data_dir: Path, db: Path) -> list[Finding]:
    """No database yet: prove the folder takes a SQLite file with a throw-away one."""
    probe = data_dir / ".doctor-probe.sqlite3"
    try:
        conn = sqlite3.connect(probe, timeout=2, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("CREATE TABLE IF NOT EXISTS probe (x)")
            conn.execute("INSERT INTO probe VALUES (1)")
        finally:
            conn.close()
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{probe}{suffix}").unlink(missing_ok=True)
    return [Finding("database", "ok", f"Thư mục dữ liệu ghi được; cơ sở dữ liệu {db} sẽ được tạo khi trợ lý chạy.")]


def _probe_existing(db: Path) -> list[Finding]:
    """Read every page's header (quick_check) and take the write lock, then roll back."""
    conn = sqlite3.connect(db, timeout=2, isolation_level=None)
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"malformed: {result}")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE _doctor_probe (x)")  # a real write, undone below
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    size = db.stat().st_size
    shown = f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"
    return [Finding("database", "ok", f"Cơ sở dữ liệu ghi được và nguyên vẹn: {db} ({shown}).")]
