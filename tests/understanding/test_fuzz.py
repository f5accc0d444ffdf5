"""Hostile input through the whole assistant: never an exception, never silence. The full 10,000
message run is `python -m bot bench fuzz`; here a slice of the same generator runs on every test
run, plus the inputs the fuzz found."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import TROUBLE, Assistant
from bot.bench_fuzz import fuzz
from bot.core.engine import Engine
from bot.core.types import Incoming
from bot.storage.sqlite import SqliteStore
from bot.understanding.keystrokes import decode_keystrokes


def test_a_non_word_that_trips_the_telex_decoder_is_just_a_word() -> None:
    """bogo raised IndexError on "qubw": the message "menu qubw" crashed the menu-word check."""
    assert decode_keystrokes("qubw") is None
    assert decode_keystrokes("tooi") == "tôi"


def test_a_message_with_such_a_word_gets_an_answer(assistant: Assistant) -> None:
    outcome = assistant.handle(Incoming("fuzz:1", text="menu qubw"))
    assert outcome.replies and all(reply.text != TROUBLE for reply in outcome.replies)


def test_when_the_danger_check_itself_fails_the_apology_still_goes_out(
    assistant: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_text: str) -> None:
        raise RuntimeError("a bug in detection")

    monkeypatch.setattr(assistant.engine, "danger", broken)
    outcome = assistant.handle(Incoming("fuzz:2", text="em muốn chết"))
    assert [reply.text for reply in outcome.replies] == [TROUBLE]
    assert "111" in TROUBLE


def test_a_slice_of_the_fuzz_finds_no_crash_and_no_silence(engine: Engine, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "fuzz.sqlite3")
    try:
        report = fuzz(Assistant(engine, store), 1500, seed=7)
    finally:
        store.close()
    assert report.messages == 1500
    assert (report.crashes, report.silent) == (0, 0), report.examples
