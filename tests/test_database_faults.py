"""Start-up on a database that cannot be used: a corrupt file, a read-only file or folder, a folder
where the file should be, a file where the data folder should be. Every command that opens the
database says what is wrong in one Vietnamese line, points to doctor and exits 1 (no traceback);
doctor names the same cause with a way to fix it.

Real files, real `python -m bot` processes. Read-only is real too: as root (which may write any
file) the process runs without the capability to override file permissions (setpriv)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.storage.sqlite import SqliteStore
from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parent.parent
DOCTOR = "Chạy: python -m bot doctor"
AS_ROOT = os.geteuid() == 0
# Root bypasses file modes; without CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH it obeys them.
NO_OVERRIDE = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"] if AS_ROOT else []
can_drop = not AS_ROOT or shutil.which("setpriv") is not None


def bot(data_dir: Path, *args: str, stdin: str = "thoát\n") -> subprocess.CompletedProcess[str]:
    env = clean_env(
        BOT_DATA_DIR=str(data_dir),
        BOT_KNOWLEDGE_DIR=str(ROOT / "knowledge"),
        BOT_FLOWS_DIR=str(ROOT / "flows"),
        BOT_WEB_PORT="0",
    )
    return subprocess.run(
        [*NO_OVERRIDE, sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=data_dir.parent,
        env=env,
        timeout=120,
    )


def healthy_database(data_dir: Path) -> Path:
    SqliteStore(data_dir / "antoanso.sqlite3").close()
    return data_dir / "antoanso.sqlite3"


def corrupt(data_dir: Path) -> None:
    data_dir.mkdir()
    (data_dir / "antoanso.sqlite3").write_bytes(os.urandom(64 * 1024))


def folder_in_place(data_dir: Path) -> None:
    (data_dir / "antoanso.sqlite3").mkdir(parents=True)


def data_dir_is_a_file(data_dir: Path) -> None:
    data_dir.write_text("một tệp ở chỗ thư mục dữ liệu")


def read_only_file(data_dir: Path) -> None:
    healthy_database(data_dir).chmod(0o400)


def read_only_folder(data_dir: Path) -> None:
    healthy_database(data_dir)
    data_dir.chmod(0o500)


def read_only_new_folder(data_dir: Path) -> None:
    data_dir.mkdir()
    data_dir.chmod(0o500)


Case = tuple[Callable[[Path], None], str, str]
# (how the data folder is spoilt, what the line says, what doctor's fix says)
CASES: dict[str, Case] = {
    "corrupt": (corrupt, "bị hỏng hoặc không phải cơ sở dữ liệu SQLite", "bản sao lưu"),
    "folder_in_place": (folder_in_place, "lại là một thư mục", "rmdir"),
    "data_dir_is_a_file": (data_dir_is_a_file, "(BOT_DATA_DIR) lại là một tệp", "BOT_DATA_DIR"),
    "read_only_file": (read_only_file, "chỉ cho đọc", "chmod 600"),
    "read_only_folder": (read_only_folder, "không cho ghi", "chown"),
    "read_only_new_folder": (read_only_new_folder, "không cho ghi", "chown"),
}
NEEDS_DROP = {"read_only_file", "read_only_folder", "read_only_new_folder"}


@pytest.fixture
def spoilt(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Path, str, str]]:
    name = request.param
    if name in NEEDS_DROP and not can_drop:
        pytest.skip("running as root without setpriv: a read-only file cannot be made")
    data_dir = tmp_path / "data"
    make, says, fix = CASES[name]
    make(data_dir)
    yield data_dir, says, fix
    if data_dir.is_dir():
        data_dir.chmod(0o700)  # let pytest clean up


def assert_one_line(result: subprocess.CompletedProcess[str], says: str) -> None:
    everything = result.stdout + result.stderr
    assert result.returncode == 1, everything
    assert "Traceback" not in everything and "sqlite3." not in everything and "Errno" not in everything
    lines = [line for line in result.stderr.splitlines() if DOCTOR in line]
    assert len(lines) == 1, everything
    assert says in lines[0] and lines[0].endswith(DOCTOR)


@pytest.mark.parametrize("spoilt", list(CASES), indirect=True)
def test_terminal_chat_says_what_is_wrong_in_one_line(spoilt: tuple[Path, str, str]) -> None:
    data_dir, says, _fix = spoilt
    assert_one_line(bot(data_dir, "chat"), says)


@pytest.mark.parametrize("spoilt", ["corrupt", "read_only_file", "folder_in_place"], indirect=True)
def test_the_data_commands_say_it_too(spoilt: tuple[Path, str, str]) -> None:
    data_dir, says, _fix = spoilt
    for command in (["unanswered"], ["report"], ["broadcast", "status"]):
        assert_one_line(bot(data_dir, *command), says)


@pytest.mark.parametrize("spoilt", ["corrupt", "read_only_folder"], indirect=True)
def test_running_the_assistant_says_it_before_serving(spoilt: tuple[Path, str, str]) -> None:
    """`python -m bot` and `python -m bot run` (web chat here: no token) stop before listening."""
    data_dir, says, _fix = spoilt
    for command in ([], ["run"]):
        result = bot(data_dir, *command)
        assert_one_line(result, says)
        assert "Trò chuyện trên web" not in result.stdout


@pytest.mark.parametrize("spoilt", ["corrupt", "folder_in_place"], indirect=True)
def test_backup_of_a_broken_database_says_why(spoilt: tuple[Path, str, str]) -> None:
    data_dir, says, _fix = spoilt
    assert_one_line(bot(data_dir, "backup", str(data_dir.parent / "saoluu")), says)


@pytest.mark.parametrize("spoilt", list(CASES), indirect=True)
def test_doctor_explains_each_case_with_a_fix(spoilt: tuple[Path, str, str]) -> None:
    data_dir, says, fix = spoilt
    result = bot(data_dir, "doctor")
    assert result.returncode == 1 and "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    [index] = [i for i, line in enumerate(lines) if line.startswith("❌") and ("dữ liệu" in line)]
    if data_dir.is_file():
        assert "Không tạo được thư mục dữ liệu" in lines[index]
    else:
        assert says in lines[index]
    assert lines[index + 1].strip().startswith("→ Cách sửa:") and fix in lines[index + 1]
    assert "attempt to write" not in result.stdout and "unable to open" not in result.stdout


def test_a_sound_database_is_not_touched_by_the_write_check(tmp_path: Path) -> None:
    """The start-up write check rolls back: nothing in the file changes."""
    database = healthy_database(tmp_path / "data")
    before = sqlite3.connect(database).execute("PRAGMA user_version").fetchone()[0]
    data = database.read_bytes()
    SqliteStore(database).close()
    assert database.read_bytes() == data
    assert sqlite3.connect(database).execute("PRAGMA user_version").fetchone()[0] == before
