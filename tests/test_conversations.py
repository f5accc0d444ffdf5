"""Every conversation data file, run against the core through an in-memory assistant (as a user
of the channel the file is for: see `tests/conversation_runner.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.app import Assistant
from bot.core.types import Incoming
from tests.conversation_runner import Seen, conversation_files, pick_button, run_conversation, user_key_for


@pytest.mark.parametrize("path", conversation_files(), ids=lambda p: p.stem)
async def test_conversation(path: Path, assistant: Assistant) -> None:
    last_buttons: list[tuple[str, str]] = []
    user = user_key_for(path)

    def show(incoming: Incoming) -> list[Seen]:
        nonlocal last_buttons
        outcome = assistant.handle(incoming)
        seen = []
        for reply in outcome.replies:
            buttons = [(b.label, b.payload) for b in reply.all_buttons()]
            if buttons:
                last_buttons = buttons
            seen.append(Seen(reply.text, tuple(label for label, _ in buttons)))
        return seen

    async def send(text: str) -> list[Seen]:
        return show(Incoming(user, text=text))

    async def press(fragment: str) -> list[Seen]:
        return show(Incoming(user, payload=pick_button(last_buttons, fragment)))

    await run_conversation(path, send, press)
