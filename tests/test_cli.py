"""The command line as a user runs it: a scripted terminal session, `ask`, and `check`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.subprocess_env import clean_env

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, cwd: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = clean_env()
    env.update(BOT_KNOWLEDGE_DIR=str(ROOT / "knowledge"), BOT_FLOWS_DIR=str(ROOT / "flows"))
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def test_terminal_session_end_to_end(tmp_path: Path) -> None:
    # start → role (1 = parent) → age (4 = skip) → residential group (11 = skip) → menu: quiz (2) →
    # the parents' quiz, to the end
    script = ["1", "4", "11", "2"]
    probe = tmp_path / "probe"
    probe.mkdir()
    result = run("chat", cwd=probe, stdin="\n".join(script) + "\n")
    listing = result.stdout.split("Chọn một bộ trắc nghiệm")[-1]
    number = next(line.split("]")[0].strip(" [") for line in listing.splitlines() if "Phụ huynh" in line)
    script += (
        [number]
        + ["1"] * 12
        + ["/baocao", "2", "1", "con toi bi ban be chui tren nhom lop", "e ko mún sống nữa", "thoát"]
    )
    result = run("chat", cwd=tmp_path, stdin="\n".join(script) + "\n")
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Trợ lý An Toàn Số" in out and "Menu chính" in out
    assert "Bạn đúng" in out and "/12 câu" in out
    assert "Làm ngay" in out and "Báo cáo ở đâu" in out
    crisis = out.split("e ko mún sống nữa")[-1] if "e ko mún" in out else out.split("Báo cáo ở đâu")[-1]
    assert "111" in crisis and "113" in crisis
    assert (tmp_path / "data" / "antoanso.sqlite3").exists()


def test_ask_json_contract(tmp_path: Path) -> None:
    queries = tmp_path / "q.txt"
    queries.write_text(
        "con tôi bị bắt nạt trên mạng\ngiá vàng hôm nay\ncó người dọa tung ảnh nóng của con tôi tối nay\n/menu\n",
        encoding="utf-8",
    )
    result = run("ask", "--batch", str(queries), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [set(row) >= {"q", "kind", "topic", "id", "score", "text"} for row in rows] == [True] * 4
    assert [row["kind"] for row in rows] == ["faq", "fallback", "crisis", "command"]
    assert rows[0]["topic"] == "bat_nat_mang"
    assert "111" in rows[2]["text"]
    assert not (tmp_path / "data").exists(), "ask must not write user data"


def test_check_passes_on_shipped_content(tmp_path: Path) -> None:
    result = run("check", "--report", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["faq"]["total"] >= 160 and report["unsourced"] == 0
    assert all(n >= 8 for n in report["faq"]["by_topic"].values())
    assert report["tips"]["total"] >= 90 and report["guides"] >= 6
    assert len(report["quizzes"]) >= 5 and all(q["questions"] >= 12 for q in report["quizzes"])
