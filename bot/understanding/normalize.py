"""Vietnamese text normalisation: one place for every rule about how people type.

Two forms come out of a message: the *folded* syllables (no diacritics, đ → d), which match however
the user typed, and the *kept* syllables (diacritics intact), which separate words that folding
collides (cài/cai, chặn/chắn) when the user did type diacritics.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
# Eth and other look-alikes people paste in place of đ/Đ.
_LOOKALIKES = str.maketrans({"ð": "đ", "Ð": "Đ", "ɗ": "đ", "Ɖ": "Đ"})
_DOUBLED_VOWEL_RE = re.compile(r"(aa|ee|oo)")
_VOWEL_RE = re.compile(r"[aeiouy]")
_KEEP_DOUBLE_OO = {"boong", "xoong", "soong", "loong", "zoom", "google", "facebook", "book", "room", "cool", "school"}


def nfc(text: str) -> str:
    """NFKC (full-width letters, ligatures) then NFC, look-alike đ repaired, lower case."""
    text = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    return unicodedata.normalize("NFC", text).lower()


def fold(text: str) -> str:
    """Remove diacritics, đ → d. Input should already be `nfc`-normalised."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def has_diacritics(text: str) -> bool:
    return fold(text) != text


def words(text: str) -> list[str]:
    return _WORD_RE.findall(text)


def fold_key(text: str) -> str:
    """A comparison key: folded words joined by single spaces (used to spot duplicate variants)."""
    return " ".join(words(fold(nfc(text))))


def repair_telex(token: str) -> str:
    """Undo Telex leftovers in a folded token: 'ddien' → 'dien', 'tooi' → 'toi', 'caas' stays."""
    if token.startswith("dd"):
        token = token[1:]
    if token not in _KEEP_DOUBLE_OO and _DOUBLED_VOWEL_RE.search(token) and token.isalpha():
        token = _DOUBLED_VOWEL_RE.sub(lambda m: m.group(0)[0], token)
    return token


@dataclass(frozen=True)
class Lexicon:
    """Typing knowledge from `knowledge/teencode.yaml` and `synonyms.yaml`, folded once.

    `abbreviations` maps a folded token to one or more folded readings (ambiguous tokens keep all
    readings). `synonyms` maps a folded phrase (tuple of tokens) to its canonical folded phrase.
    `vocabulary` is every folded syllable the knowledge base uses: run-on words are split only
    into syllables we know.
    """

    abbreviations: dict[str, tuple[tuple[str, ...], ...]]
    synonyms: dict[tuple[str, ...], tuple[str, ...]]
    vocabulary: frozenset[str]
    longest_synonym: int = 1
    sorted_vocabulary: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sorted_vocabulary", tuple(sorted(self.vocabulary)))

    @classmethod
    def build(
        cls,
        abbreviations: dict[str, list[str]],
        synonym_groups: Iterable[list[str]],
        vocabulary_texts: Iterable[str],
    ) -> Lexicon:
        abbr: dict[str, tuple[tuple[str, ...], ...]] = {}
        for token, readings in abbreviations.items():
            key = " ".join(words(fold(nfc(str(token)))))
            if not key or " " in key:
                continue
            abbr[key] = tuple(tuple(words(fold(nfc(r)))) for r in readings if words(fold(nfc(r))))
        synonyms: dict[tuple[str, ...], tuple[str, ...]] = {}
        for group in synonym_groups:
            phrases = [tuple(words(fold(nfc(str(p))))) for p in group]
            phrases = [p for p in phrases if p]
            if not phrases:
                continue
            canonical = phrases[0]
            for phrase in phrases:
                synonyms.setdefault(phrase, canonical)
        vocab: set[str] = set()
        for text in vocabulary_texts:
            vocab.update(words(fold(nfc(text))))
        for readings in abbr.values():
            for reading in readings:
                vocab.update(reading)
        longest = max((len(p) for p in synonyms), default=1)
        return cls(abbr, synonyms, frozenset(vocab), longest)

    @classmethod
    def empty(cls) -> Lexicon:
        return cls({}, {}, frozenset())


@dataclass(frozen=True)
class Normalized:
    text: str  # the nfc, lower-cased message
    folded: tuple[str, ...]  # folded syllables after repair, expansion and synonyms
    kept: tuple[str, ...]  # syllables with diacritics, only when the user typed them
    typed_diacritics: bool


def _split_run_on(token: str, vocab: frozenset[str]) -> list[str]:
    """'phailam' → ['phai', 'lam'] when both halves are known syllables and the whole is not."""
    if token in vocab or len(token) < 4 or not vocab:
        return [token]
    for cut in range(2, len(token) - 1):
        left, right = token[:cut], token[cut:]
        if left in vocab and right in vocab and _VOWEL_RE.search(left) and _VOWEL_RE.search(right):
            return [left, right]
    # A doubled last letter ('khongg', 'dauu') is a slip of the finger.
    if len(token) > 2 and token[-1] == token[-2] and token[:-1] in vocab:
        return [token[:-1]]
    return [token]


def _closest_known(token: str, lexicon: Lexicon) -> str:
    """One slip of the finger ('nghieng' for 'nghien', 'bog' for 'bong'): the known syllable one
    edit away. Only for tokens we do not know, of 4+ letters, with a single nearest candidate."""
    if len(token) < 4 or not token.isalpha() or not lexicon.vocabulary:
        return token
    found = process.extract(token, lexicon.sorted_vocabulary, scorer=Levenshtein.distance, score_cutoff=1, limit=2)
    if len(found) == 1 or (len(found) == 2 and found[0][1] < found[1][1]):
        return found[0][0]
    return token


def _fix_tokens(tokens: Iterable[str], lexicon: Lexicon) -> list[str]:
    fixed: list[str] = []
    vocab = lexicon.vocabulary
    for token in tokens:
        if token in lexicon.abbreviations or token in vocab:
            fixed.append(token)
            continue
        repaired = repair_telex(token)
        if repaired != token and vocab and repaired not in vocab:
            repaired = token
        for part in _split_run_on(repaired, vocab):
            fixed.append(part if part in vocab else _closest_known(part, lexicon))
    return fixed


def _expand(tokens: list[str], lexicon: Lexicon, all_readings: bool = True) -> list[str]:
    """Teencode → words. Retrieval wants every reading of an ambiguous token; phrase patterns
    (danger detection) want one reading in place, so word order survives."""
    out: list[str] = []
    for token in tokens:
        readings = lexicon.abbreviations.get(token)
        if not readings or token in lexicon.vocabulary and len(readings) == 1 and readings[0] == (token,):
            out.append(token)
            continue
        for reading in readings if all_readings else readings[:1]:
            out.extend(reading)
    return out


def _apply_synonyms(tokens: list[str], lexicon: Lexicon) -> list[str]:
    if not lexicon.synonyms:
        return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(lexicon.longest_synonym, len(tokens) - i), 0, -1):
            phrase = tuple(tokens[i : i + size])
            canonical = lexicon.synonyms.get(phrase)
            if canonical is not None:
                out.extend(canonical)
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    return out


def normalize(text: str, lexicon: Lexicon, all_readings: bool = True) -> Normalized:
    """Full pipeline for matching: nfc → fold → Telex repair/run-on split → teencode → synonyms."""
    clean = nfc(text)
    kept = tuple(words(clean))
    folded = _fix_tokens(words(fold(clean)), lexicon)
    folded = _apply_synonyms(_expand(folded, lexicon, all_readings), lexicon)
    typed = has_diacritics(clean)
    return Normalized(text=clean, folded=tuple(folded), kept=kept if typed else (), typed_diacritics=typed)
