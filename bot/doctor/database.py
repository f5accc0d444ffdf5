"""The data folder and SQLite file: can the assistant write there, is the file sound, is there room,
and can nobody else on the machine read it.

The cause of a failure is named by `bot.storage.trouble` (the same line start-up prints); here
each cause gets its way to fix it."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
from pathlib import Path

from bot.config import Config
from bot.doctor.finding import Finding
from bot.storage.trouble import check_writable, explain, os_reason

LOW_DISK = 200 * 1024 * 1024
# Files of the data folder that hold people's data or keys: the owner's alone (0600).
PRIVATE_FILES = ("antoanso.sqlite3", "antoanso.sqlite3-wal", "antoanso.sqlite3-shm", "antoanso.daykey")


def _fixes(data_dir: Path, db: Path) -> dict[str, str]:
    grant = f"Cấp quyền ghi cho người dùng chạy trợ lý, ví dụ: sudo chown -R antoanso:antoanso {data_dir}"
    restore = (
        "Dừng trợ lý, đổi tên tệp hỏng (ví dụ thêm đuôi .hong), chép bản sao lưu gần nhất vào chỗ của nó "
        "(README, mục Sao lưu) – hoặc để trợ lý tạo tệp mới, trống – rồi chạy lại python -m bot doctor."
    )
    return {
        "folder_in_place": (
            f"Xem trong thư mục đó có gì (ls -la {db}); nếu trống thì xoá nó (rmdir {db}), nếu không thì đổi "
            "tên nó. Trợ lý tự tạo tệp cơ sở dữ liệu khi chạy."
        ),
        "not_a_folder": "Đặt BOT_DATA_DIR là một thư mục (ví dụ /var/lib/antoanso), hoặc đổi tên tệp đang chắn chỗ.",
        "corrupt": restore,
        "read_only_file": (
            f"{grant}, rồi: sudo chmod 600 {db}. Nếu đây là bản sao để xem, chép nó sang chỗ khác thay vì chạy "
            "trợ lý trên nó."
        ),
        "read_only_folder": f"{grant}. SQLite cần ghi được cả thư mục (tạo tệp -wal, -shm bên cạnh tệp chính).",
        "read_only_disk": "Đặt BOT_DATA_DIR trên một ổ ghi được (ví dụ /var/lib/antoanso), hoặc gắn lại ổ đĩa cho ghi.",
        "locked": "Thử lại sau ít giây; nếu vẫn bận, kiểm tra không có hai bản trợ lý cùng chạy trên một tệp.",
        "full": "Giải phóng dung lượng (ví dụ chuyển bản sao lưu cũ sang nơi khác) rồi chạy lại.",
        "other": grant,
    }


def check_database(config: Config) -> list[Finding]:
    data_dir, db = config.data_dir, config.database
    fixes = _fixes(data_dir, db)
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        kind = explain(db, exc).kind
        fix = fixes[kind] if kind in ("not_a_folder", "read_only_disk", "full") else None
        if kind == "read_only_folder":
            fix = (
                f"Tạo sẵn thư mục cho người dùng chạy trợ lý, ví dụ: sudo mkdir -p {data_dir} && sudo chown "
                f"antoanso:antoanso {data_dir} && sudo chmod 700 {data_dir}; hoặc đặt BOT_DATA_DIR là một thư "
                "mục ghi được."
            )
        return [
            Finding(
                "database",
                "fail",
                f"Không tạo được thư mục dữ liệu {data_dir}: {os_reason(exc)}.",
                fix or f"Đặt BOT_DATA_DIR là một thư mục ghi được (ví dụ /var/lib/antoanso). {fixes['other']}",
            )
        ]
    try:
        found = _probe_existing(db) if os.path.lexists(db) else _probe_new(data_dir, db)
    except (sqlite3.Error, OSError) as exc:
        trouble = explain(db, exc)
        status = "warn" if trouble.kind == "locked" else "fail"
        return [Finding("database", status, trouble.message, fixes[trouble.kind])]
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
    found.extend(_readable_by_others(data_dir))
    return found


def _readable_by_others(data_dir: Path) -> list[Finding]:
    """Files made by a hand-run process before the assistant set its own umask may be readable by
    every account on the machine: say which, and how to close them."""
    shared = []
    for name in PRIVATE_FILES:
        try:
            mode = (data_dir / name).stat().st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode) and mode & 0o077:
            shared.append(f"{name} ({stat.filemode(mode)})")
    if not shared:
        return []
    return [
        Finding(
            "database",
            "warn",
            f"Người dùng khác trên máy đọc được dữ liệu trong {data_dir}: {', '.join(shared)}.",
            f"chmod 700 {data_dir} && chmod 600 {data_dir}/antoanso.*",
        )
    ]


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
    """Read every page's header (quick_check) and write inside a transaction that is rolled back."""
    if db.is_dir():
        raise IsADirectoryError(db)
    conn = sqlite3.connect(db, timeout=2, isolation_level=None)
    try:
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise sqlite3.DatabaseError(f"malformed: {result}")
        check_writable(conn)
    finally:
        conn.close()
    size = db.stat().st_size
    shown = f"{size / (1024 * 1024):.1f} MB" if size >= 1024 * 1024 else f"{max(1, size // 1024)} KB"
    return [Finding("database", "ok", f"Cơ sở dữ liệu ghi được và nguyên vẹn: {db} ({shown}).")]
