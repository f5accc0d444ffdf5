"""Content that cannot hurt the running assistant (issue 21, items 6–7): hostile or broken YAML is
refused with a Vietnamese `file:line` error, never a traceback, a hang or gigabytes of memory."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from bot.content.loader import load_content
from bot.content.yaml_lines import MAX_DEPTH, MAX_FILE_BYTES
from tests.content.test_validation import dirs, errors_for, replace  # noqa: F401 - `dirs` is a fixture
from tests.subprocess_env import clean_env

FAQ_START = "- id: them-mot\n  topic: lua_dao\n"


def alias_bomb(levels: int, width: int = 9) -> str:
    """The "billion laughs": each level lists the one above `width` times, so `levels` lines expand
    to width**levels items."""
    lines = ['a0: &a0 "ha"']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def only_error(knowledge: Path, flows: Path) -> str:
    errors = errors_for(knowledge, flows)
    assert len(errors) == 1, errors
    return errors[0]


def test_small_alias_bomb_is_refused_at_its_first_anchor(dirs: tuple[Path, Path]) -> None:  # noqa: F811
    bad = dirs[0] / "faq" / "bomb.yaml"
    bad.write_text("# nội dung thử\n" + alias_bomb(5), encoding="utf-8")  # 59,049 copies before the fix
    error = only_error(*dirs)
    assert error.startswith(f"{bad}:2: ") and "không dùng neo YAML ('&a0')" in error


def _limit_memory() -> None:
    one_gb = 1024**3
    resource.setrlimit(resource.RLIMIT_AS, (one_gb, one_gb))


def test_check_refuses_a_billion_laughs_within_bounded_memory(dirs: tuple[Path, Path], tmp_path: Path) -> None:  # noqa: F811
    """Before the fix `check` grew to 5.8 GB on this file; under a 1 GB cap it must answer at once."""
    bad = dirs[0] / "faq" / "bomb.yaml"
    bad.write_text(alias_bomb(9), encoding="utf-8")  # 9**9 = 387 million strings once expanded
    env = clean_env()
    env.update(BOT_KNOWLEDGE_DIR=str(dirs[0]), BOT_FLOWS_DIR=str(dirs[1]), BOT_DATA_DIR=str(tmp_path / "data"))
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        preexec_fn=_limit_memory,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert f"{bad}:1: không dùng neo YAML" in result.stderr
    assert "Traceback" not in result.stderr and "MemoryError" not in result.stderr


# (what an officer or an attacker might write, the line the error must name, words it must say)
HOSTILE = {
    "recursive alias": ("a: &x\n  - *x\n", 1, "không dùng neo YAML ('&x')"),
    "alias without anchor": (FAQ_START + "  answer: *quan trọng* đọc kỹ\n", 3, "không dùng bí danh YAML ('*quan')"),
    "list as a key": ("? [a, b]\n: 1\n", 1, "tên trường phải là chữ"),
    "flow list as a key": ("- id: x\n  [a]: 1\n", 2, "tên trường phải là chữ"),
    "mapping as a key": ("- {a: 1}: x\n", 1, "tên trường phải là chữ"),
    "python tag": (FAQ_START + "  answer: !!python/object/apply:os.system [ls]\n", 3, "'!!python/object/apply"),
    "unknown tag": (FAQ_START + "  answer: !foo x\n", 3, "thẻ YAML '!foo' không được dùng"),
    "merge key": ("- id: x\n  <<: {topic: lua_dao}\n", 2, "khóa gộp '<<'"),
    "deep flow nesting": ("a: " + "[" * 5000 + "]" * 5000 + "\n", 1, f"lồng quá sâu (hơn {MAX_DEPTH} cấp"),
    "deep block nesting": ("".join("  " * i + f"k{i}:\n" for i in range(300)), MAX_DEPTH + 1, "lồng quá sâu"),
    "tab indentation": ("- id: x\n\ttopic: lua_dao\n", 2, "phím Tab"),
    "NUL byte": ("- id: x\n  topic: lua\x00dao\n", 2, "ký tự điều khiển không được phép (mã U+0000) ở cột 13"),
    "impossible date": ("- id: x\n  when: 2026-13-45\n", 2, "không đọc được giá trị '2026-13-45' (ngày tháng"),
    "bad explicit int": ("- id: x\n  when: !!int abc\n", 2, "không đọc được giá trị 'abc'"),
    "BOM in the middle": ("- id: x\n  topic: lua_dao\n\ufeff- id: y\n", 3, "BOM (U+FEFF) giữa tệp"),
    "two documents": ("- id: x\n---\n- id: y\n", 2, "chỉ được có một phần"),
}


@pytest.mark.parametrize("text, line, words", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_yaml_is_a_vietnamese_error_with_its_line(
    dirs: tuple[Path, Path],  # noqa: F811
    text: str,
    line: int,
    words: str,
) -> None:
    bad = dirs[0] / "faq" / "zz_bad.yaml"
    bad.write_text(text, encoding="utf-8")
    error = only_error(*dirs)
    assert error.startswith(f"{bad}:{line}: ") and words in error, error


def test_file_in_another_encoding_names_the_line_and_byte(dirs: tuple[Path, Path]) -> None:  # noqa: F811
    bad = dirs[0] / "faq" / "zz_bad.yaml"
    bad.write_bytes("- id: x\n  topic: lua_dao\n  question: Cà phê\n".encode("cp1258"))  # an old Windows editor
    error = only_error(*dirs)
    assert error.startswith(f"{bad}:3: tệp không phải UTF-8: byte 0x") and "mã hóa UTF-8" in error


def test_utf16_file_is_named_as_such(dirs: tuple[Path, Path]) -> None:  # noqa: F811
    bad = dirs[0] / "faq" / "zz_bad.yaml"
    bad.write_bytes("- id: x\n".encode("utf-16"))
    assert only_error(*dirs) == f"{bad}:1: tệp được lưu bằng mã UTF-16: hãy lưu lại với mã hóa UTF-8"


def test_leading_bom_as_notepad_writes_it_is_accepted(dirs: tuple[Path, Path]) -> None:  # noqa: F811
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    faq.write_bytes(b"\xef\xbb\xbf" + faq.read_bytes())
    content = load_content(*dirs)
    assert content.knowledge.faqs[0].id == "bat-nat-nhom-chat"


def test_oversized_file_is_refused_before_parsing(dirs: tuple[Path, Path]) -> None:  # noqa: F811
    big = dirs[0] / "faq" / "zz_big.yaml"
    comment = "# " + "x" * 1000 + "\n"
    count = MAX_FILE_BYTES // len(comment) + 10
    big.write_text(comment * count, encoding="utf-8")  # valid YAML (only comments), just too big
    limit_line = MAX_FILE_BYTES // len(comment) + 1
    error = only_error(*dirs)
    assert error.startswith(f"{big}:{limit_line}: tệp quá lớn (hơn 2 MB")


# PyYAML's own syntax messages, in Vietnamese, with the column kept.
SYNTAX = {
    "two colons": ("  audience: parent", "  audience: parent: oops", 3, "cột 19: có dấu ':' ở chỗ không được phép"),
    "missing colon": ("  audience: parent", "  audience parent", 3, "cột 3: thiếu dấu ':' sau tên trường"),
    "tab": ("  audience: parent", "\taudience: parent", 3, "cột 1: dòng này có phím Tab"),
    "unclosed quote": ("  audience: parent", '  audience: "parent', 3, "cột 13: dấu ngoặc kép mở ở đây chưa được đóng"),
    "bad indentation": ("  audience: parent", "    audience: parent", 3, "thụt lề"),
    "unclosed bracket": ("related: [lua-dao-otp]", "related: [lua-dao-otp", 14, "dấu '[' mở ở dòng 13"),
    "at sign": ("  audience: parent", "  audience: @parent", 3, "cột 13: ký tự '@' không được đứng đầu một giá trị"),
}
ENGLISH = ("mapping values", "could not find", "found character", "while scanning", "expected", "found unexpected")


@pytest.mark.parametrize("old, new, line, words", SYNTAX.values(), ids=SYNTAX.keys())
def test_yaml_syntax_messages_are_vietnamese(
    dirs: tuple[Path, Path],  # noqa: F811
    old: str,
    new: str,
    line: int,
    words: str,
) -> None:
    faq = dirs[0] / "faq" / "bat_nat_mang.yaml"
    replace(faq, old, new)
    error = only_error(*dirs)
    assert error.startswith(f"{faq}:{line}: lỗi cú pháp YAML") and words in error, error
    assert not any(english in error for english in ENGLISH), error
