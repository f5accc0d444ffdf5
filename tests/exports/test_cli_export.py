"""`python -m bot export …` as the ward officer runs it: progress, a summary of what went where,
and plain Vietnamese (never a traceback) when something is wrong."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from tests.exports.conftest import BOT
from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = clean_env()
    clean.update(BOT_KNOWLEDGE_DIR=str(ROOT / "knowledge"), BOT_FLOWS_DIR=str(ROOT / "flows"), **env)
    return subprocess.run(
        [sys.executable, "-m", "bot", "export", *args], capture_output=True, text=True, cwd=cwd, env=clean, timeout=120
    )


def test_export_prints_progress_and_where_everything_went(tmp_path: Path) -> None:
    result = run("led", "--out", "bang-led", "--topic", "tin_gia", cwd=tmp_path, BOT_TELEGRAM_USERNAME=f"@{BOT}")
    assert result.returncode == 0, result.stderr
    assert "[18/18] 1152x384/009-tro-ly.png" in result.stderr
    assert "✅ Đã xuất tấm chiếu cho bảng LED vào bang-led" in result.stdout
    assert "bang-led/1920x1080 — 9 tấm PNG 1920×1080" in result.stdout
    assert len(list((tmp_path / "bang-led" / "1152x384").glob("*.png"))) == 9


def _main(monkeypatch: pytest.MonkeyPatch, *args: str, **env: str) -> int:
    """The same entry point in-process (a subprocess each would cost a second)."""
    for name in [k for k in os.environ if k.startswith(("BOT_", "TELEGRAM_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("BOT_KNOWLEDGE_DIR", str(ROOT / "knowledge"))
    monkeypatch.setenv("BOT_FLOWS_DIR", str(ROOT / "flows"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return main(["export", *args])


def test_led_sizes_come_from_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert _main(monkeypatch, "led", "--out", "o", "--topic", "tin_gia", BOT_LED_SIZES="1280x720") == 0
    assert [p.name for p in (tmp_path / "o").iterdir() if p.is_dir()] == ["1280x720"]
    assert "1280×720" in capsys.readouterr().out


def test_mistakes_are_explained_in_vietnamese(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("x")
    cases = [
        (["radio", "--out", "o", "--topic", "thoi_tiet"], {}, "Không có chủ đề thoi_tiet"),
        (["radio", "--out", "o", "--audience", "ong_ba"], {}, "Đối tượng 'ong_ba' không hợp lệ"),
        (["radio", "--out", "o", "--date", "15/06/2026"], {}, "không đúng dạng YYYY-MM-DD"),
        (["poster", "--out", "o"], {}, "hãy đặt BOT_TELEGRAM_USERNAME"),
        (["site", "--out", "a-file"], {"BOT_TELEGRAM_USERNAME": BOT}, "đã là một tệp"),
        (["led", "--out", "o"], {"BOT_LED_SIZES": "to-lam"}, "BOT_LED_SIZES: 'to-lam' không đúng dạng"),
        (["poster", "--out", "o"], {"BOT_TELEGRAM_USERNAME": "t.me/x y"}, "không hợp lệ"),
    ]
    for args, env, message in cases:
        assert _main(monkeypatch, *args, **env) == 2, args
        assert message in capsys.readouterr().err, args
    result = run("radio", "--out", "o", "--topic", "thoi_tiet", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("❌ Không có chủ đề")
