"""Is a child in danger now? Patterns for what people say outright, a learned model for danger
that is told, not named; both read the cues of *when* (`cues.py`), so "năm ngoái con bị tống
tiền, giờ ổn rồi" stays a question and "chú ấy đang đứng đầu ngõ, em ở nhà một mình" does not.

With the semantic model loaded the learned part is `DangerNet` (embedding + cues + patterns);
without it, the lexical `DangerModel`. Both are trained at start-up from
`knowledge/danger_examples/` and every FAQ wording, and cached by a hash of what they learned from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot.content.models import DangerExample, Faq
from bot.understanding.cues import cues
from bot.understanding.danger_model import (
    FAQ_WEIGHT,
    VERSION,
    DangerModel,
    DangerNet,
    Example,
    pack,
    signal_vector,
    unpack,
)
from bot.understanding.normalize import Lexicon, normalize, readable
from bot.understanding.safety import Danger, pattern_families
from bot.understanding.semantic import Semantic

# Trained models by a hash of what they learned from: a reload or a second engine with the same
# examples reuses them instead of training again (seconds with the semantic features).
_trained: dict[str, tuple[DangerModel, DangerNet | None]] = {}
MIN_WORDS = 5


@dataclass(frozen=True)
class Reading:
    """What the detector reads in one message."""

    folded: tuple[str, ...]
    cues: list[str]
    families: set[str]

    @property
    def framed_not_now(self) -> bool:
        return "#framed_not_now" in self.cues


@dataclass(frozen=True)
class DangerDetector:
    lexicon: Lexicon
    model: DangerModel | None = None
    net: DangerNet | None = None
    semantic: Semantic | None = None

    @classmethod
    def build(
        cls,
        lexicon: Lexicon,
        examples: Sequence[DangerExample],
        faqs: Sequence[Faq] = (),
        semantic: Semantic | None = None,
        ordinary: Sequence[str] = (),
    ) -> DangerDetector:
        """Train on the danger examples, with every FAQ wording and the `ordinary` texts (tips,
        out-of-scope phrases: what else people send) as messages that are not danger."""
        texts, labels, weights = training_set(examples, faqs, ordinary)
        if not any(labels):
            return cls(lexicon, None, None, semantic)
        readings = [read(text, lexicon) for text in texts]
        training = [Example(r.folded, crisis, weight) for r, crisis, weight in zip(readings, labels, weights)]
        key = _model_key(training, semantic)
        cache = semantic.cache if semantic else None
        if key not in _trained and cache is not None and (blob := cache.model(key)) is not None:
            _trained[key] = unpack(blob)
        if key not in _trained and (blob := _shipped_model(key)) is not None:
            _trained[key] = unpack(blob)
        if key not in _trained:
            model, net = DangerModel.train(training), None
            if semantic is not None:
                vectors = semantic.vectors([readable(text, lexicon) for text in texts])
                signals = np.stack([signal_vector(r.cues, r.families) for r in readings])
                net = DangerNet.train(np.hstack([vectors, signals]), np.array(labels, float), np.array(weights))
            if cache is not None:
                cache.put_model(key, pack(model, net))
            _trained[key] = (model, net)
        model, net = _trained[key]
        return cls(lexicon, model, net if semantic else None, semantic)

    def detect(self, text: str) -> Danger | None:
        reading, score, threshold = self.score(text)
        named = min(reading.families, default=None)
        if named is not None and not reading.framed_not_now:
            return Danger(named, "pattern")
        if score is not None and score >= threshold:
            return Danger("told", "model")
        return None

    def score(self, text: str) -> tuple[Reading, float | None, float]:
        """The reading, the learned model's logit (None without a model) and its threshold."""
        reading = read(text, self.lexicon)
        if len(reading.folded) < MIN_WORDS:  # too short to tell a story: patterns alone decide
            return reading, None, 0.0
        if self.net is not None and self.semantic is not None:
            vector = self.semantic.query(readable(text, self.lexicon))
            signals = signal_vector(reading.cues, reading.families)
            return reading, self.net.logit(self.net.inputs(vector, signals)), self.net.threshold
        if self.model is not None:
            return reading, self.model.logit(reading.folded), self.model.threshold
        return reading, None, 0.0


def training_set(
    examples: Sequence[DangerExample], faqs: Sequence[Faq], ordinary: Sequence[str]
) -> tuple[list[str], list[bool], list[float]]:
    """Texts, labels and weights the learned models are fitted on."""
    texts = [example.q for example in examples]
    labels = [example.crisis for example in examples]
    weights = [1.0] * len(texts)
    others = [(text, FAQ_WEIGHT) for faq in faqs for text in (faq.question, *faq.variants)]
    for text, weight in [*others, *((text, 1.0) for text in ordinary)]:
        texts.append(text)
        labels.append(False)
        weights.append(weight)
    return texts, labels, weights


def read(text: str, lexicon: Lexicon) -> Reading:
    folded = normalize(text, lexicon, all_readings=False).folded
    return Reading(folded, cues(folded), pattern_families(text, lexicon, folded))


# The models trained on the shipped content, written by `python -m bot seed` (training the network
# takes about a minute on a small server): used when the content they learned from is unchanged.
SHIPPED_MODEL = Path(__file__).resolve().parent / "shipped_danger_model.bin"


def _shipped_model(key: str) -> bytes | None:
    if not SHIPPED_MODEL.exists():
        return None
    stored_key, _, blob = SHIPPED_MODEL.read_bytes().partition(b"\n")
    return blob if stored_key.decode() == key else None


def write_shipped_model(detector: DangerDetector) -> None:
    """Keep the detector's trained models in the package (see SHIPPED_MODEL)."""
    key = next(k for k, models in _trained.items() if models[0] is detector.model)
    SHIPPED_MODEL.write_bytes(key.encode() + b"\n" + pack(detector.model, detector.net))


def _model_key(training: Sequence[Example], semantic: Semantic | None) -> str:
    digest = hashlib.sha256(f"{VERSION}\0{semantic.embedder.model_id if semantic else 'lexical'}".encode())
    for example in training:
        digest.update(f"\0{' '.join(example.folded)}\1{example.crisis:d}\1{example.weight}".encode())
    return digest.hexdigest()
