"""Personal names out of a kept question, where the writer says one is coming.

Telling a Vietnamese name from any other word is not possible in general ("An", "Bình", "Minh" are
words too), so this looks only where people introduce a name: "tên (em/con tôi…) là …", "em tên …",
"họ tên: …" (with or without diacritics, any capitalisation) and "tôi/em/con tôi là" followed by
a capitalised word. The words that follow are replaced by "[tên]": up to four, all capitalised or
all lower case, ending at punctuation or at a word no name has ("bị", "học", "gì"…). A name typed
any other way ("chị Lan") stays: the privacy text says so and asks people not to type names.
"""

from __future__ import annotations

import re
import unicodedata

LABEL = "[tên]"
# Who a name belongs to, as written before or inside the cue (folded: no diacritics, lower case).
_WHO = r"(?:em|con|chau|minh|toi|be|no|ban|anh|chi|co|chu|bac|ong|ba|ay|do|kia|nay|thang|ho|cua|nha|gai|trai)"
_STRONG = re.compile(
    rf"\bten(?:\s+(?:that|day\s+du|goi))?(?:\s+{_WHO}){{0,3}}\s+la\s+"  # tên là, tên con tôi là, tên thật là
    rf"|\b{_WHO}(?:\s+{_WHO}){{0,2}}\s+ten\s+(?:la\s+)?"  # em tên, con tôi tên là, bạn ấy tên
    r"|\b(?:ho\s+(?:va\s+)?)?ten\s*:\s*"  # họ tên: …, tên: …
)
_WEAK = re.compile(rf"\b{_WHO}(?:\s+{_WHO}){{0,2}}\s+la\s+")  # tôi là Lan, con tôi là Minh
_WORD = re.compile(r"[^\W\d_]+")
_GAP = re.compile(r"[ \t]+")
# Capitalised words after "… là" that are not people.
_NOT_NAMES = frozenset(
    [
        "facebook",
        "zalo",
        "tiktok",
        "youtube",
        "messenger",
        "instagram",
        "google",
        "gmail",
        "roblox",
        "discord",
        "telegram",
        "minecraft",
        "viber",
        "snapchat",
        "iphone",
        "android",
        "wifi",
        "internet",
        "shopee",
        "netflix",
        "garena",
        "pubg",
    ]
)

# Lower-case words that end (or, first, rule out) a name typed without capitals: "tên gì", "tên lan bị…".
_NOT_IN_NAMES = frozenset(
    [
        "gi",
        "nao",
        "ai",
        "sao",
        "the",
        "bi",
        "da",
        "dang",
        "se",
        "hoc",
        "lop",
        "tuoi",
        "o",
        "va",
        "voi",
        "khong",
        "muon",
        "hoi",
        "nhan",
        "bao",
        "noi",
        "lam",
        "can",
        "thay",
        "nay",
        "oi",
        "nhe",
        "ne",
        "em",
        "toi",
        "chau",
        "con",
    ]
)


def fold(text: str) -> str:
    """Lower case without diacritics, one character for one: positions match the original."""
    return "".join(unicodedata.normalize("NFD", ch.lower())[0] for ch in text.replace("đ", "d").replace("Đ", "D"))


def _name_end(text: str, start: int, capitalised_only: bool) -> int | None:
    """Where the name that starts at `start` ends, or None if no name starts there."""
    words: list[re.Match[str]] = []
    capitalised = False
    position = start
    while len(words) < 4:
        word = _WORD.match(text, position)
        if word is None:
            break
        upper = word.group()[0].isupper()
        if not upper and fold(word.group()) in _NOT_IN_NAMES:
            break
        if not words:
            if (capitalised_only and not upper) or fold(word.group()) in _NOT_NAMES:
                return None
            capitalised = upper
        elif capitalised and not upper:
            break
        words.append(word)
        gap = _GAP.match(text, word.end())
        if gap is None:
            break
        position = gap.end()
    return words[-1].end() if words else None


def _title_case(text: str) -> bool:
    """Written With Capitals Everywhere: a capital says nothing about names there."""
    words = _WORD.findall(text)
    return len(words) > 3 and sum(word[0].isupper() for word in words) > 0.6 * len(words)


def scrub_names(text: str) -> str:
    folded = fold(text)
    spans: list[tuple[int, int]] = []
    cues = [(match.end(), False) for match in _STRONG.finditer(folded)]
    if not _title_case(text):
        cues += [(match.end(), True) for match in _WEAK.finditer(folded)]
    for start, capitalised_only in sorted(cues):
        if spans and start < spans[-1][1]:
            continue
        end = _name_end(text, start, capitalised_only)
        if end is not None:
            spans.append((start, end))
    for start, end in reversed(spans):
        text = text[:start] + LABEL + text[end:]
    return text
