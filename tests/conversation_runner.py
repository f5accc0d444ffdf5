"""Conversations as data: run a `tests/conversations/*.yaml` file against any channel driver.

A driver turns "send this text" / "press the button whose label contains this" into whatever its
channel needs and returns what the user would see: a list of (text, [button labels]) messages.
The core test and every channel's end-to-end test run the same files through this runner.

Each step may check `expect` (fragments somewhere in the replies), `absent` (fragments that must
not be there: "Nguồn:" marks an FAQ answer), `first` (in the first reply) and `buttons`.

A file may say where it holds with `channels: [telegram]` or `[web]` (default: both). Nearly
everything is the same everywhere; what differs is what a channel can do afterwards: only a
Telegram chat can receive reminders, so subscribing is a Telegram conversation and the web chat
has its own (a polite "use Telegram"). The core test runs every file, as a user of its channel.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

CONVERSATIONS = Path(__file__).parent / "conversations"
CHANNELS = ("telegram", "web")


@dataclass(frozen=True)
class Seen:
    text: str
    buttons: tuple[str, ...]


Send = Callable[[str], Awaitable[list[Seen]]]
Press = Callable[[str], Awaitable[list[Seen]]]


def channels_of(path: Path) -> tuple[str, ...]:
    """The channels a conversation file holds for (`channels:`, default all)."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    chosen = tuple(spec.get("channels") or CHANNELS)
    unknown = set(chosen) - set(CHANNELS)
    assert not unknown, f"{path.name}: unknown channels {sorted(unknown)}"
    return chosen


def conversation_files(channel: str | None = None) -> list[Path]:
    """Every conversation file, or those that hold for `channel` ("telegram", "web")."""
    return [path for path in sorted(CONVERSATIONS.glob("*.yaml")) if channel is None or channel in channels_of(path)]


def user_key_for(path: Path) -> str:
    """The user key the core test plays a file as: a Telegram user, unless it is a web-only file."""
    return "tg:424242" if "telegram" in channels_of(path) else "web:conversation-test"


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
        for fragment in step.get("absent", []):
            assert _nfc(fragment).lower() not in joined.lower(), f"{where}: {fragment!r} should not be in:\n{joined}"
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
