"""What a hand-run process leaves on disk is its owner's alone: the data folder 0700, the database
and its -wal/-shm, the day key, the web session key, backups and statistics reports 0600, however
permissive the shell's umask (022 here, as on most machines). Content exported for the public
(the static site) stays readable by the web server."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bot.storage.sqlite import SqliteStore
from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parent.parent
SHELL_UMASK = 0o022


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def env(data_dir: Path, **extra: str) -> dict[str, str]:
    return clean_env(
        BOT_DATA_DIR=str(data_dir),
        BOT_KNOWLEDGE_DIR=str(ROOT / "knowledge"),
        BOT_FLOWS_DIR=str(ROOT / "flows"),
        **extra,
    )


def bot(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=data_dir.parent,
        env=env(data_dir, **extra),
        timeout=180,
        umask=SHELL_UMASK,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_running_assistant_writes_owner_only_files(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    with subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env(data_dir, BOT_WEB_PORT=str(port), BOT_KEEP_UNANSWERED="on"),
        umask=SHELL_UMASK,
    ) as process:
        try:
            assert process.stdout is not None
            line, deadline = "", time.monotonic() + 120
            while "Trò chuyện trên web" not in line and time.monotonic() < deadline and process.poll() is None:
                line = process.stdout.readline()
            assert "Trò chuyện trên web" in line
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}/api/message",
                data='{"text": "con tôi bị bắt nạt trên mạng"}'.encode(),
                headers={"Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=30) as response:
                assert response.status == 200
            # While it runs: the WAL files exist, and so do the keys.
            names = ["antoanso.sqlite3", "antoanso.sqlite3-wal", "antoanso.sqlite3-shm", "antoanso.daykey"]
            names.append("web-session.key")
            assert {name: oct(mode(data_dir / name)) for name in names} == {name: "0o600" for name in names}
            assert oct(mode(data_dir)) == "0o700"
            assert not [p.name for p in data_dir.iterdir() if mode(p) & 0o077], "nothing else is shared either"
        finally:
            process.terminate()
            _out, errors = process.communicate(timeout=30)
    assert "Traceback" not in errors


def test_backups_and_reports_are_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    SqliteStore(data_dir / "antoanso.sqlite3").close()
    result = bot(data_dir, "backup")
    assert result.returncode == 0, result.stderr
    [copy] = (data_dir / "backup").iterdir()
    assert oct(mode(data_dir / "backup")) == "0o700" and oct(mode(copy)) == "0o600"
    result = bot(data_dir, "report", "--format", "csv", "--out", str(tmp_path / "baocao" / "ky.csv"))
    assert result.returncode == 0, result.stderr
    assert oct(mode(tmp_path / "baocao" / "ky.csv")) == "0o600"
    assert oct(mode(tmp_path / "baocao")) == "0o700"


def test_the_store_itself_makes_owner_only_files_whatever_the_umask(tmp_path: Path) -> None:
    """Used from any process (a test, a script): the folder and file are private from creation."""
    previous = os.umask(SHELL_UMASK)
    try:
        SqliteStore(tmp_path / "new" / "antoanso.sqlite3").close()
    finally:
        os.umask(previous)
    assert oct(mode(tmp_path / "new")) == "0o700"
    assert oct(mode(tmp_path / "new" / "antoanso.sqlite3")) == "0o600"


def test_public_exports_stay_readable(tmp_path: Path) -> None:
    """`export site` is for a web server running as another user: no owner-only umask there."""
    site = str(tmp_path / "site")
    result = bot(tmp_path / "data", "export", "site", "--out", site, BOT_TELEGRAM_USERNAME="AnToanSoThuBot")
    assert result.returncode == 0, result.stderr
    pages = [p for p in (tmp_path / "site").rglob("*") if p.is_file()]
    assert pages and all(mode(p) & 0o004 for p in pages)
