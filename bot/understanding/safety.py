"""Danger detection: does this message say a child is in danger *now*?

Runs before anything else on every free-text message. Patterns work on folded, teencode-expanded
syllables, so "muốn chết", "muon chet" and "mún chết" all hit. Recall comes first: a missed crisis
is far worse than an extra emergency card, so only a clearly *general* question about a risk
("làm sao nói chuyện với con về tự tử") is let through to the FAQ, and only when it carries no
sign of urgency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.understanding.normalize import Lexicon, fold, nfc, normalize, squeeze_repeats, words

_CHILD = r"(con|chau|be|em|ban|no|thang be|con gai|con trai|hoc sinh)"
_TIME = r"(toi nay|dem nay|bay gio|chieu nay|sang mai|ngay mai|hom nay|luc nay|ngay lap tuc|ngay|sap|vua|dang|tu sang|tu chieu|tu toi|tu hom qua|tu toi qua)"

# Each family: patterns that on their own mean danger now.
STRONG: dict[str, list[str]] = {
    "self_harm": [
        r"\b(muon|mon|dinh|se|sap|doi) (chet|tu tu|tu sat|ket thuc)",
        r"\bkhong (muon|con muon|thiet) song",
        r"\bchan song\b",
        r"\b(thu|loi) tuyet menh",
        r"\b(nhay|gieo minh) (cau|lau|song|xuong)",
        r"\b(cat|rach|rach) (tay|co tay|vao tay)",
        r"\btu (cat|lam dau|hai|tu|sat)\b.*\b(dang|vua|roi|dem nay|toi nay|bay gio|se)\b",
        r"\b(dang|vua|se|sap|dinh) tu (tu|sat|hai|cat)",
        r"\buong (ca|het|nhieu) (vi|lo|hop)? ?thuoc",
        r"\buong thuoc (ngu|chuot|tru sau)",
        r"\b(loi|thu) tam biet\b.*\b(khoa|khong tra loi|khong nghe|tat may|mat)",
        r"\bchet (di|quach) cho (xong|roi)",
        r"\b(bien mat|ra di) mai mai",
        r"\blo mo\b|\bbat tinh\b",
    ],
    "help_now": [
        # "cứu em với", "cứu cháu tôi": a cry for help (not "nghiên cứu", "cấp cứu" as a word)
        r"(?<!nghien )(?<!cap )\bcuu (toi|em|con|chau|minh|voi|be|ban|giup|tui|tao|t|e)\b",
    ],
    "sextortion": [
        r"\b(doa|de doa|tong tien|ep|bat)\b.*\b(tung|dang|gui|phat tan|phat|share|chia se|cong khai)\b.*\b(anh|clip|video|hinh)",
        r"\b(tung|dang|gui|phat tan|share)\b.*\b(anh|clip|video|hinh)\b.*\bneu (khong|ko)\b",
        r"\bneu (khong|ko)\b.*\b(tung|dang|gui|phat tan)\b.*\b(anh|clip|video|hinh)",
        r"\b(bat|ep)\b.*\b(goi video|quay|gui|chup)\b.*\b(coi do|khoa than|nude|anh nong|khong mac|than the)",
        r"\b(dang|vua) bi\b.*\b(tong tien|doa tung|ep gui anh)",
    ],
    "meeting": [
        r"\bhen\b.*\b(gap|don)\b.*\b" + _TIME + r"\b",
        r"\bhen\b.*\b" + _TIME + r"\b.*\b(gap|don)\b",
        r"\bhen (gap|don|ra|den|toi|di)\b.*\b" + _TIME,
        r"\b" + _TIME + r"\b.*\bhen (gap|don|ra|den)\b",
        r"\bhen (gap|don)\b.*\b(quen (tren|qua)|nguoi la|ong|chu|nguoi lon|\d+ tuoi)",
        r"\b(ong|chu|nguoi lon|nguoi la|dan ong|\d+ tuoi)\b.*\bhen (gap|don|ra|den)\b",
        r"\b(di|ra|len xe|bo nha)\b.*\bgap\b.*\b(quen (tren|qua)|nguoi yeu|ban mang|nguoi la)",
        r"\b(don|cho)\b.*\b(o|tai) (ben xe|ga|cong truong|quan net)\b",
    ],
    "violence": [
        r"\b(doa|de doa|hen|se|doi)\b.*\b(danh|chem|giet|dam|dap|xu|bat coc|thanh toan)\b",
        r"\bmang (dao|kiem|hung khi|gay|ma tau)",
        r"\b(dang|vua) bi (danh|dap|hanh ha|xam hai|hiep)",
    ],
    "missing": [
        r"\bmat tich\b",
        r"\b(chua|khong) (ve|tro ve) nha\b",
        r"\b(chua|khong thay) ve\b.*\b(goi|lien lac|tat may|khong nghe)",
        r"\bbo nha\b",
        r"\b(goi|lien lac)\b.*\bkhong (duoc|nghe|bat may|tra loi)\b.*\b(tu sang|tu chieu|tu toi|tu hom qua|tu qua|chua ve|ca ngay)",
        r"\b(lac|mat) (con|chau|be)\b",
    ],
}

# Risk words that mean danger unless the message is plainly a general question.
WEAK: list[str] = [
    r"\b(danh hoi dong|bat coc|bao hanh)\b",
    r"\btu tu\b",
    r"\btu sat\b",
    r"\btu hai\b",
    r"\bmuon chet\b",
    r"\btong tien\b",
    r"\bxam hai\b.*\b(con|chau|be|em)\b",
    r"\bhiep dam\b",
]

GENERAL: list[str] = [
    r"\b(to giac|bao cao|trinh bao)\b.*\b(o dau|the nao|nhu the nao|cach nao|ra sao)\b",
    r"\b(co that khong|that khong|tin don|lan truyen|lan tin|tin gia|tin nhan chuoi)\b",
    r"\b(xem|lo xem|xem phai|thay)\b.*\b(video|clip|phim|anh)\b.*\b(anh huong|co sao|co hai)\b",
    r"\banh huong (gi|the nao|ra sao)\b",
    r"\bla gi\b",
    r"\bdau hieu\b",
    r"\bphong (tranh|ngua|chong)\b",
    r"\b(noi chuyen|trao doi|giai thich|day|huong dan)\b.*\bve\b",
    r"\blam (sao|the nao) de\b",
    r"\b(kien thuc|tim hieu|thong tin ve|bai hoc)\b",
    r"\b(nhan biet|nhan ra)\b",
    r"\bneu\b.*\bthi\b",
    r"\b(tin tuc|bao chi|phim|video|bai viet)\b.*\bve\b",
]


# Patterns run on syllables joined by single spaces. "A … B" in a pattern (written `\b.*\b`) means
# B at most GAP words after A: the same clause, and a cost linear in the message's length (an
# unbounded `.*` chain backtracks with the cube of it: 4,000 characters held the bot for seconds).
GAP = 12
_BOUNDED_GAP = r" (?:\w+ ){0," + str(GAP) + "}"


def _compile(pattern: str) -> re.Pattern[str]:
    bounded = pattern.replace(r"\b.*\b", _BOUNDED_GAP)
    if ".*" in bounded:
        raise ValueError(f"unbounded gap in danger pattern {pattern!r}: write it as \\b.*\\b between words")
    return re.compile(bounded)


_COMPILED_STRONG = {family: [_compile(p) for p in patterns] for family, patterns in STRONG.items()}
_COMPILED_WEAK = [_compile(p) for p in WEAK]
_COMPILED_GENERAL = [_compile(p) for p in GENERAL]


@dataclass(frozen=True)
class Danger:
    family: str
    pattern: str


def detect_danger(text: str, lexicon: Lexicon | None = None) -> Danger | None:
    """The first danger signal found, or None. Tries the expanded and the plain folded forms."""
    lexicon = lexicon or Lexicon.empty()
    expanded = " ".join(squeeze_repeats(normalize(text, lexicon, all_readings=False).folded))
    plain = " ".join(squeeze_repeats(words(fold(nfc(text)))))
    for form in dict.fromkeys((expanded, plain)):
        found = _detect(form)
        if found:
            return found
    return None


def _detect(form: str) -> Danger | None:
    for family, patterns in _COMPILED_STRONG.items():
        for pattern in patterns:
            if pattern.search(form):
                return Danger(family, pattern.pattern)
    for pattern in _COMPILED_WEAK:
        if pattern.search(form):
            general = any(g.search(form) for g in _COMPILED_GENERAL)
            if not general:
                return Danger("risk_word", pattern.pattern)
    return None


def pattern_families(text: str, lexicon: Lexicon | None = None, folded: Sequence[str] | None = None) -> set[str]:
    """Every pattern family that matches (for the danger model's inputs), "risk_word" for a risk
    word outside a general question. `folded`: the message already normalised, if at hand."""
    lexicon = lexicon or Lexicon.empty()
    if folded is None:
        folded = normalize(text, lexicon, all_readings=False).folded
    forms = dict.fromkeys((" ".join(squeeze_repeats(folded)), " ".join(squeeze_repeats(words(fold(nfc(text)))))))
    found = {
        family for family, patterns in _COMPILED_STRONG.items() for form in forms for p in patterns if p.search(form)
    }
    for form in forms:
        if any(p.search(form) for p in _COMPILED_WEAK) and not any(g.search(form) for g in _COMPILED_GENERAL):
            found.add("risk_word")
    return found
