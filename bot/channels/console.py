"""The terminal chat: buttons become numbered choices; typing a number presses that button."""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from bot.app import Assistant
from bot.core.types import Button, Incoming, Reply

USER_KEY = "console:local"
PROMPT = "> "
GOODBYE = "Tạm biệt! Hẹn gặp lại anh/chị."
HINT = "(Gõ số để chọn, gõ câu hỏi bất kỳ, hoặc 'thoát' để kết thúc.)"
EXIT_WORDS = {"thoát", "thoat", "exit", "quit", "/exit"}


def render(reply: Reply) -> tuple[str, list[Button]]:
    buttons = reply.all_buttons()
    lines = [reply.text]
    if reply.document is not None:
        size = len(reply.document.data) / 1024
        lines.append(f"📎 {reply.document.filename} ({size:.0f} KB) – tệp chỉ gửi được qua Telegram.")
    if buttons:
        lines.append("")
        lines.extend(f"  [{number}] {button.label}" for number, button in enumerate(buttons, 1))
    return "\n".join(lines), buttons


def run_console(assistant: Assistant, stdin: TextIO, stdout: TextIO, user_key: str = USER_KEY) -> None:
    write: Callable[[str], object] = stdout.write
    buttons: list[Button] = []

    def show(incoming: Incoming) -> None:
        nonlocal buttons
        outcome = assistant.handle(incoming)
        for reply in outcome.replies:
            text, reply_buttons = render(reply)
            write(text + "\n\n")
            if reply_buttons:
                buttons = reply_buttons
        stdout.flush()

    write(HINT + "\n\n")
    show(Incoming(user_key, text="/start"))
    while True:
        write(PROMPT)
        stdout.flush()
        line = stdin.readline()
        if not line:
            break
        text = line.strip()
        if text.lower() in EXIT_WORDS:
            break
        if text.isdigit() and 1 <= int(text) <= len(buttons):
            show(Incoming(user_key, payload=buttons[int(text) - 1].payload))
        elif text:
            show(Incoming(user_key, text=text))
    write("\n" + GOODBYE + "\n")
