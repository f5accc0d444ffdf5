"""Danger classifiers learned from examples: they catch danger that is *told*, not named.

Patterns (`safety.py`) catch what people say outright ("muốn chết", "dọa tung ảnh"). A child
home alone while a game friend is on the way, or a farewell posted before a locked door, uses no
such word. These models learn from `knowledge/danger_examples/` (messages written by people who
never saw our content, in the voices of parents, children, friends and grandparents, with hard
negatives: general, hypothetical, past, news, idioms, fiction, worries) plus every FAQ wording as
an ordinary question.

- `DangerNet` (with the semantic model): a one-hidden-layer network over the sentence embedding,
  the cue families (`cues.py`) and the pattern families.
- `DangerModel` (without it): a logistic regression over hashed folded syllables and syllable
  pairs (after Telex, teencode and synonym repair, so "bij doaj" and "bị dọa" are one feature).

Both are small enough to fit at start-up with numpy alone (no machine-learning library), and are
cached by a hash of what they learned from. Their thresholds are chosen by
`python -m bot bench danger`, which trains on all writers but one and judges the one left out.
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.understanding.cues import CUES, cues
from bot.understanding.safety import STRONG

VERSION = 3  # bump when features or training change: cached models of another version are ignored
FEATURE_BITS = 15
FEATURES = 1 << FEATURE_BITS
ITERATIONS = 400
LEARNING_RATE = 2.0
L2 = 1e-4
FAQ_WEIGHT = 0.3  # FAQ wordings are easy negatives and many: they must not drown the hard ones
# Logit from which a message is treated as danger now (see the module docstring).
THRESHOLD = 0.0


def lexical_terms(folded: Sequence[str]) -> list[int]:
    """Hashed feature ids of one message's folded syllables, adjacent pairs and cue families."""
    terms = {*folded, *(f"{a}_{b}" for a, b in zip(folded, folded[1:])), *cues(folded)}
    return sorted({zlib.crc32(term.encode()) & (FEATURES - 1) for term in terms})


@dataclass(frozen=True)
class Example:
    folded: tuple[str, ...]
    crisis: bool
    weight: float = 1.0


class _Sparse:
    """Rows of binary features scaled by 1/sqrt(row length): just enough of a CSR matrix."""

    def __init__(self, rows: Sequence[Sequence[int]]) -> None:
        self.indices = np.fromiter((i for row in rows for i in row), dtype=np.int64)
        lengths = np.array([len(row) for row in rows], dtype=np.int64)
        self.row_of = np.repeat(np.arange(len(rows)), lengths)
        scale = 1.0 / np.sqrt(np.maximum(lengths, 1))
        self.values = np.repeat(scale, lengths)
        self.n_rows = len(rows)

    def dot(self, weights: np.ndarray) -> np.ndarray:
        return np.bincount(self.row_of, weights=weights[self.indices] * self.values, minlength=self.n_rows)

    def rdot(self, gradient: np.ndarray) -> np.ndarray:
        return np.bincount(self.indices, weights=gradient[self.row_of] * self.values, minlength=FEATURES)


@dataclass(frozen=True)
class DangerModel:
    """Logistic regression over hashed lexical features: the detector without the semantic model."""

    lexical: np.ndarray
    bias: float
    threshold: float = THRESHOLD

    @classmethod
    def train(cls, examples: Sequence[Example]) -> DangerModel:
        sparse = _Sparse([lexical_terms(example.folded) for example in examples])
        y = np.array([example.crisis for example in examples], dtype=np.float64)
        weight = np.array([example.weight for example in examples], dtype=np.float64)
        total = weight.sum() or 1.0
        lexical = np.zeros(FEATURES)
        bias = 0.0
        for _ in range(ITERATIONS):
            gradient = (1 / (1 + np.exp(-(sparse.dot(lexical) + bias))) - y) * weight
            lexical -= LEARNING_RATE * (sparse.rdot(gradient) / total + L2 * lexical)
            bias -= LEARNING_RATE * gradient.sum() / total
        return cls(lexical, float(bias))

    def arrays(self) -> dict[str, np.ndarray]:
        return {"lexical": self.lexical, "bias": np.array([self.bias])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> DangerModel:
        return cls(arrays["lexical"], float(arrays["bias"][0]))

    def logit(self, folded: Sequence[str]) -> float:
        terms = lexical_terms(folded)
        return self.bias + float(self.lexical[terms].sum()) / math.sqrt(max(len(terms), 1))


# --- with the semantic model: a small neural network ------------------------------------------
# The sentence embedding says *what* a message is about; whether it is happening *now* lives in a
# few words ("đang", "năm ngoái", "nếu"). A linear model cannot combine the two; a hidden layer
# can. Measured leave-one-writer-out (`bench danger`), it has a third to a quarter of the linear
# model's false alarms at the same recall.
HIDDEN = 64
EPOCHS = 30
BATCH = 64
STEP = 3e-3
NET_L2 = 1e-4
NET_THRESHOLD = -1.0
SIGNALS = (*CUES, "framed_not_now", "plainly_now", *STRONG, "risk_word")


def signal_vector(cue_names: Sequence[str], families: set[str]) -> np.ndarray:
    """Cue and pattern families as 0/1 inputs, in SIGNALS order."""
    present = {name.removeprefix("#") for name in cue_names} | families
    return np.array([name in present for name in SIGNALS], dtype=np.float64)


@dataclass(frozen=True)
class DangerNet:
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: float
    threshold: float = NET_THRESHOLD

    @classmethod
    def train(cls, inputs: np.ndarray, crisis: np.ndarray, weight: np.ndarray, seed: int = 0) -> DangerNet:
        """Adam on the weighted log-loss, mini-batches, a fixed seed: the same content always
        gives the same model."""
        rng = np.random.default_rng(seed)
        x = np.ascontiguousarray(inputs, dtype=np.float64)
        params = [
            rng.normal(0, 1 / math.sqrt(x.shape[1]), (x.shape[1], HIDDEN)),
            np.zeros(HIDDEN),
            rng.normal(0, 1 / math.sqrt(HIDDEN), HIDDEN),
            np.zeros(1),
        ]
        first = [np.zeros_like(p) for p in params]
        second = [np.zeros_like(p) for p in params]
        step = 0
        for _ in range(EPOCHS):
            order = rng.permutation(len(x))
            for start in range(0, len(x), BATCH):
                batch = order[start : start + BATCH]
                xb, yb, wb = x[batch], crisis[batch], weight[batch]
                hidden = np.maximum(0.0, xb @ params[0] + params[1])
                logit = hidden @ params[2] + params[3][0]
                g = (1 / (1 + np.exp(-logit)) - yb) * wb / wb.sum()
                g_hidden = np.outer(g, params[2]) * (hidden > 0)
                grads = [xb.T @ g_hidden + NET_L2 * params[0], g_hidden.sum(0), hidden.T @ g + NET_L2 * params[2]]
                grads.append(np.array([g.sum()]))
                step += 1
                for i, (param, grad) in enumerate(zip(params, grads)):
                    first[i] = 0.9 * first[i] + 0.1 * grad
                    second[i] = 0.999 * second[i] + 0.001 * grad * grad
                    corrected = first[i] / (1 - 0.9**step)
                    param -= STEP * corrected / (np.sqrt(second[i] / (1 - 0.999**step)) + 1e-8)
        return cls(params[0], params[1], params[2], float(params[3][0]))

    def inputs(self, vector: np.ndarray, signals: np.ndarray) -> np.ndarray:
        return np.concatenate([vector.astype(np.float64), signals])

    def logit(self, inputs: np.ndarray) -> float:
        return float(np.maximum(0.0, inputs @ self.w1 + self.b1) @ self.w2 + self.b2)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"w1": self.w1, "b1": self.b1, "w2": self.w2, "b2": np.array([self.b2])}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> DangerNet:
        return cls(arrays["w1"], arrays["b1"], arrays["w2"], float(arrays["b2"][0]))


def pack(model: DangerModel, net: DangerNet | None) -> bytes:
    """Both trained models in one blob, for the cache beside the embeddings."""
    buffer = io.BytesIO()
    arrays = model.arrays()
    if net is not None:
        arrays.update({f"net_{name}": value for name, value in net.arrays().items()})
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def unpack(blob: bytes) -> tuple[DangerModel, DangerNet | None]:
    with np.load(io.BytesIO(blob)) as stored:
        arrays = {name: stored[name] for name in stored.files}
    net_arrays = {name.removeprefix("net_"): value for name, value in arrays.items() if name.startswith("net_")}
    return DangerModel.from_arrays(arrays), DangerNet.from_arrays(net_arrays) if net_arrays else None
