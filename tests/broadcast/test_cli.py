"""`python -m bot broadcast …` as the IT contractor runs it: clear Vietnamese errors, a preview,
queueing without a token, status and cancel, and sending by itself with a progress report."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from bot.broadcast.outbox import Outbox
from bot.storage.sqlite import SqliteStore
from tests.broadcast.helpers import TOKEN, seed, service
from tests.fake_bot_api import FakeBotApi
from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parents[2]


def _env(data: Path, **extra: str) -> dict[str, str]:
    env = clean_env()
    env.update(
        BOT_DATA_DIR=str(data),
        BOT_KNOWLEDGE_DIR=str(ROOT / "knowledge"),
        BOT_FLOWS_DIR=str(ROOT / "flows"),
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def cli(*args: str, data: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "broadcast", *args],
        capture_output=True,
        text=True,
        cwd=data.parent,
        env=_env(data, **extra),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def _seeded(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    store = SqliteStore(data / "antoanso.sqlite3")
    seed(store, 3, role="parent", age_band="6-10", group="to-05")
    seed(store, 2, first=800_000, role="teacher", age_band=None, kinds=("activities",))
    store.close()
    return data


def test_mistakes_get_clear_messages(tmp_path: Path) -> None:
    data = _seeded(tmp_path)
    result = cli("--text", "Họp", "--segment", "role=bo-me", data=data)
    assert result.returncode == 2 and "vai trò 'bo-me' không có" in result.stderr and "parent" in result.stderr
    result = cli("--text", "Họp", "--segment", "lop=5", data=data)
    assert result.returncode == 2 and "không biết khóa 'lop'" in result.stderr
    result = cli("--text", "Họp", "--at", "01/01/2020 08:00", data=data)
    assert result.returncode == 2 and "đã qua" in result.stderr
    result = cli("--file", "khong-co.txt", data=data)
    assert result.returncode == 2 and "Không đọc được tệp" in result.stderr
    result = cli("--text", "Họp", data=data)
    assert result.returncode == 2 and "--yes" in result.stderr, "no silent sending without confirmation"
    result = cli("--text", "Họp", "--segment", "group=9", "--yes", data=data)
    assert result.returncode == 1 and "Không có ai" in result.stdout and "Tổ 9" in result.stdout
    result = cli("--text", "Họp", "--segment", "group=Đồng Tâm", data=data)
    assert result.returncode == 2 and "'Đồng Tâm' không có" in result.stderr and "Tổ 10" in result.stderr
    assert "Traceback" not in result.stderr


def test_queue_without_token_then_status_and_cancel(tmp_path: Path) -> None:
    data = _seeded(tmp_path)
    message = tmp_path / "tin.txt"
    message.write_text("Lịch sinh hoạt hè\nTổ 5: sáng thứ Bảy, 8:00 <nhà văn hoá>", encoding="utf-8")
    result = cli(
        "--file", str(message), "--segment", "group=5,role=parent", "--at", "31/12/2099 08:00", "--yes", data=data
    )
    assert result.returncode == 0, result.stderr
    assert "<nhà văn hoá>" in result.stdout and "3 người" in result.stdout and "08:00 31/12/2099" in result.stdout
    assert "Chưa có TELEGRAM_BOT_TOKEN" in result.stdout and "#1" in result.stdout
    status = cli("status", data=data)
    assert "#1" in status.stdout and "đã hẹn giờ" in status.stdout and "Phụ huynh · Tổ 5" in status.stdout
    assert "0/3 đã nhận" in status.stdout
    cancelled = cli("cancel", "1", data=data)
    assert cancelled.returncode == 0 and "3 tin chưa gửi" in cancelled.stdout
    again = cli("cancel", "1", data=data)
    assert again.returncode == 2 and "không còn" in again.stderr


async def test_sends_by_itself_with_progress_and_report(tmp_path: Path) -> None:
    data = _seeded(tmp_path)
    fake = await FakeBotApi(TOKEN, rate_limit=30).start()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "broadcast",
            "--text",
            "Mời các cháu tham gia lớp bơi an toàn * miễn phí * _tuần sau_",
            "--kind",
            "activity",
            "--yes",
            cwd=data.parent,
            env=_env(data, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=fake.base),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await fake.stop()
    assert process.returncode == 0, err.decode()
    text = out.decode()
    assert "2 người" in text and "100%" in text and "Đã nhận: 2" in text
    assert sorted(fake.delivered) == [800_000, 800_001]
    assert fake.outbox(800_000)[0]["text"].startswith("Mời các cháu tham gia lớp bơi an toàn * miễn phí * _tuần sau_")
    store = SqliteStore(data / "antoanso.sqlite3")
    assert Outbox(store).get(1).status == "done"
    store.close()


async def test_when_the_assistant_is_sending_the_command_only_follows(tmp_path: Path) -> None:
    data = _seeded(tmp_path)
    fake = await FakeBotApi(TOKEN).start()
    running = service(data / "antoanso.sqlite3", fake, rate=20)
    sending = asyncio.create_task(running.run())
    try:
        while not running.db.outbox.sender_alive(time.time()):
            await asyncio.sleep(0.02)
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "broadcast",
            "--text",
            "Gửi bởi trợ lý đang chạy",
            "--segment",
            "role=parent",
            "--yes",
            cwd=data.parent,
            env=_env(data),  # no token here: this process could not send by itself
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        running.request_stop()
        await sending
        await running.close()
        await fake.stop()
    assert process.returncode == 0, err.decode()
    assert "Trợ lý đang chạy và sẽ gửi" in out.decode() and "Đã nhận: 3" in out.decode()
    assert sorted(fake.delivered) == [700_000, 700_001, 700_002]
