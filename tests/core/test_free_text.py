"""Free text in the order that matters: danger first, then menu words, then the FAQ or fallback."""

from __future__ import annotations

from bot.cli import ask_one
from bot.core.engine import Engine


def test_danger_wins_over_a_question_in_the_same_message(engine: Engine) -> None:
    outcome = ask_one(engine, "con toi bi bat nat, no vua noi khong muon song nua, cach chan tai khoan?")
    assert outcome.kind == "crisis"
    first = outcome.replies[0].text
    assert "111" in first and "113" in first and "115" in first


def test_menu_word_wrapped_in_fillers(engine: Engine) -> None:
    assert ask_one(engine, "menuu ở đâu vậy").kind == "command"
    assert "Menu chính" in ask_one(engine, "xin chào ad").replies[0].text


def test_menu_word_inside_a_real_question_is_a_question(engine: Engine) -> None:
    assert ask_one(engine, "mẹo chống lừa đảo nạp thẻ game cho con").kind == "faq"


def test_out_of_scope_says_where_to_ask(engine: Engine) -> None:
    outcome = ask_one(engine, "làm lại căn cước bị mất thì cần giấy tờ gì")
    assert outcome.kind == "fallback"
    assert "một cửa" in outcome.replies[0].text


def test_gibberish_and_digits_fall_back(engine: Engine) -> None:
    assert ask_one(engine, "qwrtzp").kind == "fallback"
    assert ask_one(engine, "2").kind == "fallback"


def test_answer_carries_its_source_and_menu(engine: Engine) -> None:
    outcome = ask_one(engine, "con tôi bị bạn bè chửi trong nhóm zalo của lớp")
    assert outcome.kind == "faq" and outcome.topic == "bat_nat_mang"
    reply = outcome.replies[0]
    assert "Nguồn:" in reply.text
    assert any("Menu" in button.label for button in reply.all_buttons())


def test_unsure_match_offers_buttons_not_an_answer(engine: Engine) -> None:
    outcome = ask_one(engine, "con hay xem điện thoại")
    if outcome.suggested:
        labels = [b.payload for b in outcome.replies[0].all_buttons()]
        assert any(payload.startswith("f:") for payload in labels)
