"""Every text of knowledge/ and flows/ is checked for phone numbers, not only FAQ answers, tips and
guides (issue 21 item 8): a wrong number in the emergency card reaches a parent in a crisis. Sources a
reviewer cannot open and the ward's unfilled contact are warnings (issue 14): `check` still passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.content.loader import load_content
from bot.content.text_checks import weak_source_parts
from tests.content.test_validation import dirs, errors_for, line_of, replace, run_cli  # noqa: F401 - `dirs` is a fixture

REPORT_KEYS = {"faq", "tips", "quizzes", "guides", "contacts", "activities", "unsourced"}
WARD = """
- id: phuong-tre-em
  name: Cán bộ phụ trách trẻ em của phường
  phone: null
  placeholder: true
  description: "[Phường điền số điện thoại trước khi triển khai]"
  source: Luật Trẻ em 102/2016/QH13, Điều 54
"""
FIRE = """
- id: cuu-hoa-114
  name: Cứu hỏa 114
  phone: "114"
  description: Cháy, nổ, cứu nạn
  source: Thông tư 22/2014/TT-BTTTT, Điều 13
"""


def add_to_emergency_card(flows: Path, line: str) -> tuple[Path, int]:
    """Insert one line at the top of the emergency card's text; return the file and that line."""
    report = flows / "report.yaml"
    lines = report.read_text(encoding="utf-8").splitlines(keepends=True)
    node = lines.index("  emergency:\n")
    text = next(i for i in range(node, len(lines)) if lines[i].strip() == "text: |")
    indent = len(lines[text + 1]) - len(lines[text + 1].lstrip())
    lines.insert(text + 1, " " * indent + line + "\n")
    report.write_text("".join(lines), encoding="utf-8")
    return report, text + 2


@pytest.mark.parametrize("number", ["1111", "0912345678", "1800 1567"])
def test_wrong_number_in_the_emergency_card_fails_with_its_line(dirs: tuple[Path, Path], number: str) -> None:  # noqa: F811
    report, line = add_to_emergency_card(dirs[1], f"Gọi ngay {number} nếu cần.")
    errors = errors_for(*dirs)
    assert len(errors) == 1 and errors[0].startswith(f"{report}:{line}: nodes.emergency.text: "), errors
    assert f"'{number}'" in errors[0]


def test_fire_number_is_a_contact_but_not_for_the_crisis_card(dirs: tuple[Path, Path]) -> None:  # noqa: F811
    contacts = dirs[0] / "contacts.yaml"
    contacts.write_text(contacts.read_text(encoding="utf-8") + FIRE, encoding="utf-8")
    menu = dirs[1] / "menu.yaml"
    replace(menu, "text: 🎨 Hoạt động vui chơi cho trẻ em", "text: 🎨 Hoạt động vui chơi cho trẻ em (cháy nổ gọi 114)")
    load_content(*dirs)  # 114 is in contacts.yaml: fine in an ordinary text
    report, line = add_to_emergency_card(dirs[1], "Có cháy: gọi 114.")
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{report}:{line}: nodes.emergency.text: thẻ khẩn cấp (nút 'emergency') có số '114'")
    assert "111, 113, 115" in error


def test_number_in_a_button_label(dirs: tuple[Path, Path]) -> None:  # noqa: F811
    menu = dirs[1] / "menu.yaml"
    replace(menu, 'label: "☎️ Liên hệ"', 'label: "☎️ Liên hệ 0987 654 321"')
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{menu}:{line_of(menu, '0987 654 321')}: nodes.main_menu.buttons.")
    assert "'0987 654 321' không nằm trong contacts.yaml" in error


@pytest.mark.parametrize(
    "file, old, new, place",
    [
        (
            "quizzes/thu.yaml",
            "explanation: OTP là chìa khóa tài khoản.",
            "explanation: Gọi 1900 6060 nhé.",
            "questions.0",
        ),
        ("quizzes/thu.yaml", "{text: Trả đũa}", "{text: Gọi 1111}", "questions.1.options.1.text"),
        ("contacts.yaml", "description: Miễn phí, 24/7", "description: Miễn phí, 24/7, hoặc 024 3747 1234", "0.desc"),
        ("guides.yaml", "immediate: [Ở bên con]", "immediate: [Ở bên con, gọi 0243 999 888]", "0.immediate.1"),
        ("guides.yaml", "source: Luật Trẻ em 2016, Điều 54", "source: Điều 54; hotline 1900 1567", "0.source"),
        ("tips/all.yaml", None, None, "text"),
    ],
)
def test_numbers_are_checked_in_every_kind_of_text(
    dirs: tuple[Path, Path],  # noqa: F811
    file: str,
    old: str | None,
    new: str | None,
    place: str,
) -> None:
    path = dirs[0] / file
    if old is None:  # a tip: put the number in its first text
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        index = next(i for i, line in enumerate(lines) if line.lstrip().startswith("text:"))
        lines[index] = lines[index].rstrip("\n") + " Gọi 1133.\n"
        path.write_text("".join(lines), encoding="utf-8")
    else:
        replace(path, old, new)
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{path}:") and place in error and "không nằm trong contacts.yaml" in error, error


def test_command_help_is_checked_too(dirs: tuple[Path, Path]) -> None:  # noqa: F811
    commands = dirs[1] / "commands.yaml"
    replace(commands, "  menu: Menu chính\n", "  menu: Menu chính (hotline 1900 1234)\n")
    (error,) = errors_for(*dirs)
    assert error.startswith(f"{commands}:{line_of(commands, 'hotline 1900')}: command_help.menu:")


def test_what_people_type_and_what_is_not_a_phone_pass(dirs: tuple[Path, Path]) -> None:  # noqa: F811
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(faq, "    - nguoi la xin ma otp", "    - so 0912345678 goi xin ma otp")  # a user's words
    quiz = dirs[0] / "quizzes" / "thu.yaml"
    replace(quiz, "{text: 123456}", '{text: "12345678"}')  # a weak password, not a phone number
    replace(faq, "2. Báo ngân hàng của anh/chị.", "2. Từ năm 2025, gọi 111 hoặc 113; Điều 54, 180 phút.")
    load_content(*dirs)


def test_sources_a_reviewer_cannot_open_are_named_but_do_not_fail() -> None:
    assert weak_source_parts("Luật Trẻ em 102/2016/QH13, Điều 54") == []
    assert weak_source_parts("Tổng đài 111 (tongdai111.vn)") == []
    assert weak_source_parts("Quyết định 88/QĐ-BTTTT (21/01/2025)") == []
    assert weak_source_parts("Công văn UBND phường (6/2026)") == []
    assert weak_source_parts("WHO, Preventing suicide (2014)") == []
    assert weak_source_parts("https://example.org/a") == []
    assert weak_source_parts("Trợ lý An Toàn Số – UBND phường Trung Thành (lệnh /riengtu)") == []
    assert weak_source_parts("Trợ lý An Toàn Số – UBND phường Trung Thành") != []
    assert weak_source_parts("Cấp cứu 115") == ["Cấp cứu 115"], "a bare number is not a source"
    assert weak_source_parts("Nghị định 147/2024/NĐ-CP") == ["Nghị định 147/2024/NĐ-CP"]
    assert weak_source_parts("Luật Trẻ em 2016, Điều 54; Bộ Công an, khuyến cáo phòng chống lừa đảo") == [
        "Bộ Công an, khuyến cáo phòng chống lừa đảo"
    ]
    # ';' inside brackets does not split a reference
    assert weak_source_parts("facebook.com/help (báo cáo; chặn)") == []


def test_check_warns_with_file_and_line_and_keeps_exit_code_and_json_keys(
    dirs: tuple[Path, Path],  # noqa: F811
    tmp_path: Path,
) -> None:
    knowledge, flows = dirs
    before = run_cli("check", "--report", "--json", knowledge=knowledge, flows=flows, cwd=tmp_path)
    assert before.returncode == 0, before.stderr
    warned_before = json.loads(before.stdout)["warnings"]

    contacts = knowledge / "contacts.yaml"
    contacts.write_text(contacts.read_text(encoding="utf-8") + WARD, encoding="utf-8")
    tip = knowledge / "tips" / "all.yaml"
    lines = tip.read_text(encoding="utf-8").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.lstrip().startswith("source:"))
    lines[index] = lines[index].split("source:")[0] + "source: Bộ Công an, khuyến cáo phòng chống lừa đảo\n"
    tip.write_text("".join(lines), encoding="utf-8")

    result = run_cli("check", knowledge=knowledge, flows=flows, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    ward_line = line_of(contacts, "id: phuong-tre-em")
    assert f"{contacts}:{ward_line}: liên hệ 'phuong-tre-em' của phường vẫn là chỗ trống chờ điền" in result.stderr
    assert f"{tip}:{index + 1}: " in result.stderr and "'Bộ Công an, khuyến cáo phòng chống lừa đảo'" in result.stderr
    assert "Traceback" not in result.stderr and "✅ Nội dung hợp lệ" in result.stdout

    report = run_cli("check", "--report", "--json", knowledge=knowledge, flows=flows, cwd=tmp_path)
    assert report.returncode == 0
    data = json.loads(report.stdout)
    assert set(data) == {*REPORT_KEYS, "warnings"}, "the report's keys stay; warnings are added"
    added = [warning for warning in data["warnings"] if warning not in warned_before]
    assert len(added) == 2 and added[0].startswith(f"{contacts}:{ward_line}: ")
