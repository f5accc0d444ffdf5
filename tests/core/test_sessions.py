"""Sessions survive a restart (SQLite file), expire after the idle time, and can be forgotten."""

from __future__ import annotations

from pathlib import Path

from bot.app import Assistant
from bot.core.engine import Engine
from bot.core.types import Incoming
from bot.storage.sqlite import SqliteStore


def press(assistant: Assistant, label: str, outcome) -> object:
    buttons = [b for reply in outcome.replies for b in reply.all_buttons()]
    payload = next(b.payload for b in buttons if label in b.label)
    return assistant.handle(Incoming("u1", payload=payload))


def start_quiz(assistant: Assistant):
    outcome = assistant.handle(Incoming("u1", text="/trachnghiem"))
    outcome = press(assistant, "Phụ huynh", outcome)
    return press(assistant, "A", outcome)


def test_restart_resumes_mid_quiz(engine: Engine, tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    first = Assistant(engine, SqliteStore(tmp_path / "db.sqlite3"), clock=lambda: now[0])
    outcome = start_quiz(first)
    assert "Câu 2/" in outcome.replies[-1].text
    first.store.close()
    second = Assistant(engine, SqliteStore(tmp_path / "db.sqlite3"), clock=lambda: now[0] + 60)
    outcome = press(second, "B", outcome)
    assert "Câu 3/" in outcome.replies[-1].text


def test_idle_session_expires(engine: Engine, tmp_path: Path) -> None:
    now = [1_800_000_000.0]
    assistant = Assistant(engine, SqliteStore(tmp_path / "db.sqlite3"), idle_seconds=3600, clock=lambda: now[0])
    outcome = start_quiz(assistant)
    now[0] += 3601
    outcome = press(assistant, "A", outcome)
    assert "đã kết thúc hoặc đã hết hạn" in outcome.replies[0].text


def test_stale_quiz_button_does_not_count_twice(assistant: Assistant) -> None:
    outcome = assistant.handle(Incoming("u1", text="/trachnghiem"))
    outcome = press(assistant, "Phụ huynh", outcome)
    question_one = outcome
    press(assistant, "A", question_one)
    again = press(assistant, "A", question_one)
    assert "đã trả lời rồi" in again.replies[0].text
    assert "Câu 2/" in again.replies[-1].text


def test_statistics_hold_no_user_key(assistant: Assistant) -> None:
    assistant.handle(Incoming("secret-user-42", text="/start"))
    assistant.handle(Incoming("secret-user-42", text="con tôi nghiện game"))
    rows = assistant.store.counters()
    assert rows and not any("secret-user-42" in str(value) for row in rows for value in row.values())
    assert not any("nghiện" in str(value) for row in rows for value in row.values())


def test_forget_user(engine: Engine, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    assistant = Assistant(engine, store, clock=lambda: 1_800_000_000.0)
    start_quiz(assistant)
    store.forget_user("u1")
    assert store.db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0


def test_forget_command_deletes_the_session(engine: Engine, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "db.sqlite3")
    assistant = Assistant(engine, store, clock=lambda: 1_800_000_000.0)
    start_quiz(assistant)
    outcome = assistant.handle(Incoming("u1", text="/xoadulieu"))
    press(assistant, "Có, xóa hết", outcome)
    assert store.db.execute("SELECT COUNT(*) FROM sessions").fetchone()[0] == 0
    assert any(row["kind"] == "data_deleted" for row in store.counters())
