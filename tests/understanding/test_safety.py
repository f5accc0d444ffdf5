"""Each danger family, typed with and without diacritics and in teencode; and general questions
about a risk that must stay questions."""

from __future__ import annotations

import pytest

from bot.understanding.normalize import Lexicon
from bot.understanding.safety import detect_danger

LEXICON = Lexicon.build({"ko": ["không"], "mún": ["muốn", "mụn"], "e": ["em"], "r": ["rồi"]}, [], [])

CRISES = {
    "self_harm": [
        "Con tôi nói nó không muốn sống nữa",
        "con toi noi no khong muon song nua",
        "e ko mún sống nữa",
        "bạn em đang định nhảy cầu",
        "con trai toi dang tu cat tay trong phong",
        "Con bé uống cả vỉ thuốc ngủ rồi",
    ],
    "sextortion": [
        "Có người dọa tung ảnh nóng của con tôi nếu không gửi tiền",
        "co nguoi doa tung anh nong cua con toi neu ko gui tien",
        "nó bắt em gọi video cởi đồ nếu không sẽ gửi ảnh cho cả lớp",
    ],
    "meeting": [
        "Một người lạ hẹn gặp con tôi tối nay ở quán net",
        "nguoi la hen gap con toi toi nay o quan net",
        "có ông 30 tuổi hẹn đón con gái tôi",
    ],
    "violence": [
        "Có đứa dọa đánh con tôi ở cổng trường",
        "co dua doa danh con toi o cong truong",
        "nhom hoc sinh mang dao den truong",
    ],
    "missing": [
        "Con gái tôi mất tích từ tối qua",
        "con gai toi mat tich tu toi qua",
        "thằng bé chưa về nhà, gọi không liên lạc được",
    ],
}


@pytest.mark.parametrize(("family", "text"), [(family, text) for family, texts in CRISES.items() for text in texts])
def test_danger_is_detected(family: str, text: str) -> None:
    assert detect_danger(text, LEXICON) is not None, text


@pytest.mark.parametrize(
    "text",
    [
        "Làm sao nói chuyện với con về tự tử?",
        "lam sao noi chuyen voi con ve tu tu",
        "Tống tiền tình dục là gì?",
        "Dấu hiệu nhận biết trẻ bị xâm hại",
        "Con nghiện game thì phải làm sao",
        "Cách cài đặt Family Link",
    ],
)
def test_general_questions_are_not_crises(text: str) -> None:
    assert detect_danger(text, LEXICON) is None, text


def test_time_word_turns_a_risk_question_into_a_crisis() -> None:
    assert detect_danger("người lạ hẹn gặp con bây giờ", LEXICON) is not None


@pytest.mark.parametrize("text", ["chán sốnggg", "em mu\u00adốn chết", "em muốn\u200b chết", "e ko mún sốngggg nữa"])
def test_disguised_danger_is_still_detected(text: str) -> None:
    assert detect_danger(text, LEXICON) is not None, text


def test_danger_typed_as_telex_keystrokes_is_detected() -> None:
    lexicon = Lexicon.build({}, [], ["chán sống quá", "em muốn chết"])
    assert detect_danger("chans soongs quas", lexicon) is not None
    assert detect_danger("em muoons cheets", lexicon) is not None


def test_danger_patterns_look_only_a_clause_ahead() -> None:
    """Words of a pattern far apart (a different story) do not add up to danger."""
    filler = " ".join(["hôm qua lớp em đi tham quan bảo tàng rất vui"] * 3)
    assert detect_danger(f"có bạn dọa {filler} tung ảnh", LEXICON) is None
    assert detect_danger("có bạn dọa sẽ tung ảnh của em", LEXICON) is not None
