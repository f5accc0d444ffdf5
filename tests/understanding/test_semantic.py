"""The semantic layer with the real model: its cache (warm start embeds nothing, a changed text
only itself), a reload that keeps the loaded model, and the lexical path when the model is gone."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.app import Assistant, build_engine
from bot.cli import ask_one
from bot.config import Config
from bot.core.engine import Engine
from bot.doctor.semantic import check_semantic
from bot.reload import ContentReloader
from bot.storage.memory import MemoryStore
from bot.understanding import semantic as semantic_module
from bot.understanding.semantic import EmbeddingCache, Semantic, embed_cached, load_semantic
from tests.content_edits import copy_content, edit

ROOT = Path(__file__).resolve().parents[2]


class Counting:
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: semantic_module.Embedder) -> None:
        self.inner = inner
        self.model_id = inner.model_id
        self.embedded: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.embedded.extend(texts)
        return self.inner.embed(texts)


@pytest.fixture
def counting(semantic: Semantic, monkeypatch: pytest.MonkeyPatch) -> Counting:
    monkeypatch.setattr(semantic_module, "_recent", {})  # no help from vectors computed earlier
    monkeypatch.setattr(semantic_module, "_shipped", {})  # nor from those shipped with the package
    return Counting(semantic.embedder)


def test_warm_start_embeds_nothing_and_a_change_only_itself(tmp_path: Path, counting: Counting) -> None:
    cache = EmbeddingCache(tmp_path / "embeddings.sqlite3")
    texts = ["con bị bắt nạt trên mạng", "cài Family Link cho con", "giá vàng hôm nay"]
    cold = embed_cached(counting, texts, cache)
    assert counting.embedded == texts and cold.shape == (3, 384)
    semantic_module._recent.clear()  # a new process: only the file is left
    counting.embedded.clear()
    warm = embed_cached(counting, texts, cache)
    assert counting.embedded == [] and np.allclose(warm, cold)
    semantic_module._recent.clear()
    changed = [texts[0], "cài Google Family Link cho con", texts[2]]
    embed_cached(counting, changed, cache)
    assert counting.embedded == ["cài Google Family Link cho con"]


def test_vectors_carry_meaning_across_wordings(semantic: Semantic) -> None:
    threat, paraphrase, unrelated = semantic.vectors(
        ["có người dọa phát tán ảnh của con tôi", "kẻ lạ đòi tung clip nhạy cảm của cháu lên mạng", "giá lúa hôm nay"]
    )
    assert threat @ paraphrase > threat @ unrelated + 0.05


def test_semantic_engine_reads_what_words_alone_miss(semantic_engine: Engine, engine: Engine) -> None:
    """Telex leftovers and voice-typed names reach the right topic with both layers."""
    outcome = ask_one(semantic_engine, "con tooi nghieenj chowi game quas, ddeem naof cungx thuwcs khuya")
    assert outcome.kind == "faq" and outcome.topic == "nghien_game"


def test_reload_keeps_the_loaded_model(tmp_path: Path, semantic_engine: Engine) -> None:
    knowledge, flows = copy_content(tmp_path)
    env = {"BOT_KNOWLEDGE_DIR": str(knowledge), "BOT_FLOWS_DIR": str(flows), "BOT_DATA_DIR": str(tmp_path / "data")}
    config = Config.load(env=env, dotenv=None)
    assistant = Assistant.from_config(config, store=MemoryStore())
    loaded = assistant.engine.semantic
    assert loaded is not None
    edit(knowledge / "faq" / "nghien_game.yaml", "quá mức cần lo?", "quá mức, cần lo không?")
    assert ContentReloader(config, assistant).reload().ok
    assert assistant.engine.semantic is loaded and assistant.engine is not None
    assert (tmp_path / "data" / "embeddings.sqlite3").exists()


def test_without_the_model_the_assistant_answers_lexically(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: object
) -> None:
    def broken() -> None:
        raise OSError("model file missing")

    monkeypatch.setattr(semantic_module, "_loaded", None)
    monkeypatch.setattr(semantic_module, "_load_failure", None)
    monkeypatch.setattr(semantic_module, "E5Embedder", broken)
    config = Config.load(env={"BOT_DATA_DIR": str(tmp_path)}, dotenv=None)
    assert load_semantic(tmp_path) is None
    engine = build_engine(config, content)  # type: ignore[arg-type]
    assert engine.semantic is None
    assert ask_one(engine, "con tôi bị bạn bè chửi trong nhóm zalo của lớp").topic == "bat_nat_mang"
    assert ask_one(engine, "em không muốn sống nữa").kind == "crisis"
    finding = check_semantic(config)[0]
    assert finding.status == "warn" and "model file missing" in finding.message


def test_semantic_can_be_turned_off(tmp_path: Path, content: object) -> None:
    config = Config.load(env={"BOT_DATA_DIR": str(tmp_path), "BOT_SEMANTIC": "off"}, dotenv=None)
    assert build_engine(config, content).semantic is None  # type: ignore[arg-type]
    assert check_semantic(config)[0].status == "info"
