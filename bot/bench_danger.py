"""`python -m bot bench danger`: how the danger detector fares on messages it never learned from.

Leave-one-writer-out over `knowledge/danger_examples/`: each writer's file is judged by a detector
trained on the other writers' files and the FAQ wordings. Then the full detector on the sets kept
for measuring only (the held-out danger bank and validation sets in `tests/data/`, and the shared
dev set), which no model ever learned from. Each cell is recall / false alarms for one threshold
of the learned model; patterns count as in the running assistant (unless framed as not-now).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import yaml

from bot.content.loader import Content, load_yaml
from bot.content.models import DangerExample
from bot.core.engine import Engine, ordinary_texts
from bot.understanding.detector import DangerDetector
from bot.understanding.semantic import Semantic

THRESHOLDS = (-1.5, -1.0, -0.5, 0.0, 0.5, 1.0)
ROOT = Path(__file__).resolve().parent.parent


def measuring_sets(extra: Sequence[Path] = ()) -> dict[str, list[tuple[str, bool]]]:
    """Name → (message, is danger) for every set kept for measuring only."""
    sets: dict[str, list[tuple[str, bool]]] = {}
    for path in sorted((ROOT / "tests" / "data" / "danger").glob("*.yaml")):
        sets[path.stem] = [(item["q"], bool(item["crisis"])) for item in yaml.safe_load(path.read_text("utf-8"))]
    for path in [*sorted((ROOT / "tests" / "data" / "validation").glob("*.yaml")), *extra]:
        if path.exists():
            items = yaml.safe_load(path.read_text("utf-8"))
            sets[path.stem] = [(item["q"], item["expect"] == "crisis") for item in items]
    return sets


def _judge(detector: DangerDetector, items: Sequence[tuple[str, bool]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(logit, named by an un-framed pattern, is danger) for every item."""
    logits, named, labels = [], [], []
    for text, crisis in items:
        reading, score, threshold = detector.score(text)
        logits.append(-99.0 if score is None else score - threshold)
        named.append(bool(reading.families) and not reading.framed_not_now)
        labels.append(crisis)
    return np.array(logits), np.array(named), np.array(labels)


def _row(name: str, logits: np.ndarray, named: np.ndarray, labels: np.ndarray) -> str:
    cells = []
    for offset in THRESHOLDS:
        hit = (logits >= offset) | named
        recall = hit[labels].mean() if labels.any() else float("nan")
        false = hit[~labels].mean() if (~labels).any() else float("nan")
        cells.append(f"{recall:4.2f}/{false:5.3f}")
    counts = f"({labels.sum()} nguy hiểm, {(~labels).sum()} không)"
    return f"{name:<14}" + " ".join(f"{c:>11}" for c in cells) + f"   {counts}"


def bench_danger(content: Content, knowledge_dir: Path, semantic: Semantic | None, extra: Sequence[Path]) -> int:
    lexicon = Engine.build(content, seed=0).lexicon
    files = sorted((knowledge_dir / "danger_examples").glob("*.yaml"))
    writers = {path.stem: [DangerExample(**item) for item in load_yaml(path).data or []] for path in files}
    if len(writers) < 2:
        print("Cần ít nhất hai tệp trong knowledge/danger_examples/ để đo chéo.", file=sys.stderr)
        return 2
    faqs = content.knowledge.faqs
    ordinary = ordinary_texts(content)
    sets = measuring_sets(extra)
    print("Mỗi ô: bắt được / báo nhầm, ở ngưỡng (lệch so với ngưỡng đang dùng):")
    layers = [("chỉ từ vựng", None)] + ([("từ vựng + ngữ nghĩa", semantic)] if semantic else [])
    if semantic is None:
        print("(mô hình ngữ nghĩa không nạp được: chỉ đo phần từ vựng)")
    for label, layer in layers:
        print(f"\n== {label}")
        print(f"{'':<14}" + " ".join(f"{t:>+11.1f}" for t in THRESHOLDS))
        pooled: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for held in writers:
            others = [example for name, group in writers.items() if name != held for example in group]
            detector = DangerDetector.build(lexicon, others, faqs, layer, ordinary)
            judged = _judge(detector, [(e.q, e.crisis) for e in writers[held]])
            pooled.append(judged)
            print(_row(held, *judged))
        print(_row("gộp (chéo)", *(np.concatenate(part) for part in zip(*pooled))))
        every = [e for group in writers.values() for e in group]
        detector = DangerDetector.build(lexicon, every, faqs, layer, ordinary)
        print("-- chỉ để đo, chưa mô hình nào học:")
        for name, items in sets.items():
            print(_row(name, *_judge(detector, items)))
    return 0
