"""Small talk (flows/small_talk.yaml): everyday words get a short reply with the menu, never an FAQ;
only when the whole message is small talk; danger first; the kinds `ask --json` reports."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli import ask_one
from bot.content.loader import ContentInvalid, load_content
from bot.core.engine import Engine
from bot.core.types import Outcome

ROOT = Path(__file__).resolve().parents[2]

# Everyday words a newcomer typed, each of which used to get a confident, unrelated FAQ.
COMMAND = ["tạm biệt", "bye", "cảm ơn", "cam on", "thanks", "ok", "oke", "được", "không", "ko", "xin chào", "hi"]
COMMAND += ["alo", "👍", "cám ơn", "camonnn", "okkk", "cảm ơn!!!", "Cảm ơn ad nhiều nha 🙏", "ok, cảm ơn nhé", "👍🏻"]
FALLBACK = ["hả", "ko hieu", "không hiểu", "là sao", "em không hiểu gì", "a", "b", "x", "?", "...", "🐱"]


def assert_small_talk(outcome: Outcome, fragment: str) -> None:
    first = outcome.replies[0]
    assert fragment in first.text, first.text
    assert "Menu chính" in first.text and "Nguồn:" not in first.text
    assert outcome.answer_id is None and not outcome.suggested
    assert any("Mẹo an toàn" in button.label for button in first.all_buttons())


@pytest.mark.parametrize("text", COMMAND)
def test_everyday_words_get_a_friendly_reply_and_the_menu(engine: Engine, text: str) -> None:
    outcome = ask_one(engine, text)
    assert outcome.kind == "command"
    assert_small_talk(outcome, "")
    assert not outcome.actions, "small talk is not an unanswered question"


@pytest.mark.parametrize("text", FALLBACK)
def test_not_following_is_a_fallback_with_the_menu(engine: Engine, text: str) -> None:
    outcome = ask_one(engine, text)
    assert outcome.kind == "fallback"
    assert_small_talk(outcome, "chưa")


def test_each_group_has_its_own_reply(engine: Engine) -> None:
    assert_small_talk(ask_one(engine, "tạm biệt"), "Tạm biệt anh/chị")
    assert_small_talk(ask_one(engine, "thanks"), "Không có gì")
    assert_small_talk(ask_one(engine, "ok"), "Vâng ạ")
    assert_small_talk(ask_one(engine, "ko"), "không sao")
    assert_small_talk(ask_one(engine, "không sao đâu"), "Vâng ạ")
    assert_small_talk(ask_one(engine, "chào ad"), "Chào anh/chị")
    assert_small_talk(ask_one(engine, "ko hieu"), "nói chưa rõ")
    assert_small_talk(ask_one(engine, "b"), "chưa hiểu ý")
    assert_small_talk(ask_one(engine, "ok, tạm biệt nhé"), "Tạm biệt anh/chị")  # goodbye wins over ok


def test_small_talk_is_recorded_without_the_words(engine: Engine) -> None:
    outcome = ask_one(engine, "cảm ơn")
    assert [(e.kind, e.detail) for e in outcome.events] == [("small_talk", "thanks")]
    assert "fallback" not in {e.kind for e in ask_one(engine, "không hiểu").events}, "not an unanswered question"


def test_a_question_after_thanks_is_still_a_question(engine: Engine) -> None:
    outcome = ask_one(engine, "cảm ơn, con tôi bị bạn bè chửi trong nhóm zalo của lớp")
    assert outcome.kind == "faq" and outcome.topic == "bat_nat_mang"
    assert "Không có gì" not in outcome.replies[0].text


@pytest.mark.parametrize("text", ["tạm biệt, em muốn chết", "cảm ơn. em không muốn sống nữa", "ok em sẽ tự tử"])
def test_danger_comes_before_small_talk(engine: Engine, text: str) -> None:
    outcome = ask_one(engine, text)
    assert outcome.kind == "crisis"
    assert "111" in outcome.replies[0].text and "Tạm biệt anh/chị" not in outcome.replies[0].text


def test_words_typed_with_other_marks_are_other_words(engine: Engine) -> None:
    """Folded, "cô" would be "có" (yes): typed with its marks, it is not small talk."""
    assert "Vâng ạ" in ask_one(engine, "co").replies[0].text
    assert "Vâng ạ" not in ask_one(engine, "cô").replies[0].text


def test_long_messages_of_small_talk_words_are_not_small_talk(engine: Engine) -> None:
    assert not ask_one(engine, "cảm ơn " * 40).replies[0].text.startswith("Không có gì")


def test_small_talk_during_onboarding_keeps_the_way_back(engine: Engine) -> None:
    from bot.core.types import Incoming, Session

    session = Session(user_key="u")
    engine.handle(Incoming("u", text="/start"), session)
    assert session.awaiting == "ask_role"
    outcome = engine.handle(Incoming("u", text="ok"), session)
    labels = [b.label for b in outcome.replies[0].all_buttons()]
    assert labels[0] == "↩️ Quay lại câu hỏi vừa rồi" and "💡 Mẹo an toàn" in labels


# -- the file is validated like the rest of flows/ ------------------------------------------------
@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    knowledge, flows = tmp_path / "knowledge", tmp_path / "flows"
    shutil.copytree(ROOT / "tests" / "fixtures" / "mini", knowledge)
    shutil.copytree(ROOT / "flows", flows)
    return knowledge, flows


def errors_for(knowledge: Path, flows: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_content(knowledge, flows)
    return [str(error) for error in caught.value.errors]


def line_of(path: Path, fragment: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if fragment in line)


def test_a_word_with_nothing_to_match_names_its_line(dirs: tuple[Path, Path]) -> None:
    talk = dirs[1] / "small_talk.yaml"
    talk.write_text(talk.read_text(encoding="utf-8").replace('"tạm biệt", "bye",', '"!!!", "bye",', 1), "utf-8")
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{talk}:{line_of(talk, '!!!')}: goodbye.words: ")
    assert "không có chữ hay biểu tượng nào" in error and "'!!!'" in error


def test_a_missing_reply_and_an_unquoted_no_are_named(dirs: tuple[Path, Path]) -> None:
    talk = dirs[1] / "small_talk.yaml"
    text = talk.read_text(encoding="utf-8")
    text = text.replace("  reply: Dạ, không sao ạ 🙂\n", "", 1).replace('"nope"', "no", 1)
    talk.write_text(text, encoding="utf-8")
    errors = errors_for(*dirs)
    assert f"{talk}:{line_of(talk, 'decline:')}: decline.reply: thiếu trường bắt buộc" in errors
    assert any(e.startswith(f"{talk}:{line_of(talk, ', no,')}:") and "chuỗi văn bản" in e for e in errors), errors


def test_without_the_file_nothing_is_small_talk(dirs: tuple[Path, Path]) -> None:
    (dirs[1] / "small_talk.yaml").unlink()
    engine = Engine.build(load_content(*dirs), seed=1)
    assert "Vâng ạ" not in ask_one(engine, "ok").replies[0].text
