"""Broken content must be refused with the exact file and line, one test per kind of mistake."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content.loader import ContentInvalid, load_content

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "mini"


@pytest.fixture
def dirs(tmp_path: Path) -> tuple[Path, Path]:
    knowledge, flows = tmp_path / "knowledge", tmp_path / "flows"
    shutil.copytree(MINI, knowledge)
    shutil.copytree(ROOT / "flows", flows)
    return knowledge, flows


def errors_for(knowledge: Path, flows: Path) -> list[str]:
    with pytest.raises(ContentInvalid) as caught:
        load_content(knowledge, flows)
    return [str(error) for error in caught.value.errors]


def replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture lacks {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, fragment: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


def test_fixture_is_valid(dirs: tuple[Path, Path]) -> None:
    content = load_content(*dirs)
    assert [faq.id for faq in content.knowledge.faqs] == ["bat-nat-nhom-chat", "lua-dao-otp"]


def test_yaml_syntax_error_names_line(dirs: tuple[Path, Path]) -> None:
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(faq, "  audience: parent", "  audience: parent: oops")
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{faq}:3: lỗi cú pháp YAML ở cột 19: có dấu ':' ở chỗ không được phép")


def test_unknown_field_names_its_line(dirs: tuple[Path, Path]) -> None:
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(faq, "  audience: parent", "  audience: parent\n  anwser: typo")
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{faq}:4: 0.anwser:") and "không được phép" in error


def test_missing_source(dirs: tuple[Path, Path]) -> None:
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(faq, "  source: Tổng đài 111 (tongdai111.vn)", "")
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{faq}:15: 1.source: thiếu trường bắt buộc")


def test_unknown_topic(dirs: tuple[Path, Path]) -> None:
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(faq, "topic: lua_dao", "topic: lua_dao_moi")
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{faq}:16:") and "lua_dao_moi" in error


def test_quiz_needs_exactly_one_right_answer(dirs: tuple[Path, Path]) -> None:
    quiz = dirs[0] / "quizzes" / "thu.yaml"
    replace(quiz, "{text: Có}", "{text: Có, correct: true}")
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{quiz}:{line_of(quiz, '- id: q1')}:") and "đúng 1 đáp án" in error


def test_related_must_exist(dirs: tuple[Path, Path]) -> None:
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(faq, "related: [lua-dao-otp]", "related: [lua-dao-otpp]")
    assert errors_for(*dirs) == [f"{faq}:1: FAQ 'bat-nat-nhom-chat' liên kết tới FAQ không có: 'lua-dao-otpp'"]


def test_duplicate_id_points_at_both(dirs: tuple[Path, Path]) -> None:
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(faq, "- id: lua-dao-otp", "- id: bat-nat-nhom-chat")
    replace(faq, "related: [lua-dao-otp]", "related: []")
    assert errors_for(*dirs) == [f"{faq}:15: id 'bat-nat-nhom-chat' trùng với {faq}:1"]


def test_same_variant_in_two_faqs(dirs: tuple[Path, Path]) -> None:
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(faq, "    - nguoi la xin ma otp", "    - Con bị bạn bè nói xấu trong nhóm chat lớp thì bố mẹ nên làm gì")
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{faq}:15:") and "trùng với FAQ 'bat-nat-nhom-chat'" in error


def test_phone_number_outside_contacts(dirs: tuple[Path, Path]) -> None:
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(faq, "2. Báo ngân hàng của anh/chị.", "2. Gọi tổng đài 1900 1234 của ngân hàng.")
    (error,) = errors_for(*dirs)
    # The line of the number itself inside the answer, not only the entry's first line.
    assert error.startswith(f"{faq}:{line_of(faq, '1900 1234')}: 1.answer: số điện thoại '1900 1234'")


def test_numbers_that_are_not_phones_pass(dirs: tuple[Path, Path]) -> None:
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(
        faq,
        "2. Báo ngân hàng của anh/chị.",
        "2. Trẻ dưới 18 tuổi chơi tối đa 180 phút mỗi ngày (Nghị định 147/2024/NĐ-CP), gọi 111.",
    )
    load_content(*dirs)


def test_flow_goes_to_unknown_node(dirs: tuple[Path, Path]) -> None:
    menu = dirs[1] / "menu.yaml"
    replace(menu, "next: quizzes}]", "next: quizes}]")
    errors = errors_for(*dirs)
    assert f"{menu}:{line_of(menu, 'next: quizes')}: nút 'main_menu' đi tới nút không có: 'quizes'" in errors


def test_unreachable_node(dirs: tuple[Path, Path]) -> None:
    menu = dirs[1] / "menu.yaml"
    menu.write_text(
        menu.read_text(encoding="utf-8") + "  orphan:\n    type: message\n    text: Không ai tới đây\n",
        encoding="utf-8",
    )
    assert errors_for(*dirs) == [
        f"{menu}:{line_of(menu, 'orphan:')}: nút 'orphan' không thể tới được từ lệnh hay menu nào"
    ]


def test_unknown_node_type(dirs: tuple[Path, Path]) -> None:
    menu = dirs[1] / "menu.yaml"
    replace(menu, "type: tip_topics", "type: tip_topic")
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{menu}:{line_of(menu, 'type: tip_topic')}: nodes.tips.type: giá trị không hợp lệ")


def test_over_long_text(dirs: tuple[Path, Path]) -> None:
    menu = dirs[1] / "menu.yaml"
    replace(menu, "text: 🎨 Hoạt động vui chơi cho trẻ em", "text: " + "a" * 4100)
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{menu}:{line_of(menu, 'aaaa')}:") and "4096" in error


def test_guide_node_needs_a_known_guide(dirs: tuple[Path, Path]) -> None:
    report = dirs[1] / "report.yaml"
    report.write_text(
        report.read_text(encoding="utf-8").replace("next: report_types}]\n", "next: bully}]\n", 1)
        + "  bully:\n    type: guide\n    guide: bat-natt\n",
        encoding="utf-8",
    )
    assert errors_for(*dirs) == [
        f"{report}:{line_of(report, 'guide: bat-natt')}: nút 'bully' dùng hướng dẫn không có: 'bat-natt'"
    ]


def run_cli(*args: str, knowledge: Path, flows: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        "BOT_KNOWLEDGE_DIR": str(knowledge),
        "BOT_FLOWS_DIR": str(flows),
        "BOT_DATA_DIR": str(cwd / "data"),
        "PATH": "",
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60, input=""
    )


def test_check_command_fails_with_file_and_line(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(faq, "related: [lua-dao-otp]", "related: [khong-co]")
    result = run_cli("check", knowledge=dirs[0], flows=dirs[1], cwd=tmp_path)
    assert result.returncode == 1
    assert "Nội dung chưa hợp lệ" in result.stderr and f"{faq}:1:" in result.stderr


def test_assistant_refuses_to_start_on_invalid_content(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    replace(dirs[1] / "menu.yaml", "next: quizzes}]", "next: quizes}]")
    result = run_cli("chat", knowledge=dirs[0], flows=dirs[1], cwd=tmp_path)
    assert result.returncode == 1 and "quizes" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists()
