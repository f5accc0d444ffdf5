"""Conversations as data: run a `tests/conversations/*.yaml` file against any channel driver.

A driver turns "send this text" / "press the button whose label contains this" into whatever its
channel needs and returns what the user would see: a list of (text, [button labels]) messages.
The core test and every channel's end-to-end test run the same files through this runner.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

CONVERSATIONS = Path(__file__).parent / "conversations"


@dataclass(frozen=True)
class Seen:
    text: str
    buttons: tuple[str, ...]


Send = Callable[[str], Awaitable[list[Seen]]]
Press = Callable[[str], Awaitable[list[Seen]]]


def conversation_files() -> list[Path]:
    return sorted(CONVERSATIONS.glob("*.yaml"))


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


async def run_conversation(path: Path, send: Send, press: Press) -> None:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    for number, step in enumerate(spec["steps"], 1):
        for _ in range(step.get("repeat", 1)):
            if "send" in step:
                seen = await send(str(step["send"]))
                action = f"send {step['send']!r}"
            else:
                seen = await press(_nfc(str(step["press"])))
                action = f"press {step['press']!r}"
        where = f"{path.name} step {number} ({action})"
        assert seen, f"{where}: no reply"
        joined = "\n".join(message.text for message in seen)
        for fragment in step.get("expect", []):
            assert _nfc(fragment).lower() in joined.lower(), f"{where}: expected {fragment!r} in:\n{joined}"
        for fragment in step.get("first", []):
            assert _nfc(fragment).lower() in seen[0].text.lower(), f"{where}: first reply lacks {fragment!r}"
        labels = [label for message in seen for label in message.buttons]
        for fragment in step.get("buttons", []):
            assert any(_nfc(fragment).lower() in label.lower() for label in labels), (
                f"{where}: no button like {fragment!r} in {labels}"
            )


def pick_button(buttons: list[tuple[str, str]], fragment: str) -> str:
    """The payload of the first button whose label contains `fragment` (exact label wins)."""
    for label, payload in buttons:
        if label == fragment:
            return payload
    for label, payload in buttons:
        if fragment.lower() in label.lower():
            return payload
    raise AssertionError(f"no button like {fragment!r} among {[label for label, _ in buttons]}")
