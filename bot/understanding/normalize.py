"""Vietnamese text normalisation: one place for every rule about how people type.

Two forms come out of a message: the *folded* syllables (no diacritics, đ → d), which match however
the user typed, and the *kept* syllables (diacritics intact), which separate words that folding
collides (cài/cai, chặn/chắn) when the user did type diacritics.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.understanding.keystrokes import decode_keystrokes

_WORD_RE = re.compile(r"[^\W_]+", re.UNICODE)
# Eth and other look-alikes people paste in place of đ/Đ.
_LOOKALIKES = str.maketrans({"ð": "đ", "Ð": "Đ", "ɗ": "đ", "Ɖ": "Đ"})
_DOUBLED_VOWEL_RE = re.compile(r"(aa|ee|oo)")
_VOWEL_RE = re.compile(r"[aeiouy]")
# A letter held down ("sốnggg", "chánnnn"): three or more of one letter never occur in Vietnamese.
_STRETCHED_RE = re.compile(r"([^\W\d_])\1{2,}")
_KEEP_DOUBLE_OO = {"boong", "xoong", "soong", "loong", "zoom", "google", "facebook", "book", "room", "cool", "school"}


def nfc(text: str) -> str:
    """NFKC (full-width letters, ligatures) then NFC, look-alike đ repaired, lower case, invisible
    format characters removed and held-down letters squeezed ("chán sốnggg" → "chán sống")."""
    if not text.isascii():  # soft hyphen, zero-width space and joiners, BOM: invisible inside a word
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = unicodedata.normalize("NFKC", text).translate(_LOOKALIKES)
    return _STRETCHED_RE.sub(r"\1", unicodedata.normalize("NFC", text).lower())


@lru_cache(maxsize=65536)
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
    into syllables we know; `bigrams` are its adjacent syllable pairs, which pick the reading of an
    ambiguous abbreviation from its neighbours. `spelled_keys` are abbreviations written with
    diacritics ("mún", "đc"): a word typed with diacritics ("ạ") is expanded only if it is one.
    """

    abbreviations: dict[str, tuple[tuple[str, ...], ...]]
    synonyms: dict[tuple[str, ...], tuple[str, ...]]
    vocabulary: frozenset[str]
    bigrams: frozenset[tuple[str, str]] = frozenset()
    spelled_keys: frozenset[str] = frozenset()
    synonym_spellings: dict[tuple[str, ...], frozenset[tuple[str, ...]]] = field(default_factory=dict)
    sorted_vocabulary: tuple[str, ...] = field(default=(), compare=False)
    # First syllable → the lengths of synonym phrases starting with it, longest first.
    synonym_lengths: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False)
    # Unknown token → its nearest known syllable, remembered: the search is the costly step.
    closest_cache: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "sorted_vocabulary", tuple(sorted(self.vocabulary)))
        lengths: dict[str, set[int]] = {}
        for phrase in self.synonyms:
            lengths.setdefault(phrase[0], set()).add(len(phrase))
        object.__setattr__(self, "synonym_lengths", {w: tuple(sorted(n, reverse=True)) for w, n in lengths.items()})

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
        spellings: dict[tuple[str, ...], set[tuple[str, ...]]] = {}
        for group in synonym_groups:
            spelled_phrases = [tuple(words(nfc(str(p)))) for p in group]
            spelled_phrases = [p for p in spelled_phrases if p]
            if not spelled_phrases:
                continue
            canonical = tuple(fold(w) for w in spelled_phrases[0])
            for spelled_phrase in spelled_phrases:
                phrase = tuple(fold(w) for w in spelled_phrase)
                synonyms.setdefault(phrase, canonical)
                spellings.setdefault(phrase, set()).add(spelled_phrase)
        vocab: set[str] = set()
        bigrams: set[tuple[str, str]] = set()
        for text in vocabulary_texts:
            syllables = words(fold(nfc(text)))
            vocab.update(syllables)
            bigrams.update(zip(syllables, syllables[1:]))
        for readings in abbr.values():
            for reading in readings:
                vocab.update(reading)
        spelled = frozenset(nfc(str(token)) for token in abbreviations if has_diacritics(nfc(str(token))))
        frozen_spellings = {phrase: frozenset(forms) for phrase, forms in spellings.items()}
        return cls(abbr, synonyms, frozenset(vocab), frozenset(bigrams), spelled, frozen_spellings)

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
    cache = lexicon.closest_cache
    if token not in cache:
        if len(cache) >= CLOSEST_CACHE_SIZE:
            cache.clear()
        found = process.extract(token, lexicon.sorted_vocabulary, scorer=Levenshtein.distance, score_cutoff=1, limit=2)
        unique = len(found) == 1 or (len(found) == 2 and found[0][1] < found[1][1])
        cache[token] = found[0][0] if unique else token
    return cache[token]


def _keystroke_leftover(token: str, vocab: frozenset[str]) -> str:
    """An unknown word that spells a known syllable in Telex or VNI ("bij", "to6i") becomes it;
    else the older doubled-letter repair; else the word as typed."""
    decoded = decode_keystrokes(token)
    if decoded is not None and (not vocab or fold(decoded) in vocab):
        return fold(decoded)
    repaired = repair_telex(token)
    return repaired if not vocab or repaired in vocab else token


CLOSEST_CACHE_SIZE = 50_000
# Typo repair is the one costly step per word; a message needs it for a handful of words. Past
# this many distinct unknown words (a pasted wall of text, an attack) the rest stay as typed.
MAX_REPAIRS = 48

Token = tuple[str, str | None]  # folded syllable, and how it was spelled if typed with diacritics


def _fix_tokens(typed: Iterable[str], lexicon: Lexicon) -> list[Token]:
    fixed: list[Token] = []
    vocab = lexicon.vocabulary
    repaired_words: set[str] = set()
    for word in typed:
        token = fold(word)
        spelled = word if word != token else None
        if token in lexicon.abbreviations or token in vocab:
            fixed.append((token, spelled))
            continue
        repaired = _keystroke_leftover(token, vocab)
        parts = _split_run_on(repaired, vocab)
        for part in parts:
            if part not in vocab and (part in repaired_words or len(repaired_words) < MAX_REPAIRS):
                repaired_words.add(part)
                part = _closest_known(part, lexicon)
            fixed.append((part, spelled if len(parts) == 1 else None))
    return fixed


def _expand(tokens: list[Token], lexicon: Lexicon, all_readings: bool = True) -> list[Token]:
    """Teencode → words. An ambiguous token takes the reading its neighbours support ("bn ơi" →
    bạn, "giá bn" → bao nhiêu); with no evidence, retrieval keeps every reading while phrase
    patterns (danger detection) take the first, so word order survives."""
    out: list[Token] = []
    for index, (token, spelled) in enumerate(tokens):
        readings = lexicon.abbreviations.get(token)
        if spelled is not None and spelled not in lexicon.spelled_keys:
            readings = None  # "ạ", "à" typed with their marks are words, not the abbreviation "a"
        if not readings or token in lexicon.vocabulary and len(readings) == 1 and readings[0] == (token,):
            out.append((token, spelled))
            continue
        if len(readings) > 1:
            before = tokens[index - 1][0] if index else None
            after = tokens[index + 1][0] if index + 1 < len(tokens) else None
            support = [((before, r[0]) in lexicon.bigrams) + ((r[-1], after) in lexicon.bigrams) for r in readings]
            if max(support) > 0 and support.count(max(support)) == 1:
                readings = (readings[support.index(max(support))],)
        for reading in readings if all_readings else readings[:1]:
            out.extend((word, None) for word in reading)
    return out


def _spelled_alike(window: list[Token], forms: frozenset[tuple[str, ...]]) -> bool:
    """A phrase typed with diacritics must be spelled as in synonyms.yaml: "để yêu" is not "dế yêu"."""
    if not forms:
        return True
    return any(all(spelled is None or spelled == form for (_, spelled), form in zip(window, f)) for f in forms)


def _apply_synonyms(tokens: list[Token], lexicon: Lexicon) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for size in lexicon.synonym_lengths.get(tokens[i][0], ()):
            if i + size > len(tokens):
                continue
            window = tokens[i : i + size]
            phrase = tuple(token for token, _ in window)
            canonical = lexicon.synonyms.get(phrase)
            if canonical is not None and _spelled_alike(window, lexicon.synonym_spellings.get(phrase, frozenset())):
                out.extend(canonical)
                i += size
                break
        else:
            out.append(tokens[i][0])
            i += 1
    return out


def normalize(text: str, lexicon: Lexicon, all_readings: bool = True) -> Normalized:
    """Full pipeline for matching: nfc → fold → Telex repair/run-on split → teencode → synonyms."""
    clean = nfc(text)
    kept = tuple(words(clean))
    folded = _apply_synonyms(_expand(_fix_tokens(kept, lexicon), lexicon, all_readings), lexicon)
    typed = has_diacritics(clean)
    return Normalized(text=clean, folded=tuple(folded), kept=kept if typed else (), typed_diacritics=typed)


def readable(text: str, lexicon: Lexicon) -> str:
    """The message as a person would read it, for the semantic model: Telex/VNI leftovers turned
    into the words they spell ("con tooi bij" → "con tôi bị"), everything else as typed."""
    vocab = lexicon.vocabulary

    def decode(match: re.Match[str]) -> str:
        word = match.group(0)
        token = word.lower()
        if token in vocab or token in lexicon.abbreviations:
            return word
        decoded = decode_keystrokes(token)
        return decoded if decoded is not None and fold(decoded) in vocab else word

    return _WORD_RE.sub(decode, nfc(text))


def squeeze_repeats(tokens: Sequence[str], longest: int = 5) -> list[str]:
    """Runs of one word group repeated over and over ("ep gui ep gui ep gui …") kept to two: a
    pasted wall of repeats says no more than twice, and costs the danger patterns far less."""
    out: list[str] = []
    for token in tokens:
        out.append(token)
        for size in range(1, longest + 1):
            if len(out) >= 3 * size and out[-size:] == out[-2 * size : -size] == out[-3 * size : -2 * size]:
                del out[-size:]
                break
    return out
