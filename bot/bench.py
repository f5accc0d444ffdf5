"""`python -m bot bench match`: matching quality and latency on an evaluation set, next to a naive
baseline (rapidfuzz WRatio on raw text) measured in the same run."""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

from bot.cli import ask_one
from bot.content.loader import Content
from bot.content.models import Faq
from bot.core.engine import Engine
from bot.understanding.matcher import Matcher

Predict = Callable[[str], tuple[str, list[str]]]  # → (predicted label, ranked topics)


def _load_eval(path: Path) -> list[dict]:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError:
        print(f"Không tìm thấy bộ câu hỏi đánh giá: {path}", file=sys.stderr)
        raise SystemExit(2) from None


def _engine_predict(engine: Engine) -> Predict:
    def predict(query: str) -> tuple[str, list[str]]:
        outcome = ask_one(engine, query)
        if outcome.kind in ("crisis", "fallback", "command"):
            label = outcome.kind
        else:
            label = outcome.topic or "fallback"
        ranked = [c.faq.topic for c in engine.matcher.match(query).candidates]
        return label, ranked

    return predict


def _naive_predict(faqs: list[Faq], threshold: float = 45) -> Predict:
    choices = [(text, faq.topic) for faq in faqs for text in (faq.question, *faq.variants)]
    texts = [text for text, _ in choices]

    def predict(query: str) -> tuple[str, list[str]]:
        found = process.extract(query, texts, scorer=fuzz.WRatio, processor=utils.default_process, limit=10)
        ranked = [choices[index][1] for _, _, index in found]
        if not found or found[0][1] < threshold:
            return "fallback", ranked
        return ranked[0], ranked

    return predict


def _quality(items: list[dict], predict: Predict) -> tuple[dict[str, float], list[float]]:
    topic_ok = topic_n = crisis_hit = crisis_n = false_crisis = non_crisis = 0
    fb_tp = fb_pred = fb_n = fb_ok = 0
    reciprocal: list[float] = []
    latencies: list[float] = []
    style_ok: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        expect = item["expect"]
        accept = {expect, *item.get("accept", [])}
        if expect in ("su_dung_tro_ly", "fallback"):
            accept.add("command")
        started = time.perf_counter()
        label, ranked = predict(item["q"])
        latencies.append((time.perf_counter() - started) * 1000)
        ok = label in accept
        style_ok[item.get("style", "?")][0] += ok
        style_ok[item.get("style", "?")][1] += 1
        fb_tp += expect == "fallback" and label == "fallback"
        if expect == "crisis":
            crisis_n += 1
            crisis_hit += label == "crisis"
        elif expect == "fallback":
            fb_n += 1
            fb_ok += ok
        else:
            topic_n += 1
            topic_ok += ok
            rank = next((i for i, topic in enumerate(ranked, 1) if topic in accept), None)
            reciprocal.append(1 / rank if rank else 0.0)
        if "crisis" not in accept:
            non_crisis += 1
            false_crisis += label == "crisis"
        fb_pred += label == "fallback"
    figures = {
        "topic_top1": topic_ok / max(topic_n, 1),
        "mrr": statistics.fmean(reciprocal) if reciprocal else 0.0,
        "crisis_recall": crisis_hit / max(crisis_n, 1),
        "false_crisis": false_crisis / max(non_crisis, 1),
        "fallback_recall": fb_ok / max(fb_n, 1),  # as the shared score.py: a menu reply also counts
        "fallback_precision": fb_tp / max(fb_pred, 1),
    }
    for style, (ok, n) in sorted(style_ok.items()):
        figures[f"style:{style}"] = ok / n
    return figures, latencies


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def _replicated(faqs: list[Faq], target_variants: int) -> list[Faq]:
    """Copies of the FAQs (ids suffixed) until the index holds about `target_variants` texts."""
    per_copy = sum(1 + len(faq.variants) for faq in faqs)
    copies = max(1, math.ceil(target_variants / per_copy))
    return [faq.model_copy(update={"id": f"{faq.id}-{n}"}) for n in range(copies) for faq in faqs]


def bench_match(content: Content, eval_path: Path) -> int:
    items = _load_eval(eval_path)
    started = time.perf_counter()
    engine = Engine.build(content, seed=0)
    build_ms = (time.perf_counter() - started) * 1000
    queries = [item["q"] for item in items]
    ours, our_lat = _quality(items, _engine_predict(engine))
    naive, naive_lat = _quality(items, _naive_predict(content.knowledge.faqs))
    print(
        f"Bộ đánh giá: {eval_path} ({len(items)} câu) · chỉ mục: {sum(1 + len(f.variants) for f in content.knowledge.faqs)} câu hỏi mẫu"
    )
    print(f"{'chỉ số':<26}{'An Toàn Số':>12}{'naive WRatio':>14}")
    for key in ours:
        print(f"{key:<26}{ours[key]:>12.3f}{naive.get(key, 0):>14.3f}")
    print(f"\nDựng chỉ mục lúc khởi động: {build_ms:.0f} ms")
    for name, lat in (("An Toàn Số (cả câu trả lời)", our_lat), ("naive WRatio", naive_lat)):
        median, p99 = _percentiles(lat)
        print(f"Độ trễ {name}: median {median:.2f} ms · p99 {p99:.2f} ms")
    big_faqs = _replicated(content.knowledge.faqs, 3000)
    started = time.perf_counter()
    big = Matcher(big_faqs, engine.lexicon)
    big_build_ms = (time.perf_counter() - started) * 1000
    big_lat = []
    for query in queries:
        started = time.perf_counter()
        big.match(query)
        big_lat.append((time.perf_counter() - started) * 1000)
    naive_big = _naive_predict(big_faqs)
    naive_big_lat = []
    for query in queries:
        started = time.perf_counter()
        naive_big(query)
        naive_big_lat.append((time.perf_counter() - started) * 1000)
    variants = sum(1 + len(f.variants) for f in big_faqs)
    median, p99 = _percentiles(big_lat)
    n_median, n_p99 = _percentiles(naive_big_lat)
    print(
        f"\nỞ {variants} câu hỏi mẫu: dựng chỉ mục {big_build_ms:.0f} ms; so khớp median {median:.2f} ms · p99 {p99:.2f} ms"
    )
    print(f"naive WRatio ở {variants} câu: median {n_median:.2f} ms · p99 {n_p99:.2f} ms · tỉ lệ p99 {p99 / n_p99:.2f}")
    return 0


def calibrate(engine: Engine, eval_paths: list[Path]) -> int:
    """Fit the in-domain logistic model (DOMAIN_WEIGHTS) on eval sets and print the constants.

    Out-of-scope items are few, so they are weighted up to balance the classes; a small L2 keeps
    the weights modest. Paste the printed constants into bot/understanding/matcher.py.
    """
    import numpy as np

    from bot.understanding.matcher import DOMAIN_WEIGHTS
    from bot.understanding.normalize import normalize

    matcher = engine.matcher
    rows, labels = [], []
    for item in [item for path in eval_paths for item in _load_eval(path)]:
        if item["expect"] == "crisis":
            continue
        result = matcher.match(item["q"])
        norm = normalize(item["q"], matcher.lexicon)
        best = result.best
        signals = matcher.domain_signals(norm, best.score if best else 0.0, best.semantic if best else 0.0)
        rows.append([signals[name] for name in DOMAIN_WEIGHTS])
        labels.append(item["expect"] != "fallback")
    x, y = np.array(rows), np.array(labels, dtype=float)
    weight = np.where(y == 0, (y == 1).sum() / max((y == 0).sum(), 1), 1.0)
    design = np.column_stack([x, np.ones(len(x))])
    w = np.zeros(design.shape[1])
    for _ in range(20000):
        p = 1 / (1 + np.exp(-design @ w))
        w -= 0.5 * (design.T @ (weight * (p - y)) / len(y) + 0.001 * np.r_[w[:-1], 0])
    names = list(DOMAIN_WEIGHTS)
    print("DOMAIN_WEIGHTS = {" + ", ".join(f'"{n}": {v:.1f}' for n, v in zip(names, w[:-1])) + "}")
    print(f"DOMAIN_BIAS = {w[-1]:.1f}")
    return 0
