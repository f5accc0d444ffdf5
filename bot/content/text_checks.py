"""Checks that read every text of `knowledge/` and `flows/`: phone numbers (an error: a wrong number
in a crisis card sends a parent nowhere) and sources a reviewer cannot open (a warning: the content
team fixes them over time, the assistant keeps running).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.content.yaml_lines import ContentError, TextAt

if TYPE_CHECKING:
    from bot.content.loader import Content, Knowledge

# The national numbers the assistant may always print (MISSION.md): child protection, police, ambulance.
CRISIS_NUMBERS = {"111", "113", "115"}

# Texts people type, not texts the assistant says: a number there is a user's words, not advice.
INPUT_KEYS = {"variants", "phrases", "menu_words", "exact_words", "filler_words"}
# A contact's own `phone` is where the allowed numbers come from (sources are checked: they are shown too).
SKIP_KEYS = {"phone"}

# What reads as a phone number: a Vietnamese number by its shape (0…, +84…, 1800/1900…, spaces, dots
# or dashes allowed), any number of 3 or more digits right after a word or sign that introduces one
# ("gọi 1111", "tổng đài 18001567", "☎️ 222"), and any run of 3–5 digits starting with 11: a mistyped
# hotline (1111, 1133) must never reach a crisis card. A bare "12345678" (a weak password in a quiz)
# is not a phone number.
VN_PHONE_RE = re.compile(r"(?<![\w/.,+-])(?:\+84|0|1[89]00)(?:[ .-]?\d){5,10}(?![\w/,-])")
INTRODUCED_RE = re.compile(
    r"(?:gọi|số|hotline|tổng đài|đường dây|nhắn tin|liên hệ|sđt|zalo|điện thoại|quay số|bấm|tel:|☎️?|📞)"
    r"\D{0,12}?(?<![\d/.,])(\+?\d(?:[ .]?\d){2,13})(?![\d/]|[.,]\d)",
    re.IGNORECASE,
)
HOTLINE_LIKE_RE = re.compile(r"(?<![\w/.,-])(11\d{1,3})(?![\w/,-]|[.,]\d)")
PHONE_PATTERNS = (VN_PHONE_RE, INTRODUCED_RE, HOTLINE_LIKE_RE)

# A source a reviewer can open (the accepted forms are listed in knowledge/AUTHORING.md) names an
# article ("Điều 36"), a date ("21/01/2025", "6/2026", "(2014)") or a web address ("tongdai111.vn",
# "https://…"). A document number such as "56/2017/NĐ-CP" is not a date.
ARTICLE_RE = re.compile(r"\bĐiều\s+\d+", re.IGNORECASE)
DATE_RE = re.compile(
    r"(?<![\d/])(?:\d{1,2}/)?\d{1,2}/(?:19|20)\d\d(?![\d/])"
    r"|\b(?:19|20)\d\d-\d\d-\d\d\b"
    r"|\((?:19|20)\d\d(?:\s*[–-]\s*(?:19|20)\d\d)?\)"
)
# The assistant's own text, named by its command (knowledge/AUTHORING.md, form 5).
ASSISTANT_RE = re.compile(r"Trợ lý An Toàn Số\b.*\(lệnh /[a-z_]+\)")
URL_RE = re.compile(r"https?://\S+|\b(?:[a-z0-9-]+\.)+(?:vn|com|org|net|int|gov|edu|me|io|app|info|uk|us)\b(?:/\S*)?")


@dataclass(frozen=True)
class Found:
    number: str
    digits: str
    offset: int


def phone_numbers(text: str) -> Iterator[Found]:
    """Every phone-like number in `text`, once each even when several patterns see it."""
    seen: list[tuple[int, int]] = []
    for pattern in PHONE_PATTERNS:
        for match in pattern.finditer(text):
            group = 1 if pattern.groups else 0
            start, end = match.span(group)
            if any(start < other_end and other_start < end for other_start, other_end in seen):
                continue
            seen.append((start, end))
            number = match.group(group)
            digits = re.sub(r"\D", "", number)
            if not _is_year(digits):
                yield Found(number, digits, start)


def _is_year(digits: str) -> bool:
    return len(digits) == 4 and digits.startswith(("19", "20"))


def _shown(text: TextAt) -> bool:
    return not INPUT_KEYS.intersection(map(str, text.path)) and str(text.path[-1] if text.path else "") not in SKIP_KEYS


def check_phone_numbers(content: Content) -> list[ContentError]:
    """Every number in every text shown to people must be one in contacts.yaml (or 111/113/115);
    the emergency card, read by someone in danger now, may only hold the crisis numbers and the
    ward's own number."""
    kb, flows = content.knowledge, content.flows
    phones = {re.sub(r"\D", "", contact.phone) for contact in kb.contacts if contact.phone}
    allowed = CRISIS_NUMBERS | phones
    crisis_allowed = CRISIS_NUMBERS | {phone for phone in phones if len(phone) > 3}
    emergency = ("nodes", flows.commands.emergency)
    errors: list[ContentError] = []
    for text, in_flows in [*((text, False) for text in kb.texts), *((text, True) for text in flows.texts)]:
        if not _shown(text):
            continue
        in_card = in_flows and text.path[:2] == emergency
        for found in phone_numbers(text.text):
            if in_card and found.digits not in crisis_allowed:
                message = (
                    f"thẻ khẩn cấp (nút '{emergency[1]}') có số '{found.number}': ở đây chỉ được ghi "
                    f"{', '.join(sorted(CRISIS_NUMBERS))} và số riêng của phường trong contacts.yaml"
                )
            elif found.digits not in allowed:
                message = f"số điện thoại '{found.number}' không nằm trong contacts.yaml (chỉ ghi số đã kiểm chứng)"
            else:
                continue
            errors.append(ContentError(text.file, text.line_at(found.offset), f"{text.place}: {message}"))
    return errors


def source_parts(source: str) -> list[str]:
    """The references of one `source`, split at ';' outside brackets ("a.com (x; y); Điều 5")."""
    parts, depth, current = [], 0, ""
    for char in source:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == ";" and depth <= 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [" ".join(part.split()) for part in parts if part.strip()]


def weak_source_parts(source: str) -> list[str]:
    return [
        part
        for part in source_parts(source)
        if not any(pattern.search(part) for pattern in (ARTICLE_RE, DATE_RE, URL_RE, ASSISTANT_RE))
    ]


def check_sources(kb: Knowledge) -> list[ContentError]:
    """Warnings: each reference of a `source` needs an article, a date or a web address."""
    warnings: list[ContentError] = []
    for text in kb.texts:
        if not text.path or text.path[-1] != "source":
            continue
        weak = weak_source_parts(text.text)
        if weak:
            listed = "; ".join(f"'{part}'" for part in weak)
            warnings.append(
                ContentError(
                    text.file,
                    text.line,
                    f"{text.place}: nguồn khó kiểm tra, chưa có điều luật (Điều N), ngày hay địa chỉ web: {listed}",
                )
            )
    return warnings


def check_placeholders(kb: Knowledge) -> list[ContentError]:
    """Warnings: contacts the ward has not filled in yet (a placeholder must not stay in a crisis)."""
    warnings: list[ContentError] = []
    for contact in kb.contacts:
        if contact.placeholder:
            file, line = kb.where.get(("contact", contact.id), ("contacts.yaml", None))
            warnings.append(
                ContentError(
                    file,
                    line,
                    f"liên hệ '{contact.id}' của phường vẫn là chỗ trống chờ điền (placeholder: true): ghi số "
                    "đã gọi thử vào phone, sửa description, rồi đổi thành placeholder: false",
                )
            )
    return warnings
