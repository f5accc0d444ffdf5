"""PyYAML's English syntax messages in plain Vietnamese, for the ward officer who edits content.

A message says what is wrong, where (line and column), and what usually fixes it. Messages we do not
know keep PyYAML's words after a Vietnamese lead-in, so nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import yaml

# PyYAML's token names, as they appear in "expected …, but found '<scalar>'".
TOKENS = {
    "<scalar>": "một giá trị",
    "<block mapping start>": "một trường mới",
    "<block sequence start>": "một danh sách",
    "<block end>": "chỗ kết thúc khối",
    "<stream end>": "cuối tệp",
    "<document start>": "dòng '---'",
    "<document end>": "dòng '...'",
    "<alias>": "một bí danh '*'",
    "<anchor>": "một neo '&'",
    "<tag>": "một thẻ '!'",
    "-": "dấu '-' của mục danh sách",
    "?": "dấu '?'",
    ":": "dấu ':'",
    ",": "dấu ','",
    "[": "dấu '['",
    "]": "dấu ']'",
    "{": "dấu '{'",
    "}": "dấu '}'",
}

QUOTE_HINT = 'hãy đặt cả giá trị trong dấu ngoặc kép "…"'
TAB_HINT = "dòng này có phím Tab: YAML chỉ cho phép thụt lề bằng dấu cách, hãy thay Tab bằng dấu cách"


def _token(found: str) -> str:
    name = found.strip("'\"")
    return TOKENS.get(name, f"'{name}'")


def _char(found: str) -> str:
    """PyYAML's repr of one character ('\\t', '@', '\\x00') as the officer would recognise it."""
    name = found[1:-1] if len(found) >= 2 and found[0] == found[-1] == "'" else found
    return {"\\t": "phím Tab", "\\n": "xuống dòng", "\\x00": "ký tự rỗng (mã 0)", "\\0": "ký tự rỗng (mã 0)"}.get(
        name, f"'{name}'"
    )


def _cannot_start(found: str) -> str:
    if found in ("'\\t'",):
        return TAB_HINT
    return f"ký tự {_char(found)} không được đứng đầu một giá trị; {QUOTE_HINT}"


# (pattern on PyYAML's `problem`, Vietnamese from the match, mark to point at: "problem" or "context")
Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str], str]
RULES: list[Rule] = [
    (
        re.compile(r"mapping values are not allowed here"),
        lambda m: (
            "có dấu ':' ở chỗ không được phép (thường do một dòng có hai dấu ':', ví dụ 'a: b: c', "
            f"hoặc thụt lề sai); nếu dấu ':' là một phần của câu, {QUOTE_HINT}"
        ),
        "problem",
    ),
    (
        re.compile(r"could not find expected ':'"),
        lambda m: "thiếu dấu ':' sau tên trường (hoặc dòng này thụt lề sai, hoặc một dấu ngoặc kép ở trên chưa đóng)",
        "context",
    ),
    (re.compile(r"found character (.+) that cannot start any token"), lambda m: _cannot_start(m[1]), "problem"),
    (re.compile(r"found a tab character"), lambda m: TAB_HINT, "problem"),
    (
        re.compile(r"found unexpected end of stream"),
        lambda m: "dấu ngoặc kép mở ở đây chưa được đóng: tệp kết thúc trước dấu ngoặc kép đóng",
        "context",
    ),
    (
        re.compile(r"found unexpected document separator"),
        lambda m: "dấu ngoặc kép mở ở đây chưa được đóng: gặp dòng '---' hoặc '...' trước dấu ngoặc kép đóng",
        "context",
    ),
    (
        re.compile(r"found unknown escape character (.+)"),
        lambda m: (
            f"trong dấu ngoặc kép, dấu '\\' đứng trước {_char(m[1])} không có nghĩa; viết '\\\\' "
            "hoặc dùng dấu ngoặc đơn '…'"
        ),
        "problem",
    ),
    (
        re.compile(r"expected alphabetic or numeric character, but found (.+)"),
        lambda m: (
            "sau '*' hoặc '&' ở đầu giá trị phải là một tên; nếu giá trị là câu chữ bắt đầu bằng '*' hay '&', "
            + QUOTE_HINT
        ),
        "context",
    ),
    (
        re.compile(r"sequence entries are not allowed here"),
        lambda m: "dấu '-' của mục danh sách ở chỗ không được phép (thụt lề sai, hoặc thiếu xuống dòng sau dấu ':')",
        "problem",
    ),
    (
        re.compile(r"mapping keys are not allowed here"),
        lambda m: f"dấu '?' ở chỗ không được phép; {QUOTE_HINT}",
        "problem",
    ),
    (
        re.compile(r"invalid indentation or unclosed '\[' or '\{'"),
        lambda m: "thụt lề sai, hoặc một dấu '[' hay '{' chưa được đóng",
        "problem",
    ),
    (
        re.compile(r"expected <block end>, but found (.+)"),
        lambda m: (
            f"thụt lề không khớp: gặp {_token(m[1])} ở chỗ các dòng cùng cấp phải thẳng hàng "
            "(đếm lại số dấu cách đầu dòng so với dòng trên)"
        ),
        "problem",
    ),
    (
        re.compile(r"expected the node content, but found (.+)"),
        lambda m: f"thiếu giá trị ở đây (gặp {_token(m[1])})",
        "problem",
    ),
    (
        re.compile(r"expected ',' or '\]', but got (.+)"),
        lambda m: (
            f"danh sách trong dấu '[ ]' thiếu dấu ',' hoặc ']' (gặp {_token(m[1])}); nếu một mục có dấu ':' "
            f"hay ',' trong câu, {QUOTE_HINT}"
        ),
        "problem",
    ),
    (
        re.compile(r"expected ',' or '\}', but got (.+)"),
        lambda m: (
            f"bảng trong dấu '{{ }}' thiếu dấu ',' hoặc '}}' (gặp {_token(m[1])}); nếu một giá trị có dấu ':' "
            f"hay ',' trong câu, {QUOTE_HINT}"
        ),
        "problem",
    ),
    (
        re.compile(r"but found another document"),
        lambda m: "tệp chỉ được có một phần: xoá dòng '---' ở giữa tệp (hoặc hai tệp đã bị ghép vào nhau)",
        "problem",
    ),
    (
        re.compile(r"expected '<document start>', but found (.+)"),
        lambda m: f"sau dòng '---' hoặc '...' gặp {_token(m[1])} không đúng chỗ",
        "problem",
    ),
    (
        re.compile(r"expected a comment or a line break, but found (.+)"),
        lambda m: f"sau dấu '|' hoặc '>' phải xuống dòng ngay (gặp {_char(m[1])})",
        "problem",
    ),
    (
        re.compile(r"expected chomping or indentation indicators, but found (.+)|expected indentation indicator"),
        lambda m: "sau dấu '|' hoặc '>' chỉ được có '-', '+' hoặc một chữ số 1–9, rồi xuống dòng",
        "problem",
    ),
    (
        re.compile(r"found undefined tag handle|expected '!', but found|expected URI|while scanning a tag"),
        lambda m: (
            f"thẻ YAML bắt đầu bằng '!' không được dùng trong nội dung; nếu '!' là một phần của câu, {QUOTE_HINT}"
        ),
        "problem",
    ),
    (
        re.compile(r"expected ' ', but found (.+)"),
        lambda m: f"thiếu dấu cách sau ký hiệu (gặp {_char(m[1])}); {QUOTE_HINT}",
        "problem",
    ),
]

CONTEXTS = {
    "while scanning a simple key": "tên trường",
    "while scanning a quoted scalar": "dấu ngoặc kép mở",
    "while scanning a double-quoted scalar": "dấu ngoặc kép mở",
    "while scanning a block scalar": "khối văn bản '|' hoặc '>' bắt đầu",
    "while parsing a block mapping": "khối bắt đầu",
    "while parsing a block collection": "danh sách bắt đầu",
    "while parsing a flow sequence": "dấu '[' mở",
    "while parsing a flow mapping": "dấu '{' mở",
    "while scanning an alias": "bí danh '*'",
    "while scanning an anchor": "neo '&'",
}


def _rule(problem: str) -> tuple[str, str]:
    for pattern, message, prefer in RULES:
        match = pattern.search(problem)
        if match:
            return message(match), prefer
    return f"cấu trúc YAML không đúng (PyYAML: {problem})", "problem"


def translate(exc: yaml.MarkedYAMLError) -> tuple[int | None, str]:
    """(1-based line to report, Vietnamese message with the column) for one PyYAML syntax error."""
    problem = exc.problem or exc.context or ""
    problem_mark, context_mark = exc.problem_mark, exc.context_mark
    text, prefer = _rule(problem)
    mark = (context_mark if prefer == "context" else problem_mark) or problem_mark or context_mark
    if mark is None:
        return None, f"lỗi cú pháp YAML: {text}"
    where = f"lỗi cú pháp YAML ở cột {mark.column + 1}"
    other = problem_mark if mark is context_mark else context_mark
    context = CONTEXTS.get(exc.context or "")
    if other is not None and context and other.line != mark.line:
        if mark is problem_mark:
            text += f" ({context} ở dòng {other.line + 1}, cột {other.column + 1})"
        else:
            text += f" (trình đọc dừng ở dòng {other.line + 1}, cột {other.column + 1})"
    return mark.line + 1, f"{where}: {text}"
