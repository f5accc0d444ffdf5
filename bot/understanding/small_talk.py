"""Small talk and typed quiz answers: whole messages that are not questions.

"cảm ơn", "ok", "tạm biệt", "ko hieu" share words with real questions, so the FAQ matcher would
answer them with a confident, unrelated FAQ. They are recognised here, from the ward's lists in
`flows/small_talk.yaml`, and only when the *whole* message is small talk: "cảm ơn, con tôi bị bắt
nạt trên mạng" is a question. Words compare folded (with or without diacritics) and with held-down
letters squeezed ("okkk", "hii"); a word the user typed with its marks must carry the listed marks
("cô" is not "có"), as for the flows' exact words. Teencode is not expanded: "a", "b", "e" are
letters here (quiz answers), not "anh", "bạn", "em".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.understanding.normalize import fold, has_diacritics, nfc, words

if TYPE_CHECKING:
    from bot.content.flow_models import SmallTalk

UNCLEAR = "unclear"
# Longer than this is never small talk (and keeps the work per message tiny).
MAX_CHARS = 120
MAX_TOKENS = 12
_REPEATED_RE = re.compile(r"([^\W\d_])\1+")
# Everything that is not a symbol worth reading: spaces, punctuation, marks, variation selectors,
# skin tones, joiners, control characters.
_DROPPED_CATEGORIES = ("Z", "P", "M", "C")

Token = tuple[str, str | None]  # folded and squeezed; as typed when typed with diacritics


def _squeeze(word: str) -> str:
    """ "hii" → "hi", "okk" → "ok"; a word that would shrink to one letter ("bb") stays."""
    squeezed = _REPEATED_RE.sub(r"\1", word)
    return squeezed if len(squeezed) > 1 else word


def tokens_of(text: str) -> list[Token]:
    """The message's words, folded and squeezed, each with its spelling if typed with marks."""
    out: list[Token] = []
    for word in words(nfc(text)):
        spelled = _squeeze(word)
        out.append((_squeeze(fold(word)), spelled if has_diacritics(spelled) else None))
    return out


def symbols_of(text: str) -> set[str]:
    """The emoji and other symbols of a message ("👍👍" → {"👍"}), without joiners or selectors."""
    return {
        ch
        for ch in nfc(text)
        if not unicodedata.category(ch).startswith(_DROPPED_CATEGORIES)
        and unicodedata.category(ch) != "Sk"
        and not ch.isalnum()
    }


def phrase_key(phrase: str) -> tuple[tuple[Token, ...], frozenset[str]]:
    """How a listed word is compared: its tokens, or (an emoji) its symbols."""
    tokens = tuple(tokens_of(phrase))
    return tokens, frozenset() if tokens else frozenset(symbols_of(phrase))


@dataclass(frozen=True)
class _Phrase:
    tokens: tuple[Token, ...]
    group: str | None  # None: an "around" word, allowed but saying nothing by itself

    def at(self, message: list[Token], start: int) -> bool:
        window = message[start : start + len(self.tokens)]
        if len(window) != len(self.tokens):
            return False
        return all(
            folded == listed and (spelled is None or listed_spelling is None or spelled == listed_spelling)
            for (folded, spelled), (listed, listed_spelling) in zip(window, self.tokens)
        )


@dataclass
class SmallTalkIndex:
    """The lists of `flows/small_talk.yaml`, indexed once per content load."""

    order: tuple[str, ...] = ()
    by_first: dict[str, list[_Phrase]] = field(default_factory=dict)
    symbols: dict[str, str] = field(default_factory=dict)
    answer_words: frozenset[str] = frozenset()

    @classmethod
    def build(cls, talk: SmallTalk | None) -> SmallTalkIndex:
        from bot.content.flow_models import GROUP_ORDER

        if talk is None:
            return cls()
        phrases: list[_Phrase] = []
        symbols: dict[str, str] = {}
        for group in GROUP_ORDER:
            for word in getattr(talk, group).words:
                tokens, marks = phrase_key(word)
                if tokens:
                    phrases.append(_Phrase(tokens, group))
                for mark in marks:
                    symbols.setdefault(mark, group)
        phrases += [_Phrase(tuple(tokens_of(word)), None) for word in talk.around_words if tokens_of(word)]
        by_first: dict[str, list[_Phrase]] = {}
        for phrase in phrases:
            by_first.setdefault(phrase.tokens[0][0], []).append(phrase)
        for candidates in by_first.values():
            # Longest first ("không hiểu" before "không"); groups before around words of one length.
            candidates.sort(key=lambda p: (-len(p.tokens), p.group is None))
        answer = frozenset(folded for word in talk.quiz_answer_words for folded, _ in tokens_of(word))
        return cls(GROUP_ORDER, by_first, symbols, answer)

    def match(self, text: str) -> str | None:
        """The small-talk group the whole message belongs to, `UNCLEAR` for a lone letter or
        symbols we do not know, None for anything else (a question for the matcher)."""
        if len(text) > MAX_CHARS:
            return None
        tokens = tokens_of(text)
        if not tokens:
            groups = {self.symbols.get(mark) for mark in symbols_of(text)}
            return self._first(groups) if groups and None not in groups else UNCLEAR
        if len(tokens) > MAX_TOKENS:
            return None
        found: set[str | None] = set()
        start = 0
        while start < len(tokens):
            phrase = next((p for p in self.by_first.get(tokens[start][0], ()) if p.at(tokens, start)), None)
            if phrase is None:
                break
            found.add(phrase.group)
            start += len(phrase.tokens)
        else:
            group = self._first(found)
            if group:
                return group
        if len(tokens) == 1 and len(tokens[0][0]) == 1 and tokens[0][0].isalpha():
            return UNCLEAR
        return None

    def _first(self, groups: set[str | None]) -> str | None:
        return next((group for group in self.order if group in groups), None)

    def quiz_pick(self, text: str) -> str | None:
        """A typed quiz answer: one letter ("b", "C.") or number ("2"), alone or among the quiz
        answer words ("đáp án B", "em chọn c ạ"). Returned as typed, lower case; the caller knows
        how many options the question has."""
        if len(text) > MAX_CHARS:
            return None
        typed = words(nfc(text))
        if not typed or len(typed) > 6:
            return None
        picks = [i for i, w in enumerate(typed) if (len(w) == 1 and w.isascii() and w.isalpha()) or _small_number(w)]
        if len(picks) != 1:
            return None
        rest = [fold(w) for i, w in enumerate(typed) if i != picks[0]]
        return typed[picks[0]] if all(w in self.answer_words for w in rest) else None


def _small_number(word: str) -> bool:
    return word.isascii() and word.isdigit() and len(word) <= 2
