"""The terminal chat (`python -m bot chat`): after a restart mid-quiz it offers to go on, as the
README promises; letters and numbers typed during a quiz answer it or ask again."""

from __future__ import annotations

import io
from pathlib import Path

from bot.app import Assistant
from bot.channels.console import USER_KEY, run_console
from bot.core.engine import Engine
from bot.core.types import Incoming
from bot.storage.sqlite import SqliteStore


def chat(engine: Engine, database: Path, lines: list[str]) -> str:
    """One run of the terminal chat on `database`, typing `lines`; everything it printed."""
    store = SqliteStore(database)
    out = io.StringIO()
    try:
        run_console(Assistant(engine, store), io.StringIO("".join(f"{line}\n" for line in lines)), out)
    finally:
        store.close()
    return out.getvalue()


def test_a_restart_mid_quiz_offers_to_go_on(engine: Engine, tmp_path: Path) -> None:
    database = tmp_path / "antoanso.sqlite3"
    store = SqliteStore(database)
    first = Assistant(engine, store)
    first.handle(Incoming(USER_KEY, text="/start"))
    first.handle(Incoming(USER_KEY, payload="s:ask_role:student"))
    first.handle(Incoming(USER_KEY, payload="s:ask_student_age:11-14"))
    first.handle(Incoming(USER_KEY, payload="q:tre-11-14"))
    assert "Câu 2/12" in first.handle(Incoming(USER_KEY, payload="a:0:0")).replies[-1].text
    store.close()

    printed = chat(engine, database, ["1", "b", "9", "thoát"])
    menu, after_one, after_b, after_nine = printed.split("> ")[:4]
    assert "[1] ▶️ Tiếp tục bài trắc nghiệm" in menu
    assert "Câu 2/12" in after_one
    assert "Câu 3/12" in after_b
    assert "chỉ có đáp án A–C" in after_nine and "Câu 3/12" in after_nine
