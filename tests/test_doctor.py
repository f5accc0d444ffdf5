"""`python -m bot doctor`: every failure it reports, each with a Vietnamese way to fix it, against
a real SQLite file, the fake Bot API server over HTTP, and a closed port."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot import doctor
from bot.config import Config
from bot.doctor import Finding
from bot.storage.sqlite import SqliteStore
from tests.fake_bot_api import BOT_USER, FakeBotApi
from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:AAH-sEcReT_tOkEn-for-doctor_0123456789"


def make_config(tmp_path: Path, **extra: str) -> Config:
    env = {
        "BOT_DATA_DIR": str(tmp_path / "data"),
        "BOT_KNOWLEDGE_DIR": str(ROOT / "knowledge"),
        "BOT_FLOWS_DIR": str(ROOT / "flows"),
        **extra,
    }
    return Config.load(env=env, dotenv=None)


def of(findings: list[Finding], check: str, status: str | None = None) -> list[Finding]:
    return [f for f in findings if f.check == check and (status is None or f.status == status)]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


class FakeWithWebhookErrors(FakeBotApi):
    """The fake Bot API, reporting a delivery error for its webhook as Telegram does."""

    webhook_error: dict[str, Any] = {}

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {**(await super()._api_getWebhookInfo(params)), **self.webhook_error}


@pytest.fixture
async def fake() -> AsyncIterator[FakeWithWebhookErrors]:
    api = await FakeWithWebhookErrors(TOKEN).start()
    yield api
    await api.stop()


# --- settings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "says"),
    [
        ("BOT_WEB_PORT", "tám nghìn", "BOT_WEB_PORT"),
        ("BOT_WEBHOOK_PORT", "70000", "BOT_WEBHOOK_PORT"),
        ("BOT_FLOOD_PER_MINUTE", "0", "BOT_FLOOD_PER_MINUTE"),
        ("BOT_SESSION_IDLE_HOURS", "một ngày", "BOT_SESSION_IDLE_HOURS"),
        ("BOT_FRAMEWORK", "telebot", "BOT_FRAMEWORK"),
        ("BOT_WEB_CHAT", "yes", "BOT_WEB_CHAT"),
        ("TELEGRAM_BOT_TOKEN", "123456789 AAH", "không đúng dạng"),
        ("TELEGRAM_API_BASE", "api.telegram.org", "TELEGRAM_API_BASE"),
        ("BOT_WEBHOOK_URL", "http://bot.example.vn/tg", "HTTPS"),
        ("BOT_WEBHOOK_SECRET", "mật khẩu có dấu", "BOT_WEBHOOK_SECRET"),
        ("BOT_ADMIN_IDS", "anh Nam, 12345", "BOT_ADMIN_IDS"),
        ("BOT_STATS_MIN_COUNT", "1", "BOT_STATS_MIN_COUNT"),
        ("BOT_TRUSTED_PROXIES", "127.0.0.1, caddy.local", "caddy.local"),
    ],
)
def test_each_bad_setting_is_named_with_a_fix(tmp_path: Path, name: str, value: str, says: str) -> None:
    findings = doctor.check_settings(make_config(tmp_path, **{name: value}))
    failed = of(findings, "settings", "fail")
    assert len(failed) == 1 and says in failed[0].message, findings
    assert failed[0].fix, "every failure says how to fix it"


def test_good_settings_say_how_the_assistant_will_run(tmp_path: Path) -> None:
    [finding] = doctor.check_settings(make_config(tmp_path))
    assert finding.status == "ok" and "web chat tại http://127.0.0.1:8080/" in finding.message
    [finding] = doctor.check_settings(make_config(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN))
    assert "Telegram (long polling)" in finding.message


def test_webhook_without_secret_is_a_warning(tmp_path: Path) -> None:
    findings = doctor.check_settings(make_config(tmp_path, BOT_WEBHOOK_URL="https://bot.example.vn/tg"))
    [warning] = of(findings, "settings", "warn")
    assert "BOT_WEBHOOK_SECRET" in warning.message and "token_urlsafe" in warning.fix


# --- content ----------------------------------------------------------------------------------


def test_invalid_content_points_at_file_and_line(tmp_path: Path) -> None:
    flows = tmp_path / "flows"
    flows.mkdir()
    for source in (ROOT / "flows").glob("*.yaml"):
        (flows / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    menu = flows / "menu.yaml"
    menu.write_text(menu.read_text(encoding="utf-8").replace("next: contacts", "next: contactz", 1), encoding="utf-8")
    [finding] = doctor.check_content(make_config(tmp_path, BOT_FLOWS_DIR=str(flows)))
    assert finding.status == "fail" and "python -m bot check" in finding.fix
    assert any("menu.yaml:" in line and "contactz" in line for line in finding.details), finding.details


def test_missing_content_folder_fails(tmp_path: Path) -> None:
    [finding] = doctor.check_content(make_config(tmp_path, BOT_KNOWLEDGE_DIR=str(tmp_path / "khong-co")))
    assert finding.status == "fail" and any("khong-co" in line for line in finding.details)


def test_shipped_placeholders_are_warned_about(tmp_path: Path) -> None:
    findings = doctor.check_content(make_config(tmp_path))
    assert of(findings, "content", "ok")
    warnings = " ".join(f.message for f in of(findings, "content", "warn"))
    assert "phuong-tre-em" in warnings and "[Ví dụ]" in warnings


# --- database ---------------------------------------------------------------------------------


def test_new_data_folder_is_probed_without_creating_the_database(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    [finding] = doctor.check_database(config)
    assert finding.status == "ok" and "sẽ được tạo" in finding.message
    assert list(config.data_dir.iterdir()) == [], "doctor leaves nothing behind"


def test_existing_database_is_checked_and_left_unchanged(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    SqliteStore(config.database).close()
    tables = sqlite3.connect(config.database).execute("SELECT name FROM sqlite_master").fetchall()
    [finding] = doctor.check_database(config)
    assert finding.status == "ok" and "nguyên vẹn" in finding.message
    assert sqlite3.connect(config.database).execute("SELECT name FROM sqlite_master").fetchall() == tables


def test_data_folder_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "data"
    blocker.write_text("a file where the folder should be")
    [finding] = doctor.check_database(make_config(tmp_path))
    assert finding.status == "fail" and "Không tạo được thư mục dữ liệu" in finding.message
    assert "BOT_DATA_DIR" in finding.fix


def test_corrupt_database(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    config.data_dir.mkdir()
    config.database.write_bytes(b"this is not a database, it is a photo" * 200)
    [finding] = doctor.check_database(config)
    assert finding.status == "fail" and "bị hỏng" in finding.message and "sao lưu" in finding.fix


def test_database_locked_by_another_process(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    SqliteStore(config.database).close()
    holder = sqlite3.connect(config.database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        [finding] = doctor.check_database(config)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert finding.status == "warn" and "đang bận" in finding.message
    assert time.monotonic() - started < 10


# --- Telegram ---------------------------------------------------------------------------------


async def test_no_token_skips_telegram(tmp_path: Path) -> None:
    [finding] = await doctor.check_telegram(make_config(tmp_path))
    assert finding.status == "info" and "web chat" in finding.message


async def test_good_token_and_long_polling(tmp_path: Path, fake: FakeWithWebhookErrors) -> None:
    config = make_config(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=fake.base)
    findings = await doctor.check_telegram(config)
    assert [(f.check, f.status) for f in findings] == [("telegram", "ok"), ("webhook", "ok")]
    assert f"@{BOT_USER['username']}" in findings[0].message
    assert [method for method, _ in fake.calls] == ["getMe", "getWebhookInfo"], "doctor changes nothing"


async def test_wrong_token(tmp_path: Path, fake: FakeWithWebhookErrors) -> None:
    wrong = "987654321:AAWrongWrongWrongWrongWrongWrong_xyz"
    config = make_config(tmp_path, TELEGRAM_BOT_TOKEN=wrong, TELEGRAM_API_BASE=fake.base)
    [finding] = await doctor.check_telegram(config)
    assert finding.status == "fail" and "từ chối mã bot" in finding.message and "@BotFather" in finding.fix
    assert wrong not in finding.message + finding.fix


async def test_offline(tmp_path: Path) -> None:
    config = make_config(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=f"http://127.0.0.1:{closed_port()}")
    [finding] = await doctor.check_telegram(config, timeout=5)
    assert finding.status == "fail" and "Không kết nối được tới máy chủ Telegram (127.0.0.1)" in finding.message
    assert "tường lửa" in finding.fix and TOKEN not in finding.message + finding.fix


async def test_telegram_error_other_than_the_token(tmp_path: Path, fake: FakeWithWebhookErrors) -> None:
    fake.fail_next("getMe", 500, "Internal Server Error: try later")
    config = make_config(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=fake.base)
    [finding] = await doctor.check_telegram(config)
    assert finding.status == "fail" and "Internal Server Error" in finding.message


async def test_webhook_left_over_while_polling(tmp_path: Path, fake: FakeWithWebhookErrors) -> None:
    fake.webhook = {"url": "https://old.example.vn/hook"}
    config = make_config(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=fake.base)
    [warning] = of(await doctor.check_telegram(config), "webhook", "warn")
    assert "https://old.example.vn/hook" in warning.message and "long polling" in warning.message


async def test_webhook_not_registered_yet(tmp_path: Path, fake: FakeWithWebhookErrors) -> None:
    url = "https://bot.example.vn/tg/webhook"
    config = make_config(
        tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=fake.base, BOT_WEBHOOK_URL=url, BOT_WEBHOOK_SECRET="s3"
    )
    [note] = of(await doctor.check_telegram(config), "webhook")
    assert note.status == "info" and "tự đăng ký" in note.message
    fake.webhook = {"url": url}
    [ok] = of(await doctor.check_telegram(config), "webhook")
    assert ok.status == "ok"


async def test_webhook_delivery_errors(tmp_path: Path, fake: FakeWithWebhookErrors) -> None:
    url = "https://bot.example.vn/tg/webhook"
    fake.webhook = {"url": url}
    fake.webhook_error = {
        "last_error_date": 1_780_000_000,
        "last_error_message": "Wrong response from the webhook: 502 Bad Gateway",
        "pending_update_count": 250,
    }
    config = make_config(
        tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_API_BASE=fake.base, BOT_WEBHOOK_URL=url, BOT_WEBHOOK_SECRET="s3"
    )
    findings = of(await doctor.check_telegram(config), "webhook")
    [failure] = [f for f in findings if f.status == "fail"]
    assert "502 Bad Gateway" in failure.message and "lúc " in failure.message
    assert "127.0.0.1:8443" in failure.fix and "TLS" in failure.fix
    assert any(f.status == "warn" and "250 tin" in f.message for f in findings)


# --- the command ------------------------------------------------------------------------------


def run_doctor(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = clean_env()
    clean.update({"BOT_KNOWLEDGE_DIR": str(ROOT / "knowledge"), "BOT_FLOWS_DIR": str(ROOT / "flows"), **env})
    return subprocess.run(
        [sys.executable, "-m", "bot", "doctor"], cwd=tmp_path, env=clean, capture_output=True, text=True, timeout=120
    )


def test_doctor_command_when_all_is_well(tmp_path: Path) -> None:
    result = run_doctor(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "✅ Cài đặt hợp lệ" in result.stdout and "Chạy được" in result.stdout
    assert not (tmp_path / "data" / "antoanso.sqlite3").exists()


def test_doctor_command_offline_with_broken_content(tmp_path: Path) -> None:
    result = run_doctor(
        tmp_path,
        TELEGRAM_BOT_TOKEN=TOKEN,
        TELEGRAM_API_BASE=f"http://127.0.0.1:{closed_port()}",
        BOT_FLOWS_DIR=str(tmp_path / "khong-co-flows"),
    )
    assert result.returncode == 1
    out = result.stdout
    assert "❌ Nội dung chưa hợp lệ" in out and "❌ Không kết nối được tới máy chủ Telegram" in out
    assert out.count("→ Cách sửa:") >= 2 and "Có 2 lỗi cần sửa" in out
    assert "Traceback" not in out + result.stderr and TOKEN not in out + result.stderr
