"""Find the FAQ a free-text question is asking, with a confidence we can act on.

Hybrid retrieval, built once at start-up: a BM25 index (bm25s) over our own Vietnamese tokens —
folded syllables, folded syllable bigrams and, for text typed with diacritics, the kept syllables —
fused with rapidfuzz similarity on the best-matching variant. Confidence is mostly *coverage*:
how much of what the user said (weighted by rarity) the FAQ's wording accounts for. Words the
knowledge base has never seen ("giá vàng", "xổ số") weigh most, which is what makes the fallback
honest.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import bm25s
import numpy as np
from rapidfuzz import fuzz

from bot.content.models import Faq
from bot.understanding.normalize import Lexicon, Normalized, normalize

ANSWER_AT = 0.55  # confidence from which we answer directly
SUGGEST_AT = 0.36  # from here up to ANSWER_AT we offer the top 3 as buttons
MARGIN = 0.04  # the answer must beat a runner-up from another topic by this much
CANDIDATES = 12


def features(norm: Normalized) -> list[str]:
    """The index terms of one text: folded syllables, bigrams, and kept syllables if typed."""
    folded = list(norm.folded)
    terms = folded + [f"{a}_{b}" for a, b in zip(folded, folded[1:])]
    terms += [f"~{word}" for word in norm.kept]
    return terms


@dataclass(frozen=True)
class Candidate:
    faq: Faq
    score: float  # confidence in [0, 1]
    variant: str


@dataclass(frozen=True)
class MatchResult:
    best: Candidate | None
    candidates: tuple[Candidate, ...]
    confident: bool

    @property
    def suggestions(self) -> tuple[Candidate, ...]:
        return self.candidates[:3]


class Matcher:
    def __init__(self, faqs: list[Faq], lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self.faqs = faqs
        self._doc_faq: list[int] = []
        self._doc_text: list[str] = []
        self._doc_words: list[frozenset[str]] = []
        corpus: list[list[str]] = []
        faq_words: list[set[str]] = [set() for _ in faqs]
        for index, faq in enumerate(faqs):
            for text in (faq.question, *faq.variants):
                norm = normalize(text, lexicon)
                corpus.append(features(norm))
                self._doc_faq.append(index)
                self._doc_text.append(" ".join(norm.folded))
                self._doc_words.append(frozenset(norm.folded))
                faq_words[index].update(norm.folded)
        self._faq_words = [frozenset(words) for words in faq_words]
        document_frequency: Counter[str] = Counter()
        for words in self._doc_words:
            document_frequency.update(words)
        total = max(len(self._doc_words), 1)
        self._idf = {w: math.log(1 + total / df) for w, df in document_frequency.items()}
        self._unknown_idf = math.log(1 + total)
        self._doc_faq_array = np.array(self._doc_faq, dtype=np.int32)
        self._bm25 = bm25s.BM25()
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def idf(self, word: str) -> float:
        return self._idf.get(word, self._unknown_idf)

    def match(self, text: str) -> MatchResult:
        norm = normalize(text, self.lexicon)
        query_words = [w for w in dict.fromkeys(norm.folded)]
        if not query_words or not self.faqs:
            return MatchResult(None, (), False)
        scores = self._bm25.get_scores(features(norm))
        best_doc_per_faq: dict[int, int] = {}
        for doc in np.argsort(-scores)[: CANDIDATES * 4]:
            if scores[doc] <= 0:
                break
            best_doc_per_faq.setdefault(int(self._doc_faq_array[doc]), int(doc))
            if len(best_doc_per_faq) >= CANDIDATES:
                break
        top_bm25 = float(scores.max()) or 1.0
        query_text = " ".join(norm.folded)
        candidates = [
            self._score(faq_index, doc, query_words, query_text, float(scores[doc]) / top_bm25)
            for faq_index, doc in best_doc_per_faq.items()
        ]
        candidates.sort(key=lambda c: c.score, reverse=True)
        best = candidates[0] if candidates else None
        confident = False
        if best and best.score >= ANSWER_AT:
            rival = next((c for c in candidates[1:] if c.faq.topic != best.faq.topic), None)
            confident = rival is None or best.score - rival.score >= MARGIN or best.score >= 0.8
        return MatchResult(best, tuple(candidates), confident)

    def _score(self, faq_index: int, doc: int, query_words: list[str], query_text: str, bm25_rel: float) -> Candidate:
        faq_vocab = self._faq_words[faq_index]
        doc_words = self._doc_words[doc]
        weights = [self.idf(w) for w in query_words]
        total = sum(weights) or 1.0
        coverage = sum(wt for w, wt in zip(query_words, weights) if w in faq_vocab) / total
        doc_cover = sum(wt for w, wt in zip(query_words, weights) if w in doc_words) / total
        doc_total = sum(self.idf(w) for w in doc_words) or 1.0
        doc_recall = sum(self.idf(w) for w in doc_words if w in query_words) / doc_total
        fuzzy = fuzz.token_set_ratio(query_text, self._doc_text[doc]) / 100
        # token_set_ratio is 100 whenever one side's words are a subset of the other's; a
        # one-word question must not match a whole variant on that alone.
        fuzzy *= min(1.0, len(query_words) / 3)
        score = 0.45 * coverage + 0.2 * doc_cover + 0.15 * doc_recall + 0.1 * fuzzy + 0.1 * bm25_rel
        return Candidate(self.faqs[faq_index], round(min(score, 1.0), 4), self._doc_text[doc])
