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

import numpy as np
import yaml
from rapidfuzz import fuzz, process, utils

from bot.cli import ask_one
from bot.content.loader import Content
from bot.content.models import Faq, OutOfScope
from bot.core.engine import Engine
from bot.understanding.matcher import Matcher
from bot.understanding.normalize import readable
from bot.understanding.semantic import EmbeddingCache, Semantic

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


def _semantic_predict(engine: Engine) -> Predict:
    """The semantic layer alone: danger as the assistant detects it, then the topic of the FAQ
    whose wording is nearest in meaning; fallback below a similarity floor."""
    matcher = engine.matcher
    vectors = matcher._doc_vectors
    semantic = engine.semantic
    assert vectors is not None and semantic is not None

    def predict(query: str) -> tuple[str, list[str]]:
        if engine.danger(query):
            return "crisis", []
        similarity = vectors @ semantic.query(readable(query, engine.lexicon))
        ranked = [matcher.faqs[int(matcher._doc_faq_array[d])] for d in np.argsort(-similarity)[:10]]
        topics = [entry.topic for entry in ranked]
        best = float(similarity.max())
        if best < SEMANTIC_ONLY_FLOOR or isinstance(ranked[0], OutOfScope):
            return "fallback", topics
        return topics[0], topics

    return predict


SEMANTIC_ONLY_FLOOR = 0.86


def _validation_sets(extra: Path) -> list[Path]:
    here = Path(__file__).resolve().parent.parent / "tests" / "data" / "validation"
    return [extra, *sorted(here.glob("*.yaml"))]


def bench_match(content: Content, eval_path: Path, semantic: Semantic | None = None) -> int:
    """Side by side in one run: lexical alone, semantic alone, both fused (the assistant), naive
    WRatio; on the dev set and on each validation writer; per style; latency; start-up."""
    started = time.perf_counter()
    lexical = Engine.build(content, seed=0)
    lexical_ms = (time.perf_counter() - started) * 1000
    fused, warm_ms = lexical, 0.0
    if semantic is not None:
        started = time.perf_counter()
        fused = Engine.build(content, seed=0, semantic=semantic)
        warm_ms = (time.perf_counter() - started) * 1000
    predictors: dict[str, Predict] = {"từ ngữ": _engine_predict(lexical)}
    if semantic is not None:
        predictors["ngữ nghĩa"] = _semantic_predict(fused)
        predictors["kết hợp"] = _engine_predict(fused)
    predictors["naive WRatio"] = _naive_predict(content.knowledge.faqs)
    latencies: dict[str, list[float]] = defaultdict(list)
    styles: dict[str, dict[str, list[float]]] = defaultdict(dict)
    for path in _validation_sets(eval_path):
        if not path.exists():
            continue
        items = _load_eval(path)
        print(f"\n== {path.name} ({len(items)} câu)")
        print(f"{'chỉ số':<22}" + "".join(f"{name:>14}" for name in predictors))
        results = {}
        for name, predict in predictors.items():
            results[name], lat = _quality(items, predict)
            latencies[name].extend(lat)
        for key in results["từ ngữ"]:
            if key.startswith("style:"):
                for name in predictors:
                    styles[key][name] = [*styles[key].get(name, []), results[name][key]]
                continue
            print(f"{key:<22}" + "".join(f"{results[name].get(key, 0):>14.3f}" for name in predictors))
    print("\n== theo kiểu gõ (trung bình các bộ có kiểu đó)")
    for key, by_name in sorted(styles.items()):
        print(f"{key:<22}" + "".join(f"{statistics.fmean(by_name[name]):>14.3f}" for name in predictors))
    print("\nĐộ trễ cả câu trả lời:")
    for name, lat in latencies.items():
        median, p99 = _percentiles(lat)
        print(f"  {name:<14} median {median:6.2f} ms · p99 {p99:6.2f} ms")
    print(f"\nDựng lúc khởi động: chỉ từ ngữ {lexical_ms:.0f} ms", end="")
    print(f"; có ngữ nghĩa, bộ nhớ đệm ấm {warm_ms:.0f} ms" if semantic is not None else "")
    if semantic is not None:
        print(_cold_start(content, semantic))
    queries = [item["q"] for item in _load_eval(eval_path)] if eval_path.exists() else ["con bị bắt nạt"]
    big_faqs = _replicated(content.knowledge.faqs, 3000)
    started = time.perf_counter()
    big = Matcher(big_faqs, lexical.lexicon)
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


def _cold_start(content: Content, semantic: Semantic) -> str:
    """Start-up from an empty cache, timed on a sample (the whole content would take minutes)."""
    import tempfile

    from bot.understanding import semantic as semantic_module

    texts = [text for faq in content.knowledge.faqs[:20] for text in (faq.question, *faq.variants)]
    with tempfile.TemporaryDirectory() as folder:
        saved = dict(semantic_module._recent)
        semantic_module._recent.clear()
        started = time.perf_counter()
        semantic_module.embed_cached(semantic.embedder, texts, EmbeddingCache(Path(folder) / "e.sqlite3"))
        per_text = (time.perf_counter() - started) * 1000 / max(len(texts), 1)
        semantic_module._recent.update(saved)
    every = sum(1 + len(f.variants) for f in content.knowledge.faqs) + len(content.knowledge.danger_examples)
    return (
        f"Khởi động lạnh (bộ nhớ đệm trống): {per_text:.0f} ms mỗi câu, "
        f"khoảng {per_text * every / 1000:.0f} s cho {every} câu của nội dung hiện có"
    )


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


WORST_LENGTHS = (100, 500, 1000, 2000, 4096)


def _hostile_texts(length: int) -> dict[str, str]:
    """Messages built to make matching slow: repeated pattern words, unknown words that each need
    typo repair, one endless word, Telex keystrokes, a real story repeated."""
    import random

    rng = random.Random(length)

    def repeat(unit: str) -> str:
        return (unit * (length // len(unit) + 1))[:length]

    unknown = " ".join(
        "".join(rng.choice("abcdeghiklmnopqrstuvxy") for _ in range(rng.randint(2, 7))) for _ in range(length)
    )
    return {
        "ep gui": repeat("ep gui "),
        "doa tung anh neu": repeat("doa tung anh neu "),
        "hen gap toi nay": repeat("hen gap toi nay don "),
        "unknown words": unknown[:length],
        "one long word": "a" * length,
        "telex": repeat("con tooi bij nguwowif las doaj "),
        "story": repeat("Con gái tôi 13 tuổi, tối qua có người trên mạng nhắn tin đòi gặp, tôi lo lắm. "),
    }


def bench_worst(content: Content, engine: Engine) -> int:
    """Worst case per message length, median of 3 runs per hostile message, the slowest message
    reported: danger detection by patterns, cues and the lexical model (what grows with length;
    goal ≤ 20 ms at 4,096 characters), the same with the semantic model (its input is capped),
    and the whole answer. The message vector is computed afresh every run."""
    lexical = Engine.build(content, seed=0)
    print(
        f"{'độ dài':>7} {'nguy hiểm, từ vựng':>19} {'nguy hiểm, + ngữ nghĩa':>23} {'cả câu trả lời':>15}  (ms)  chậm nhất"
    )
    for length in WORST_LENGTHS:
        worst = [0.0, 0.0, 0.0]
        slowest = ""
        for name, text in _hostile_texts(length).items():
            runs: list[list[float]] = [[], [], []]
            for _ in range(3):
                for column, call in enumerate((lexical.danger, engine.danger, lambda t: ask_one(engine, t))):
                    if engine.semantic is not None:
                        engine.semantic.query.forget()
                    started = time.perf_counter()
                    call(text)
                    runs[column].append((time.perf_counter() - started) * 1000)
            medians = [statistics.median(column) for column in runs]
            if medians[0] > worst[0]:
                slowest = name
            worst = [max(a, b) for a, b in zip(worst, medians)]
        print(f"{length:>7} {worst[0]:>19.1f} {worst[1]:>23.1f} {worst[2]:>15.1f}        {slowest}")
    return 0
