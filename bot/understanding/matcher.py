"""Find the FAQ a free-text question is asking, with a confidence we can act on.

Hybrid retrieval, built once at start-up: a BM25 index (bm25s) over our own Vietnamese tokens —
folded syllables, folded syllable bigrams and, for text typed with diacritics, the kept syllables —
re-scored per candidate by *coverage* (how much of what the user said, weighted by rarity, the FAQ's
wording accounts for) and rapidfuzz similarity to the closest variant.

The topic is chosen by a vote of the best candidates, so five close FAQs of one topic beat one
lucky match elsewhere. Whether to answer at all is a separate, calibrated question: is this message
about our domain? Out-of-scope messages ("giá vàng", "đăng ký kết hôn") reuse our common syllables
but not our two-syllable words, and typed with diacritics they use words our content never spells.
A logistic model over four such signals (fitted on the dev set; `python -m bot bench match` prints
its figures) gives the probability that drives answer / suggest / fallback.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import bm25s
import numpy as np
from rapidfuzz import fuzz

from bot.content.models import Faq, OutOfScope
from bot.understanding.normalize import Lexicon, Normalized, fold, has_diacritics, nfc, normalize, readable, words
from bot.understanding.semantic import Semantic

ANSWER_AT = 0.5  # in-domain probability from which we answer directly
SUGGEST_AT = 0.35  # from here up to ANSWER_AT we offer the closest questions as buttons
MARGIN = 0.03  # the winning topic must beat the runner-up topic by this much in candidate score
CANDIDATES = 12
VOTERS = 5
# The semantic layer: its nearest FAQs join the candidates, and its closeness (e5 cosine mapped
# from [FLOOR, CEILING] to [0, 1]) takes this share of the fused score.
SEMANTIC_CANDIDATES = 5
SEMANTIC_FLOOR, SEMANTIC_CEILING = 0.75, 0.95
LEXICAL_SHARE = 0.7

# Logistic calibration of "this message is about our domain" (see module docstring).
# Fitted by `python -m bot bench calibrate --also tests/data/validation/writer_v1.yaml --also …v2.yaml`
# (the dev set and two validation writers; writer_v3 stays for measuring), once with the semantic
# layer and once without (BOT_SEMANTIC=off): the fused score means something else than the lexical one.
DOMAIN_WEIGHTS = {"score": 0.7, "known_bigrams": 6.6, "unknown_spelled": -5.4, "length": 3.3, "semantic": 2.9}
DOMAIN_BIAS = -8.8
LEXICAL_DOMAIN_WEIGHTS = {"score": 1.3, "known_bigrams": 7.0, "unknown_spelled": -5.3, "length": 3.3, "semantic": 0.0}
LEXICAL_DOMAIN_BIAS = -7.0


def units(folded: tuple[str, ...] | list[str]) -> list[str]:
    """Syllables and syllable bigrams: most Vietnamese words are two syllables ("dụ dỗ", "bắt
    nạt"), and a bigram is far more telling than either of its common syllables."""
    return [*folded, *(f"{a}_{b}" for a, b in zip(folded, folded[1:]))]


def features(norm: Normalized) -> list[str]:
    """The index terms of one text: folded syllables, bigrams, and kept syllables if typed."""
    folded = list(norm.folded)
    terms = folded + [f"{a}_{b}" for a, b in zip(folded, folded[1:])]
    terms += [f"~{word}" for word in norm.kept]
    return terms


@dataclass(frozen=True)
class Candidate:
    faq: Faq | OutOfScope
    score: float  # lexical and semantic evidence fused, in [0, 1]
    variant: str
    semantic: float = 0.0  # the semantic part alone, in [0, 1] (0 without the model)


@dataclass(frozen=True)
class MatchResult:
    best: Candidate | None
    candidates: tuple[Candidate, ...]
    confidence: float  # probability that the message is in our domain and `best` answers it
    confident: bool

    @property
    def suggestions(self) -> tuple[Candidate, ...]:
        return self.candidates[:3]


class Matcher:
    def __init__(
        self,
        faqs: list[Faq],
        lexicon: Lexicon,
        domain_texts: Iterable[str] = (),
        out_of_scope: Iterable[OutOfScope] = (),
        semantic: Semantic | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.faqs: list[Faq | OutOfScope] = [*faqs, *out_of_scope]
        self._doc_faq: list[int] = []
        self._doc_text: list[str] = []
        self._doc_words: list[frozenset[str]] = []
        corpus: list[list[str]] = []
        faq_words: list[set[str]] = [set() for _ in self.faqs]
        self._faq_kept: list[dict[str, set[str]]] = [{} for _ in self.faqs]
        self._doc_source: list[str] = []
        for index, faq in enumerate(self.faqs):
            for text in (faq.question, *faq.variants):
                self._doc_source.append(text)
                norm = normalize(text, lexicon)
                corpus.append(features(norm))
                self._doc_faq.append(index)
                self._doc_text.append(" ".join(norm.folded))
                self._doc_words.append(frozenset(units(norm.folded)))
                faq_words[index].update(units(norm.folded))
                for kept in norm.kept:
                    self._faq_kept[index].setdefault(fold(kept), set()).add(kept)
        self._faq_words = [frozenset(w) for w in faq_words]
        document_frequency: Counter[str] = Counter()
        for doc_words in self._doc_words:
            document_frequency.update(doc_words)
        total = max(len(self._doc_words), 1)
        self._idf = {w: math.log(1 + total / df) for w, df in document_frequency.items()}
        self._unknown_idf = math.log(1 + total)
        self._doc_idf = [sum(self._idf[w] for w in words) or 1.0 for words in self._doc_words]
        self._doc_faq_array = np.array(self._doc_faq, dtype=np.int32)
        self._bm25 = bm25s.BM25()
        if corpus:
            self._bm25.index(corpus, show_progress=False)
        self._doc_vectors = semantic.vectors(self._doc_source) if semantic else None
        self._query_vector = semantic.query if semantic else None
        self._domain_bigrams: set[tuple[str, str]] = set()
        self._domain_spellings: set[str] = set()
        for text in [*(t for f in faqs for t in (f.question, *f.variants, f.answer)), *domain_texts]:
            folded = normalize(text, lexicon).folded
            self._domain_bigrams.update(zip(folded, folded[1:]))
            self._domain_spellings.update(words(nfc(text)))

    def idf(self, word: str) -> float:
        return self._idf.get(word, self._unknown_idf)

    def match(self, text: str) -> MatchResult:
        norm = normalize(text, self.lexicon)
        query_words = list(dict.fromkeys(units(norm.folded)))
        if not query_words or not self.faqs or all(w.isdigit() for w in query_words):
            return MatchResult(None, (), 0.0, False)
        scores = self._bm25.get_scores(features(norm))
        best_doc_per_faq: dict[int, int] = {}
        for doc in np.argsort(-scores)[: CANDIDATES * 4]:
            if scores[doc] <= 0:
                break
            best_doc_per_faq.setdefault(int(self._doc_faq_array[doc]), int(doc))
            if len(best_doc_per_faq) >= CANDIDATES:
                break
        closeness = self._semantic_closeness(text, best_doc_per_faq)
        query = _Query(
            words=query_words,
            weights=[self.idf(w) for w in query_words],
            text=" ".join(norm.folded),
            typed={fold(word): word for word in norm.kept if has_diacritics(word)},
        )
        candidates = sorted(
            (
                self._score(faq_index, doc, query, closeness.get(faq_index, 0.0))
                for faq_index, doc in best_doc_per_faq.items()
            ),
            key=lambda c: c.score,
            reverse=True,
        )
        if not candidates:
            return MatchResult(None, (), 0.0, False)
        ranked, margin = _vote(candidates)
        if isinstance(candidates[0].faq, OutOfScope) and candidates[0].score >= ranked[0].score:
            # Out-of-scope entries are few and do not win votes; their single best match decides.
            ranked, margin = [candidates[0], *(c for c in ranked if c is not candidates[0])], 1.0
        best = ranked[0]
        semantic = self._doc_vectors is not None
        confidence = domain_probability(self.domain_signals(norm, best.score, best.semantic), semantic)
        confident = confidence >= ANSWER_AT and (margin >= MARGIN or confidence >= 0.9)
        return MatchResult(best, tuple(ranked), round(confidence, 4), confident)

    def _semantic_closeness(self, text: str, best_doc_per_faq: dict[int, int]) -> dict[int, float]:
        """Per FAQ, how close in meaning its nearest wording is (0–1); the semantically nearest
        FAQs join the lexical candidates (their nearest wording as the variant to compare)."""
        if self._doc_vectors is None or self._query_vector is None:
            return {}
        similarity = self._doc_vectors @ self._query_vector(readable(text, self.lexicon))
        per_faq = np.full(len(self.faqs), -1.0, dtype=np.float32)
        np.maximum.at(per_faq, self._doc_faq_array, similarity)
        for faq_index in np.argsort(-per_faq)[:SEMANTIC_CANDIDATES]:
            docs = np.flatnonzero(self._doc_faq_array == faq_index)
            best_doc_per_faq.setdefault(int(faq_index), int(docs[np.argmax(similarity[docs])]))
        scaled = np.clip((per_faq - SEMANTIC_FLOOR) / (SEMANTIC_CEILING - SEMANTIC_FLOOR), 0.0, 1.0)
        return {faq_index: float(scaled[faq_index]) for faq_index in best_doc_per_faq}

    def domain_signals(self, norm: Normalized, best_score: float, semantic: float = 0.0) -> dict[str, float]:
        """What says "this message is about our domain": see DOMAIN_WEIGHTS."""
        folded = norm.folded
        bigrams = list(zip(folded, folded[1:]))
        if bigrams:
            known_bigrams = sum(b in self._domain_bigrams for b in bigrams) / len(bigrams)
        else:  # a one-word message ("game", "menu"): is the word itself one of ours?
            known_bigrams = float(bool(folded) and folded[0] in self._idf)
        spelled = [w for w in norm.kept if has_diacritics(w)]
        unknown_spelled = sum(w not in self._domain_spellings for w in spelled) / len(spelled) if spelled else 0.0
        return {
            "score": best_score,
            "known_bigrams": known_bigrams,
            "unknown_spelled": unknown_spelled,
            "length": min(len(set(folded)), 12) / 12,
            "semantic": semantic,
        }

    def _covers(self, faq_index: int, word: str, typed: dict[str, str]) -> bool:
        """Is `word` in the FAQ's wording? When the user typed diacritics ("mưa") and the FAQ
        spells that folded syllable otherwise ("mùa"), it is a different word."""
        if word not in self._faq_words[faq_index]:
            return False
        spelled = typed.get(word)
        known = self._faq_kept[faq_index].get(word)
        return spelled is None or not known or spelled in known

    def _score(self, faq_index: int, doc: int, query: _Query, semantic: float = 0.0) -> Candidate:
        doc_words = self._doc_words[doc]
        total = query.total
        coverage = sum(wt for w, wt in zip(query.words, query.weights) if self._covers(faq_index, w, query.typed))
        doc_recall = sum(wt for w, wt in zip(query.words, query.weights) if w in doc_words) / self._doc_idf[doc]
        fuzzy = fuzz.token_set_ratio(query.text, self._doc_text[doc]) / 100
        # token_set_ratio is 100 whenever one side's words are a subset of the other's; a
        # one-word question must not match a whole variant on that alone.
        fuzzy *= min(1.0, len(query.words) / 3)
        # Coverage leads; how much of the closest variant was said, and its fuzzy likeness, break ties.
        lexical = min((0.6 * coverage / total + 0.15 * doc_recall + 0.1 * fuzzy) / 0.85, 1.0)
        if self._doc_vectors is not None:
            lexical = LEXICAL_SHARE * lexical + (1 - LEXICAL_SHARE) * semantic
        return Candidate(self.faqs[faq_index], round(lexical, 4), self._doc_text[doc], round(semantic, 4))


@dataclass(frozen=True)
class _Query:
    """One message's terms and their weights, computed once and shared by every candidate."""

    words: list[str]
    weights: list[float]
    text: str
    typed: dict[str, str]
    total: float = 1.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "total", sum(self.weights) or 1.0)


def domain_probability(signals: dict[str, float], semantic: bool = True) -> float:
    weights, bias = (DOMAIN_WEIGHTS, DOMAIN_BIAS) if semantic else (LEXICAL_DOMAIN_WEIGHTS, LEXICAL_DOMAIN_BIAS)
    logit = bias + sum(weights[name] * value for name, value in signals.items())
    return 1 / (1 + math.exp(-logit))


def _vote(candidates: list[Candidate]) -> tuple[list[Candidate], float]:
    """Order candidates so the best FAQ of the winning topic comes first.

    Each of the top candidates votes for its topic with weight score⁴ (close matches dominate);
    returns the reordered list and the winner's lead in best score over the runner-up topic.
    """
    votes: defaultdict[str, float] = defaultdict(float)
    for candidate in candidates[:VOTERS]:
        votes[candidate.faq.topic] += candidate.score**16
    winner = max(votes, key=votes.__getitem__)
    ranked = [c for c in candidates if c.faq.topic == winner] + [c for c in candidates if c.faq.topic != winner]
    rival = next((c.score for c in ranked if c.faq.topic != winner), 0.0)
    return ranked, ranked[0].score - rival
