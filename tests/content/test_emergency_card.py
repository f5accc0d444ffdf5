"""The emergency card as a person in danger sees it (issue 14): who to call first when a life is in
danger now, a line for the child who reads it, no means of self-harm named, each number once, and
no placeholder where a real contact should be."""

from __future__ import annotations

import dataclasses
import random
import re

import pytest

from bot.cli import ask_one
from bot.content.loader import Content
from bot.core import nodes, ui
from bot.core.engine import Engine
from bot.core.types import Session

# Danger messages of the kinds the card answers: a student about self, a parent about a child,
# a blackmail threat. Each must be answered with the card first.
DANGER_MESSAGES = [
    "em muốn chết",
    "con tôi nói nó không muốn sống nữa",
    "có người dọa tung ảnh nóng của em nếu em không gửi tiền",
]

# Words that name a means or method of self-harm (WHO / Samaritans safe-messaging: never name one).
MEANS_WORDS = [
    "uống thuốc",
    "thuốc ngủ",
    "thuốc chuột",
    "thuốc trừ sâu",
    "quá liều",
    "nhảy lầu",
    "nhảy cầu",
    "nhảy sông",
    "dao",
    "lưỡi lam",
    "treo cổ",
    "dây thừng",
    "rạch tay",
    "cắt tay",
    "cắt cổ tay",
    "khí than",
]


def card(engine: Engine, message: str) -> str:
    outcome = ask_one(engine, message)
    assert outcome.kind == "crisis", f"{message!r} did not bring the emergency card"
    return outcome.replies[0].text


@pytest.fixture(scope="module", params=DANGER_MESSAGES)
def text(request: pytest.FixtureRequest, engine: Engine) -> str:
    return card(engine, request.param)


def test_police_and_ambulance_come_before_111(text: str) -> None:
    assert "113" in text and "115" in text and "111" in text
    assert text.index("113") < text.index("111") and text.index("115") < text.index("111")
    first_step = next(line for line in text.splitlines() if line.startswith("1."))
    assert "113" in first_step, f"step 1 should be the police for danger now: {first_step!r}"


def test_a_line_speaks_to_the_student_and_adults_keep_theirs(text: str) -> None:
    assert "Nếu bạn là học sinh" in text
    assert "Anh/chị" in text


def test_no_means_of_self_harm_is_named(text: str) -> None:
    lowered = text.lower()
    named = [word for word in MEANS_WORDS if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered)]
    assert not named, f"the card names a means of self-harm: {named}"
    assert "tự làm hại mình" in lowered


def test_each_contact_line_gives_its_number_once(text: str) -> None:
    lines = [line for line in text.splitlines() if line.startswith("☎️")]
    assert lines, "the card lists the numbers to call"
    for line in lines:
        numbers = re.findall(r"(?<!\d)\d{3}(?!\d)", line)
        assert len(numbers) == len(set(numbers)), f"a number printed twice: {line!r}"


def test_no_placeholder_ward_contact_in_the_card(text: str, content: Content) -> None:
    ward = next(c for c in content.knowledge.contacts if c.placeholder)
    assert ui.PLACEHOLDER_PHONE not in text
    assert ward.name not in text
    assert "[" not in text  # the "[Phường điền số …]" reminder to the ward


def test_the_same_card_from_the_report_button_and_after_a_fault(engine: Engine, content: Content) -> None:
    """The 🚨 button of /baocao and the card sent when storage fails show the same text."""
    from_message = card(engine, DANGER_MESSAGES[0])
    ctx = nodes.Context(content, Session(user_key="t"), random.Random(1))
    from_button = nodes.render(ctx, content.flows.commands.emergency)[0].text
    assert from_button == from_message == engine.emergency("t").replies[0].text


def test_a_filled_in_ward_contact_appears_in_the_card(content: Content) -> None:
    """Once the ward has written its real number and cleared the placeholder, the card shows it."""
    contacts = [
        c.model_copy(update={"phone": "0000 000", "placeholder": False}) if c.placeholder else c
        for c in content.knowledge.contacts
    ]
    filled = dataclasses.replace(content, knowledge=dataclasses.replace(content.knowledge, contacts=contacts))
    ctx = nodes.Context(filled, Session(user_key="t"), random.Random(1))
    text = nodes.render(ctx, filled.flows.commands.emergency)[0].text
    ward = next(c for c in contacts if c.phone == "0000 000")
    assert f"☎️ 0000 000 – {ward.name}" in text


def test_the_contacts_menu_still_reminds_the_ward_to_fill_in(content: Content) -> None:
    """Outside a crisis, the contacts list keeps the unfilled line, so staff see what is missing."""
    assert ui.PLACEHOLDER_PHONE in nodes.contact_lines(content)
    assert "111 – Tổng đài" not in nodes.contact_lines(content)
