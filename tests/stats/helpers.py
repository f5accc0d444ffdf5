"""A scripted conversation that touches every kind of data the assistant keeps."""

from __future__ import annotations

from datetime import datetime

from bot.app import VIETNAM, Assistant
from bot.core.types import Incoming, Outcome

USER_ID = "987654321"
USER = f"tg:{USER_ID}"
TYPED = [
    "con toi nghien game qua phai lam sao",
    "ông Tư mua xe đạp màu xanh ở chợ Ba Hàng, gọi 0912 345 678 hoặc email tu@gmail.com",
    "con bé nhà tôi bị đứa bạn tên Quỳnh Anh chửi trên nhóm lớp",
    "e ko mún sống nữa",
]


def at(text: str) -> float:
    """A Vietnam local time as the clock's seconds."""
    return datetime.fromisoformat(text).replace(tzinfo=VIETNAM).timestamp()


def press(assistant: Assistant, outcome: Outcome, fragment: str, user: str = USER) -> Outcome:
    buttons = [b for reply in outcome.replies for b in reply.all_buttons()]
    payload = next(b.payload for b in buttons if fragment in b.label)
    return assistant.handle(Incoming(user, payload=payload))


def converse(assistant: Assistant, user: str = USER) -> None:
    """Onboarding with a group, a tip, part of a quiz, a reporting guide, typed questions."""
    outcome = assistant.handle(Incoming(user, text="/start"))
    outcome = press(assistant, outcome, "Phụ huynh", user)
    outcome = press(assistant, outcome, "11–14", user)
    outcome = press(assistant, outcome, "Tổ 3", user)
    outcome = assistant.handle(Incoming(user, text="/meo"))
    press(assistant, outcome, "Lừa đảo", user)
    outcome = assistant.handle(Incoming(user, text="/trachnghiem"))
    outcome = press(assistant, outcome, "Phụ huynh", user)
    press(assistant, outcome, "A", user)
    outcome = assistant.handle(Incoming(user, text="/baocao"))
    outcome = press(assistant, outcome, "Không", user)
    press(assistant, outcome, "bắt nạt", user)
    for text in TYPED:
        assistant.handle(Incoming(user, text=text))
