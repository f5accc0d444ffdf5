"""Matching quality on the shared dev set, printed per kind, with floors we defend: as the
assistant runs (semantic layer on) and in its fallback without the model (lexical only).

Floors sit a little under today's figures (see the closing notes) so a content edit that costs
a question or two does not fail CI, while a real regression does. Crisis recall has no slack.
The dev set is what the first version was tuned on; `test_validation_sets.py` holds the figures
on messages nobody tuned for.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.cli import ask_one
from bot.core.engine import Engine

DEV_SET = Path(__file__).resolve().parents[3] / "shared" / "eval" / "faq_dev.yaml"
FLOORS = {
    "semantic": {"topic": 0.85, "fallback": 0.85},
    "lexical": {"topic": 0.82, "fallback": 0.80},
}


def figures_on(engine: Engine, items: list[dict]) -> dict[str, float]:
    """topic / crisis / fallback / false_crisis, counted as the shared score.py counts them."""
    counts = {"topic": [0, 0], "crisis": [0, 0], "fallback": [0, 0], "false_crisis": [0, 0]}
    for item in items:
        outcome = ask_one(engine, item["q"])
        predicted = outcome.kind if outcome.kind != "faq" else outcome.topic
        accept = {item["expect"], *item.get("accept", [])}
        if item["expect"] in ("su_dung_tro_ly", "fallback"):
            accept.add("command")
        group = item["expect"] if item["expect"] in ("crisis", "fallback") else "topic"
        counts[group][0] += predicted in accept
        counts[group][1] += 1
        if "crisis" not in accept:
            counts["false_crisis"][0] += predicted == "crisis"
            counts["false_crisis"][1] += 1
    return {name: hit / max(total, 1) for name, (hit, total) in counts.items()}


@pytest.fixture(scope="module", params=["semantic", "lexical"])
def figures(request: pytest.FixtureRequest) -> tuple[str, dict[str, float]]:
    if not DEV_SET.exists():
        pytest.skip(f"dev set not found at {DEV_SET}")
    mode = request.param
    engine = request.getfixturevalue("semantic_engine" if mode == "semantic" else "engine")
    result = figures_on(engine, yaml.safe_load(DEV_SET.read_text(encoding="utf-8")))
    print(f"\ndev set ({mode}):", ", ".join(f"{name}={value:.3f}" for name, value in result.items()))
    return mode, result


def test_topic_top1_floor(figures: tuple[str, dict[str, float]]) -> None:
    mode, result = figures
    assert result["topic"] >= FLOORS[mode]["topic"]


def test_every_crisis_is_caught(figures: tuple[str, dict[str, float]]) -> None:
    assert figures[1]["crisis"] == 1.0


def test_false_crisis_rate(figures: tuple[str, dict[str, float]]) -> None:
    assert figures[1]["false_crisis"] <= 0.02


def test_fallback_recall_floor(figures: tuple[str, dict[str, float]]) -> None:
    mode, result = figures
    assert result["fallback"] >= FLOORS[mode]["fallback"]
